package cli

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/filters"
	"github.com/spf13/cobra"
)

// filterSet is docker's --filter list (filters owns its meaning).
type filterSet = filters.Set

// parseFilterSet checks the keys against the command's and returns them.
func parseFilterSet(fs []string, keys ...string) (filterSet, error) {
	m := filterSet{}
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, badFlag("bad format of filter (expected name=value)")
		}
		// label!=k[=v] arrives cut as "label!" and "k[=v]".
		known := false
		for _, want := range keys {
			known = known || k == want
		}
		if !known {
			return nil, badFlag("invalid filter '%s'", k)
		}
		if k == "until" {
			if _, err := parseUntil(v); err != nil {
				return nil, err
			}
		}
		m[k] = append(m[k], v)
	}
	return m, nil
}

// pruneFilterKeys are the keys every prune takes.
var pruneFilterKeys = []string{"until", "label", "label!"}

// until is docker's until=: only objects created before the time.
func until(m filterSet, created time.Time) bool {
	for _, v := range m["until"] {
		t, _ := parseUntil(v)
		if !created.Before(t) {
			return false
		}
	}
	return true
}

// parseUntil reads docker's timestamps: a duration back from now (10m),
// Unix seconds (1700000000.5), RFC 3339 or a date and time in local time.
func parseUntil(v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "eE") {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badFlag("failed to parse value as time or duration: %q", v)
}

// confirm is docker's prompt before a prune: the warning, then
// "Are you sure you want to continue? [y/N]" read from stdin; anything
// but y or yes (or no input at all) declines.
func confirm(c *cobra.Command, warning string) bool {
	fmt.Fprintf(c.OutOrStdout(), "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(c.InOrStdin()).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// printDeleted is one section of a prune's report.
func printDeleted(c *cobra.Command, title string, names []string) {
	if len(names) == 0 {
		return
	}
	out := c.OutOrStdout()
	fmt.Fprintln(out, title)
	for _, n := range names {
		fmt.Fprintln(out, n)
	}
	fmt.Fprintln(out)
}
