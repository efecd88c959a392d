package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// jinn is daemonless: its one context, "default", is the local engine
// at --root. `context` answers scripts that ask docker's questions.

// contextRow is what context ls --format templates see: docker's fields.
type contextRow struct {
	Name           string
	Description    string
	DockerEndpoint string
	Current        bool
	Error          string
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r contextRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

func (o *Options) defaultContext() contextRow {
	return contextRow{Name: "default", Description: "Local jinn engine (daemonless) at " + o.Root,
		DockerEndpoint: "jinn://" + o.Root, Current: true}
}

func noSuchContext(name string) error {
	return &engine.ExitError{Code: 1, Err: fmt.Errorf("context %q does not exist", name)}
}

func newContextCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "context COMMAND", Short: "Manage contexts", Args: cobra.NoArgs}
	var quiet bool
	var format string
	ls := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List contexts", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			row := o.defaultContext()
			if quiet {
				fmt.Fprintln(c.OutOrStdout(), row.Name)
				return nil
			}
			if format == "" || format == "table" {
				format = "table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}"
			}
			return printRowsTitled(c.OutOrStdout(), format, "", map[string]string{"Name": "NAME", "Description": "DESCRIPTION",
				"DockerEndpoint": "DOCKER ENDPOINT", "Error": "ERROR", "Current": "CURRENT"}, []contextRow{row})
		},
	}
	ls.Flags().StringVar(&format, "format", "", formatHelpTable)
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only show context names")
	show := &cobra.Command{
		Use: "show", Short: "Print the name of the current context", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprintln(c.OutOrStdout(), "default")
			return nil
		},
	}
	use := &cobra.Command{
		Use: "use CONTEXT", Short: "Set the current docker context", Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] != "default" {
				return noSuchContext(args[0])
			}
			fmt.Fprintln(c.OutOrStdout(), "default")
			fmt.Fprintln(c.ErrOrStderr(), `Current context is now "default"`)
			return nil
		},
	}
	var ifmt string
	inspect := &cobra.Command{
		Use: "inspect [OPTIONS] [CONTEXT] [CONTEXT...]", Short: "Display detailed information on one or more contexts",
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"default"}
			}
			var docs []any
			for _, a := range args {
				if a != "default" {
					return noSuchContext(a)
				}
				r := o.defaultContext()
				docs = append(docs, map[string]any{"Name": r.Name, "Metadata": map[string]any{"Description": r.Description},
					"Endpoints":   map[string]any{"docker": map[string]any{"Host": r.DockerEndpoint, "SkipTLSVerify": false}},
					"TLSMaterial": map[string]any{}, "Storage": map[string]any{"MetadataPath": "<IN MEMORY>", "TLSPath": "<IN MEMORY>"}})
			}
			if ifmt != "" {
				return printInspect(c.OutOrStdout(), ifmt, toAny(docs))
			}
			b, _ := json.MarshalIndent(docs, "", "    ")
			fmt.Fprintln(c.OutOrStdout(), string(b))
			return nil
		},
	}
	inspect.Flags().StringVarP(&ifmt, "format", "f", "", formatHelpJSON)
	c.AddCommand(ls, show, use, inspect)
	c.AddCommand(newContextEditCmds()...)
	return c
}
