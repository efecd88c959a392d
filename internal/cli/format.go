package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// formatFuncs are docker's template functions.
var formatFuncs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"upper":    strings.ToUpper,
	"lower":    strings.ToLower,
	"title":    strings.Title, //nolint:staticcheck // docker's behaviour
	"join":     strings.Join,
	"split":    strings.Split,
	"truncate": func(s string, n int) string { return truncate(s, n) },
	"pad":      func(s string, l, r int) string { return strings.Repeat(" ", l) + s + strings.Repeat(" ", r) },
	"println":  fmt.Sprintln,
}

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
	tmpl, err := template.New("format").Funcs(formatFuncs).Parse(format)
	if err != nil {
		return fmt.Errorf("invalid --format template: %w", err)
	}
	if !table {
		for _, r := range rows {
			var sb strings.Builder
			if err := tmpl.Execute(&sb, r); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fmt.Fprintln(w, sb.String())
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	// The header: each {{.Field}} replaced by its docker-style title.
	htmpl, err := template.New("header").Funcs(formatFuncs).Option("missingkey=zero").Parse(format)
	if err == nil {
		var sb strings.Builder
		if htmpl.Execute(&sb, columnTitles) == nil {
			fmt.Fprintln(tw, sb.String())
		}
	}
	for _, r := range rows {
		var sb strings.Builder
		if err := tmpl.Execute(&sb, r); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(tw, sb.String())
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
