package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/image"
)

type buildFlags struct {
	tags, buildArgs, labels []string
	file, target, network   string
	progress, iidfile       string
	noCache, quiet          bool
	rm, forceRm, pull       bool
	run                     buildRunFlags
}

// newBuildCmd is `jinn build` (also `jinn image build`).
func newBuildCmd(o *Options) *cobra.Command {
	bf := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | URL | -",
		Short: "Build an image from a Dockerfile",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, o, bf, args[0])
		},
	}
	f := cmd.Flags()
	stringArrayVarP(f, &bf.tags, "tag", "t", nil, `Name and optionally a tag in the "name:tag" format`)
	f.StringVarP(&bf.file, "file", "f", "", `Name of the Dockerfile (Default is "PATH/Dockerfile")`)
	stringArrayVar(f, &bf.buildArgs, "build-arg", nil, "Set build-time variables")
	f.StringVar(&bf.target, "target", "", "Set the target build stage to build.")
	f.BoolVar(&bf.noCache, "no-cache", false, "Do not use cache when building the image")
	stringArrayVar(f, &bf.labels, "label", nil, "Set metadata for an image")
	f.StringVar(&bf.network, "network", "default", "Set the networking mode for the RUN instructions during build (default, none or host)")
	f.BoolVarP(&bf.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	f.StringVar(&bf.progress, "progress", "auto", "Set type of progress output (auto, plain)")
	f.StringVar(&bf.iidfile, "iidfile", "", "Write the image ID to the file")
	f.BoolVar(&bf.rm, "rm", true, "Remove intermediate containers after a successful build (always)")
	f.BoolVar(&bf.forceRm, "force-rm", false, "Always remove intermediate containers (always)")
	f.BoolVar(&bf.pull, "pull", false, "Always attempt to pull a newer version of the image (not supported)")
	bf.run.register(f)
	return cmd
}

// addImageBuild puts `build` under the `image` noun, making the noun if no
// other file did.
func addImageBuild(root *cobra.Command, o *Options) {
	for _, c := range root.Commands() {
		if c.Name() == "image" {
			c.AddCommand(newBuildCmd(o))
			return
		}
	}
	img := &cobra.Command{Use: "image", Short: "Manage images"}
	img.AddCommand(newBuildCmd(o))
	root.AddCommand(img)
}

func runBuild(cmd *cobra.Command, o *Options, bf *buildFlags, ctxArg string) error {
	if bf.progress != "auto" && bf.progress != "plain" && bf.progress != "tty" {
		return fmt.Errorf("invalid --progress %q: use auto or plain", bf.progress)
	}
	if bf.pull {
		return fmt.Errorf("--pull is not supported: the builder uses local images only")
	}
	for _, t := range bf.tags {
		if _, err := image.ParseRef(t); err != nil {
			return fmt.Errorf("invalid tag %q: %w", t, err)
		}
	}
	if ctxArg == "-" && bf.file == "-" {
		return fmt.Errorf("the context and the Dockerfile cannot both come from stdin")
	}
	opts := build.Options{
		Tags: bf.tags, Target: bf.target, NoCache: bf.noCache, Network: bf.network,
		Quiet: bf.quiet, Progress: bf.progress, Root: o.Root, RunRoot: o.RunRoot,
		BuildArgs: map[string]string{}, Labels: map[string]string{},
		Runtime: buildRuntime(cmd, o), CgroupParent: o.CgroupParent,
	}
	for _, a := range bf.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return fmt.Errorf("invalid --build-arg %q", a)
		}
		if ok {
			opts.BuildArgs[k] = v
		} else {
			opts.ArgsNoVal = append(opts.ArgsNoVal, k)
		}
	}
	for _, l := range bf.labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return fmt.Errorf("invalid --label %q", l)
		}
		opts.Labels[k] = v
	}
	if err := build.CheckNetwork(bf.network); err != nil {
		return err
	}
	if err := bf.run.apply(o, &opts, cmd.ErrOrStderr()); err != nil {
		return err
	}

	ctx, stop := interruptible(cmd)
	defer stop()
	store, err := openImageStore(o)
	if err != nil {
		return err
	}
	tmp := filepath.Join(o.Root, "build", "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	bctx, err := build.OpenContext(ctxArg, cmd.InOrStdin(), tmp)
	if err != nil {
		return err
	}
	defer bctx.Close()
	df, err := readDockerfile(cmd, bctx, bf.file, ctxArg)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	img, err := build.Build(ctx, store, bctx, df, opts, out)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build interrupted")
		}
		return err
	}
	id := img.ID.String()
	if bf.iidfile != "" {
		if err := os.WriteFile(bf.iidfile, []byte(id), 0o644); err != nil {
			return fmt.Errorf("write --iidfile: %w", err)
		}
	}
	for _, t := range bf.tags {
		if err := store.Tag(id, t); err != nil {
			return fmt.Errorf("tag %s: %w", t, err)
		}
	}
	if bf.quiet {
		fmt.Fprintln(out, id)
		return nil
	}
	fmt.Fprintf(out, "Successfully built %s\n", strings.TrimPrefix(id, "sha256:")[:12])
	for _, t := range bf.tags {
		fmt.Fprintf(out, "Successfully tagged %s\n", image.Familiar(mustNormal(t)))
	}
	return nil
}

func mustNormal(t string) string {
	if n, err := image.ParseRef(t); err == nil {
		return n.String()
	}
	return t
}

// readDockerfile finds the Dockerfile: -f (a path, or "-" for stdin), the
// lone Dockerfile given on stdin, or PATH/Dockerfile.
func readDockerfile(cmd *cobra.Command, bctx *build.Context, file, ctxArg string) ([]byte, error) {
	switch {
	case file == "-":
		return io.ReadAll(cmd.InOrStdin())
	case bctx.Dockerfile != nil:
		return bctx.Dockerfile, nil
	case file == "":
		file = filepath.Join(bctx.Dir, "Dockerfile")
	case !filepath.IsAbs(file) && ctxArg != "-" && isDir(ctxArg):
		// docker: a relative -f is taken from the current directory.
	default:
		if !filepath.IsAbs(file) {
			file = filepath.Join(bctx.Dir, file)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	return data, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// buildRuntime picks the OCI runtime for RUN: --runtime when given, else
// jinn-runtime next to this binary, else runc from PATH.
func buildRuntime(cmd *cobra.Command, o *Options) string {
	if f := cmd.Flags().Lookup("runtime"); f != nil && f.Changed {
		return o.Runtime
	}
	if env := os.Getenv("JINN_BUILD_RUNTIME"); env != "" {
		return env
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "jinn-runtime")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("runc"); err == nil {
		return p
	}
	return o.Runtime
}
