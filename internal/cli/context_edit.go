package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// jinn is daemonless: its one context, "default", is the engine at
// --root (another store is another --root). create, update and rm take
// docker's flags and say so in one line; rm --force of a context that
// does not exist is no error, as docker's.

func contextRefused(format string, a ...any) error {
	return &engine.ExitError{Code: 1, Err: fmt.Errorf(format, a...)}
}

func newContextEditCmds() []*cobra.Command {
	var desc, from string
	var endpoint map[string]string
	create := &cobra.Command{
		Use: "create [OPTIONS] CONTEXT", Short: "Create a context", Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] == "default" {
				return contextRefused("context %q already exists", args[0])
			}
			return contextRefused("cannot create context %q: jinn is daemonless, its one context is \"default\", the engine at --root (use --root for another store)", args[0])
		},
	}
	create.Flags().StringVar(&desc, "description", "", "Description of the context")
	create.Flags().StringToStringVar(&endpoint, "docker", nil, "set the docker endpoint")
	create.Flags().StringVar(&from, "from", "", "create context from a named context")
	var udesc string
	var uendpoint map[string]string
	update := &cobra.Command{
		Use: "update [OPTIONS] CONTEXT", Short: "Update a context", Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] != "default" {
				return noSuchContext(args[0])
			}
			return contextRefused("context \"default\" cannot be updated: it is the engine at --root")
		},
	}
	update.Flags().StringVar(&udesc, "description", "", "Description of the context")
	update.Flags().StringToStringVar(&uendpoint, "docker", nil, "set the docker endpoint")
	var force bool
	rm := &cobra.Command{
		Use: "rm CONTEXT [CONTEXT...]", Aliases: []string{"remove"}, Short: "Remove one or more contexts", Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			for _, a := range args {
				switch {
				case a == "default":
					return contextRefused("failed to remove context default: default: context \"default\" cannot be removed")
				case !force:
					return noSuchContext(a)
				}
			}
			return nil
		},
	}
	rm.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of a context in use")
	return []*cobra.Command{create, update, rm}
}
