// Package ocicli is jinn-runtime's command line, runc 1.1's in shape, flags,
// output and exit codes: one file per command.
package ocicli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cmdline"
	"github.com/jinn-containers/jinn/internal/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

// Version is jinn-runtime's version.
const Version = "0.1.0"

// Global are the flags every command sees.
type Global struct {
	Root          string
	Log           string
	LogFormat     string
	Debug         bool
	SystemdCgroup bool
	CgroupParent  string
	logger        *slog.Logger
	logFile       io.Writer // where errors go besides stderr, if not stderr
}

// Runtime returns the runtime of --root.
func (g *Global) Runtime() *runtime.Runtime {
	return &runtime.Runtime{Root: g.Root, Log: g.logger, CgroupParent: g.CgroupParent, SystemdCgroup: g.SystemdCgroup}
}

// exitCode is returned by run and exec to exit with the process's status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Main runs the command line and returns the process exit status.
func Main(args []string) int {
	g := &Global{}
	root := newRootFor(g, args)
	root.SetArgs(args)
	err := root.Execute()
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	g.fatal(err)
	return 1
}

// fatal reports err as runc does: to the log (logrus's format), and when
// the log is a file also as a plain line on stderr.
func (g *Global) fatal(err error) {
	if g.logger == nil { // setup failed: a text log on stderr
		g.logger = slog.New(newLogrusHandler(os.Stderr, false, slog.LevelError))
		g.logFile = nil
	}
	g.logger.Error(err.Error())
	if g.logFile != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// commands are the constructors of the commands, by the name each gives
// itself (TestCommandTable checks that).
var commands = []struct {
	name string
	make func(*Global) *cobra.Command
}{
	{"create", newCreate}, {"start", newStart}, {"run", newRun}, {"state", newState}, {"kill", newKill},
	{"delete", newDelete}, {"list", newList}, {"ps", newPs}, {"exec", newExec}, {"spec", newSpec},
	{"features", newFeatures}, {"update", newUpdate}, {"pause", newPause}, {"resume", newResume},
	{"events", newEvents},
}

// NewRoot builds the command tree.
func NewRoot(g *Global) *cobra.Command {
	root := newRoot(g)
	for _, c := range commands {
		root.AddCommand(c.make(g))
	}
	return root
}

// newRootFor builds the root and the one command args name, if they name
// one: containerd's shim runs 4-6 runtime commands per container, each of
// which built all 15 (~35 us, 47 KB, and their code's page faults). Help,
// --version, and an unknown command get the whole tree.
func newRootFor(g *Global, args []string) *cobra.Command {
	root := newRoot(g)
	name := cmdline.CommandName(root.PersistentFlags(), args)
	for _, c := range commands {
		if c.name == name {
			root.AddCommand(c.make(g))
			return root
		}
	}
	return NewRoot(g)
}

// newRoot is the root command with its global flags.
func newRoot(g *Global) *cobra.Command {
	root := &cobra.Command{
		Use:           "jinn-runtime",
		Short:         "An OCI runtime with runc's command line",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.setup()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true // runc has none
	root.SetVersionTemplate(fmt.Sprintf("jinn-runtime version %s\nspec: %s\ngo: %s\n",
		Version, specs.Version, goruntime.Version()))
	f := root.PersistentFlags()
	f.StringVar(&g.Root, "root", defaultRoot(), "root directory for storage of container state") // rootless.go
	f.StringVar(&g.Log, "log", "", "log file path (default stderr)")
	f.StringVar(&g.LogFormat, "log-format", "text", "log format: text or json")
	f.BoolVar(&g.Debug, "debug", false, "enable debug logging")
	f.BoolVar(&g.SystemdCgroup, "systemd-cgroup", false, "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" for e.g. \"system.slice:runc:434234\"")
	f.StringVar(&g.CgroupParent, "cgroup-parent", DefaultCgroupParent(),
		"parent cgroup of new containers on every hierarchy (default $"+CgroupParentEnv+", else jinn)")
	f.String("criu", "criu", "unused, for runc compatibility")
	f.String("rootless", "auto", "unused, for runc compatibility")
	return root
}

func (g *Global) setup() error {
	level := slog.LevelWarn
	if g.Debug {
		level = slog.LevelDebug
	}
	var w io.Writer = os.Stderr
	if g.Log != "" {
		f, err := os.OpenFile(g.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log %s: %w", g.Log, err)
		}
		w, g.logFile = f, f
	}
	switch g.LogFormat {
	case "text", "json":
		g.logger = slog.New(newLogrusHandler(w, g.LogFormat == "json", level))
	default:
		g.logFile = nil
		return fmt.Errorf("unknown log-format %q", g.LogFormat)
	}
	// The OOM killer must pick a container's process, never the runtime.
	runtime.ProtectSelf()
	return cgroups.ValidParent(g.CgroupParent)
}

// CgroupParentEnv names the environment variable that sets jinn-runtime's
// default --cgroup-parent (cgroups.ParentEnv).
const CgroupParentEnv = cgroups.ParentEnv

// DefaultCgroupParent is $JINN_CGROUP_PARENT, else jinn.
func DefaultCgroupParent() string { return cgroups.ParentFromEnv() }

// exactArgs is cobra.ExactArgs with runc's wording.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s: %q requires exactly %d argument(s): %s", cmd.Name(), cmd.CommandPath(), n, what)
		}
		return nil
	}
}

func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("%s: %q requires a minimum of %d argument(s): %s", cmd.Name(), cmd.CommandPath(), n, what)
		}
		return nil
	}
}

// oneP gives the commands that start a container init (run, create,
// exec) a single P. They mostly wait, for the init and the kernel, and
// with a second P each return from a blocking syscall also wakes an idle
// thread to spin for work while sysmon keeps polling: measured on `run`,
// 25% fewer context switches and 12% less CPU (bench/runtime.sh). Not for
// every command: the change stops the world and starts a thread, ~0.5 ms
// that state, kill or delete would not win back.
func oneP() { goruntime.GOMAXPROCS(1) }
