package cli

import (
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

// imageRow is one line of `jinn images`, with docker's field names for
// --format.
type imageRow struct {
	ID           string
	Repository   string
	Tag          string
	Digest       string
	CreatedSince string
	CreatedAt    string
	Size         string
	Containers   string
	SharedSize   string
	UniqueSize   string
	VirtualSize  string
	img          *image.Image
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r imageRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

func newImagesCmd(o *Options) *cobra.Command {
	return imagesCmd(o, "images [OPTIONS] [REPOSITORY[:TAG]]", nil)
}

func imagesCmd(o *Options, use string, aliases []string) *cobra.Command {
	var all, quiet, digests, noTrunc bool
	var filters []string
	var format string
	c := &cobra.Command{
		Use:     use,
		Aliases: aliases,
		Short:   "List images",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			imgs, err := st.List()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				filters = append(filters, "reference="+args[0])
			}
			keep, err := imageFilter(st, filters)
			if err != nil {
				return err
			}
			parents := map[string]bool{}
			for _, img := range imgs {
				if img.Parent != "" {
					parents[img.Parent.String()] = true
				}
			}
			var rows []imageRow
			for _, img := range imgs {
				if !all && len(img.RepoTags) == 0 && parents[img.ID.String()] {
					continue // an intermediate image
				}
				for _, r := range imageRows(img, noTrunc) {
					if keep(img, r) {
						rows = append(rows, r)
					}
				}
			}
			w := cmd.OutOrStdout()
			if quiet {
				seen := map[string]bool{}
				for _, r := range rows {
					if !seen[r.ID] {
						seen[r.ID] = true
						fmt.Fprintln(w, r.ID)
					}
				}
				return nil
			}
			def := "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			if digests {
				def = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			}
			return printRows(w, format, def, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "Show all images (default hides intermediate images)")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&digests, "digests", false, "Show digests")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	stringArrayVarP(f, &filters, "filter", "f", nil, "Filter output based on conditions provided")
	f.StringVar(&format, "format", "", formatHelpTable)
	return c
}

func shortID(id string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	return truncate(strings.TrimPrefix(id, "sha256:"), 12)
}

// imageRows gives one row per repository tag (one <none> row if untagged).
func imageRows(img *image.Image, noTrunc bool) []imageRow {
	base := imageRow{
		ID:           shortID(img.ID.String(), noTrunc),
		CreatedSince: since(img.Created),
		CreatedAt:    img.Created.Format("2006-01-02 15:04:05 -0700 MST"),
		Size:         humanSize(img.Size),
		Digest:       "<none>",
		Containers:   "N/A",
		SharedSize:   "N/A",
		UniqueSize:   "N/A",
		VirtualSize:  humanSize(img.Size),
		img:          img,
	}
	digestOf := map[string]string{}
	for _, d := range img.RepoDigests {
		repo, dg, _ := strings.Cut(d, "@")
		digestOf[repo] = dg
	}
	if len(img.RepoTags) == 0 {
		r := base
		r.Repository, r.Tag = "<none>", "<none>"
		for repo, dg := range digestOf {
			r.Repository, r.Digest = repo, dg
		}
		return []imageRow{r}
	}
	var out []imageRow
	for _, t := range img.RepoTags {
		r := base
		i := strings.LastIndex(t, ":")
		if i < 0 || strings.Contains(t[i:], "/") {
			r.Repository, r.Tag = t, "latest"
		} else {
			r.Repository, r.Tag = t[:i], t[i+1:]
		}
		if dg, ok := digestOf[r.Repository]; ok {
			r.Digest = dg
		}
		out = append(out, r)
	}
	return out
}

// imageFilter builds docker's --filter for images: dangling, label,
// reference, before, since.
func imageFilter(st *image.Store, filters []string) (func(*image.Image, imageRow) bool, error) {
	var preds []func(*image.Image, imageRow) bool
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value): %s", f)
		}
		switch k {
		case "dangling":
			want := v == "true" || v == "1"
			preds = append(preds, func(img *image.Image, _ imageRow) bool { return (len(img.RepoTags) == 0) == want })
		case "label", "label!":
			fs := filterSet{k: {v}}
			preds = append(preds, func(img *image.Image, _ imageRow) bool { return fs.Labels(img.Config.Config.Labels) })
		case "reference":
			pat := v
			preds = append(preds, func(_ *image.Image, r imageRow) bool {
				for _, cand := range []string{r.Repository, r.Repository + ":" + r.Tag} {
					if m, _ := path.Match(pat, cand); m {
						return true
					}
				}
				return false
			})
		case "before", "since":
			ref, err := st.Get(v)
			if err != nil {
				return nil, err
			}
			t0, before := ref.Created, k == "before"
			preds = append(preds, func(img *image.Image, _ imageRow) bool {
				if before {
					return img.Created.Before(t0)
				}
				return img.Created.After(t0)
			})
		case "until":
			t0, err := parseUntil(v)
			if err != nil {
				return nil, err
			}
			preds = append(preds, func(img *image.Image, _ imageRow) bool { return img.Created.Before(t0) })
		default:
			return nil, fmt.Errorf("invalid filter %q", k)
		}
	}
	return func(img *image.Image, r imageRow) bool {
		for _, p := range preds {
			if !p(img, r) {
				return false
			}
		}
		return true
	}, nil
}
