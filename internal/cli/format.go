package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// printRows writes rows with a docker-style --format: "" (table with the
// default columns), "table TEMPLATE", "json", or a bare Go template (one line
// per row, no header).
func printRows[T any](w io.Writer, format, defaultTable string, rows []T) error {
	if format == "" {
		format = defaultTable
	}
	if format == "json" {
		for _, r := range rows {
			b, _ := json.Marshal(r)
			fmt.Fprintln(w, string(b))
		}
		return nil
	}
	table := false
	if t, ok := strings.CutPrefix(format, "table"); ok {
		table, format = true, strings.TrimSpace(t)
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := parseFormat("format", format)
	if err != nil {
		return fmt.Errorf("invalid --format template: %w", err)
	}
	out := newBudget()
	if !table {
		for _, r := range rows {
			b, err := out.render(tmpl, r)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fmt.Fprintln(w, string(b))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	// The header: each {{.Field}} replaced by its docker-style title.
	if htmpl, err := parseFormat("header", format); err == nil {
		if b, err := out.render(htmpl.Option("missingkey=zero"), columnTitles); err == nil {
			fmt.Fprintln(tw, string(b))
		}
	}
	for _, r := range rows {
		b, err := out.render(tmpl, r)
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(tw, string(b))
	}
	return tw.Flush()
}

// columnTitles are docker's column titles of the fields.
var columnTitles = map[string]string{
	"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
	"Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "Size": "SIZE", "Comment": "COMMENT",
	"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Reclaimable": "RECLAIMABLE",
	"SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS",
	"VirtualSize": "VIRTUAL SIZE",
}

// humanSize is docker's decimal size ("4.26MB").
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	s := fmt.Sprintf("%.3g", f)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", f)
	}
	return s + units[i]
}

// humanDuration is docker's "2 hours" (for "2 hours ago").
func humanDuration(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	m := int(d.Minutes())
	switch {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	h := int(d.Hours() + 0.5)
	switch {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", h/24/365)
}

func since(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return humanDuration(time.Since(t)) + " ago"
}
