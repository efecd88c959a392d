package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
)

// searchRow is what search --format templates see: docker's fields.
type searchRow struct {
	r       image.SearchResult
	noTrunc bool
}

func (s searchRow) Name() string { return s.r.Name }
func (s searchRow) Description() string {
	if !s.noTrunc && len(s.r.Description) > 45 {
		return s.r.Description[:44] + "…"
	}
	return s.r.Description
}
func (s searchRow) StarCount() string   { return strconv.Itoa(s.r.StarCount) }
func (s searchRow) IsOfficial() string  { return okMark(s.r.IsOfficial) }
func (s searchRow) IsAutomated() string { return okMark(s.r.IsAutomated) }

// MarshalJSON is docker's object for --format json and {{json .}}.
func (s searchRow) MarshalJSON() ([]byte, error) { return marshalRow(s) }

func okMark(b bool) string {
	if b {
		return "[OK]"
	}
	return ""
}

var searchTitles = map[string]string{"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS",
	"IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED"}

func newSearchCmd(o *Options) *cobra.Command {
	var filters []string
	var format string
	var limit int
	var noTrunc, insecure bool
	c := &cobra.Command{
		Use:   "search [OPTIONS] TERM",
		Short: "Search for images in a registry (REGISTRY/TERM searches that registry)",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(filters, "stars", "is-official", "is-automated")
			if err != nil {
				return err
			}
			if limit < 1 || limit > 100 {
				return badFlag("limit %d is outside the range of [1, 100]", limit)
			}
			minStars := 0
			for _, v := range fs["stars"] {
				if minStars, err = strconv.Atoi(v); err != nil {
					return badFlag("invalid filter 'stars=%s'", v)
				}
			}
			ctx, stop := interruptible(c)
			defer stop()
			res, err := image.Search(ctx, args[0], limit, insecure)
			if err != nil {
				return &engine.ExitError{Code: 1, Err: fmt.Errorf("Error response from daemon: %w", err)}
			}
			var rows []searchRow
			for _, r := range res {
				if r.StarCount < minStars ||
					!fs.Any("is-official", func(v string) bool { return strconv.FormatBool(r.IsOfficial) == v }) ||
					!fs.Any("is-automated", func(v string) bool { return strconv.FormatBool(r.IsAutomated) == v }) {
					continue
				}
				if len(rows) < limit {
					rows = append(rows, searchRow{r: r, noTrunc: noTrunc})
				}
			}
			return printRowsTitled(c.OutOrStdout(), format, "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}", searchTitles, rows)
		},
	}
	fl := c.Flags()
	stringArrayVarP(fl, &filters, "filter", "f", nil, "Filter output based on conditions provided")
	fl.StringVar(&format, "format", "", "Pretty-print search using a Go template")
	fl.IntVar(&limit, "limit", 25, "Max number of search results")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.BoolVar(&insecure, "insecure", false, "Allow plain HTTP to the registry (loopback always may)")
	return c
}
