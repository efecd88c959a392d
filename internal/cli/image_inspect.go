package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

// ImageInspect is docker's `image inspect` document.
type ImageInspect struct {
	ID            string   `json:"Id"`
	RepoTags      []string `json:"RepoTags"`
	RepoDigests   []string `json:"RepoDigests"`
	Parent        string   `json:"Parent"`
	Comment       string   `json:"Comment"`
	Created       string   `json:"Created"`
	DockerVersion string   `json:"DockerVersion"`
	Author        string   `json:"Author"`
	Config        any      `json:"Config"`
	Architecture  string   `json:"Architecture"`
	Variant       string   `json:"Variant,omitempty"`
	Os            string   `json:"Os"`
	Size          int64    `json:"Size"`
	GraphDriver   struct {
		Name string            `json:"Name"`
		Data map[string]string `json:"Data"`
	} `json:"GraphDriver"`
	RootFS struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
	Metadata struct {
		LastTagTime string `json:"LastTagTime"`
	} `json:"Metadata"`
}

// inspectImage renders an image as docker inspect does (also used by the
// generic `jinn inspect`).
func inspectImage(st *image.Store, img *image.Image) ImageInspect {
	var d ImageInspect
	d.ID = img.ID.String()
	d.RepoTags, d.RepoDigests = nonNil(img.RepoTags), nonNil(img.RepoDigests)
	if img.Parent != "" {
		d.Parent = img.Parent.String()
	}
	if h := img.Config.History; len(h) > 0 {
		d.Comment = h[len(h)-1].Comment
	}
	d.Created = img.Created.Format(time.RFC3339Nano)
	d.Author = img.Config.Author
	d.Config = img.Config.Config
	d.Architecture, d.Variant, d.Os = img.Config.Architecture, img.Config.Variant, img.Config.OS
	d.Size = img.Size
	d.GraphDriver.Name = "overlay"
	d.GraphDriver.Data = map[string]string{}
	if img.ChainID != "" {
		if upper, lowers, err := st.Snapshots().Dirs(string(img.ChainID)); err == nil {
			d.GraphDriver.Data["UpperDir"] = upper
			if len(lowers) > 0 {
				d.GraphDriver.Data["LowerDir"] = joinColon(lowers)
			}
		}
	}
	d.RootFS.Type = "layers"
	d.RootFS.Layers = []string{}
	for _, l := range img.DiffIDs {
		d.RootFS.Layers = append(d.RootFS.Layers, l.String())
	}
	d.Metadata.LastTagTime = "0001-01-01T00:00:00Z"
	return d
}

func joinColon(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ":"
		}
		out += s
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newImageInspectCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var docs []ImageInspect
			var firstErr error
			for _, a := range args {
				img, err := st.Get(a)
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("No such image: %s", a)
					}
					continue
				}
				docs = append(docs, inspectImage(st, img))
			}
			w := cmd.OutOrStdout()
			if format != "" {
				if err := printInspect(w, format, toAny(docs)); err != nil {
					return err
				}
			} else {
				if docs == nil {
					docs = []ImageInspect{}
				}
				b, _ := json.MarshalIndent(docs, "", "    ")
				fmt.Fprintln(w, string(b))
			}
			return firstErr
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	return hostPlatformOnly(c, "Inspect a specific platform of the multi-platform image. If the image or the server is not multi-platform capable, "+
		"the command will error out if the platform does not match. 'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)", false)
}

// toAny lists documents of one type as printInspect takes them.
func toAny[T any](docs []T) []any {
	var out []any
	for _, d := range docs {
		out = append(out, d)
	}
	return out
}
