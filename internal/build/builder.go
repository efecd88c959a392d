package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/image"
)

// Options are `jinn build`'s flags.
type Options struct {
	Dockerfile string            // -f: path, "" for <context>/Dockerfile, "-" for stdin
	Tags       []string          // -t
	BuildArgs  map[string]string // --build-arg K=V
	ArgsNoVal  []string          // --build-arg K: taken from the environment
	Target     string            // --target
	NoCache    bool              // --no-cache
	Labels     map[string]string // --label
	Network    string            // --network: "default", "none" or "host"
	Quiet      bool              // -q
	Progress   string            // auto or plain
	Runtime    string            // the OCI runtime binary RUN drives
	RunRoot    string            // the runtime's state root
	Root       string            // the store root (for the cache and temp dirs)
	// CgroupParent is the cgroup RUN steps go under ("jinn" if empty).
	CgroupParent string
	// ExtraHosts are --add-host name:ip entries of the RUN steps'
	// /etc/hosts (host-gateway: the host, on the host's network only).
	ExtraHosts []string
	// Step lays docker build's limits of RUN steps (memory, CPU, ulimits,
	// security options, /dev/shm) over each step's spec; nil leaves the
	// recipe's. The engine's StepLimits.Apply is the one.
	Step func(*specs.Spec) error
}

// Builder runs builds against one image store.
type Builder struct {
	store *image.Store
	cache *Cache
	opts  Options
	out   *printer
	df    *Dockerfile
	ctxt  *Context
	// built holds each finished stage's image (nil for an empty scratch).
	built []*image.Image
	used  map[string]bool // build args consumed
	steps int             // total steps, for "Step N/M"
	step  int
	tmp   string
}

// Build runs a build and returns the final image. out gets the progress
// and RUN output.
func Build(ctx context.Context, store *image.Store, bctx *Context, dfData []byte, opts Options, out io.Writer) (*image.Image, error) {
	df, err := Parse(strings.NewReader(string(dfData)))
	if err != nil {
		return nil, err
	}
	last := len(df.Stages) - 1
	if opts.Target != "" {
		last = -1
		for i, s := range df.Stages {
			if s.Name == strings.ToLower(opts.Target) {
				last = i
			}
		}
		if last < 0 {
			return nil, fmt.Errorf("target stage %q could not be found", opts.Target)
		}
	}
	tmp := filepath.Join(opts.Root, "build", "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("build temp dir: %w", err)
	}
	b := &Builder{
		store: store, cache: OpenCache(opts.Root), opts: opts, df: df, ctxt: bctx,
		out: newPrinter(out, opts), used: map[string]bool{}, tmp: tmp,
	}
	for i := 0; i <= last; i++ {
		b.steps += 1 + len(df.Stages[i].Instrs)
	}
	b.steps += len(opts.Labels)
	meta, err := b.metaArgs()
	if err != nil {
		return nil, err
	}
	var img *image.Image
	for i := 0; i <= last; i++ {
		img, err = b.buildStage(ctx, df.Stages[i], meta)
		if err != nil {
			return nil, err
		}
		b.built = append(b.built, img)
	}
	if len(opts.Labels) > 0 {
		img, err = b.addLabels(ctx, img)
		if err != nil {
			return nil, err
		}
	}
	if img == nil {
		return nil, fmt.Errorf("the build produced an empty image (FROM scratch with no changes)")
	}
	b.warnUnusedArgs()
	return img, nil
}

// metaArgs evaluates the ARGs before the first FROM: usable in FROM lines,
// and re-declarable (without value) inside a stage.
func (b *Builder) metaArgs() (map[string]string, error) {
	v := &vars{args: map[string]string{}, lex: shell.NewLex(b.df.Escape)}
	for _, in := range b.df.MetaArgs {
		if err := b.declareArgs(in, v, nil); err != nil {
			return nil, err
		}
	}
	return v.args, nil
}

// declareArgs handles an ARG line: NAME or NAME=default, overridden by
// --build-arg; inside a stage a bare NAME takes the global (meta) value.
func (b *Builder) declareArgs(in *Instruction, v *vars, meta map[string]string) error {
	for _, a := range in.Args {
		k, def, hasDef := strings.Cut(a, "=")
		if k == "" {
			return fmt.Errorf("line %d: ARG requires a name", in.Line)
		}
		if hasDef {
			d, err := v.word(def)
			if err != nil {
				return fmt.Errorf("line %d: %w", in.Line, err)
			}
			def = d
		} else if mv, ok := meta[k]; ok {
			def, hasDef = mv, true
		} else if pv, ok := platformArg(k); ok {
			def, hasDef = pv, true
		}
		if val, ok := b.buildArg(k); ok {
			def, hasDef = val, true
		}
		if hasDef {
			v.args[k] = def
		} else {
			v.args[k] = ""
		}
	}
	return nil
}

func (b *Builder) buildArg(k string) (string, bool) {
	if val, ok := b.opts.BuildArgs[k]; ok {
		b.used[k] = true
		return val, true
	}
	for _, n := range b.opts.ArgsNoVal {
		if n == k {
			b.used[k] = true
			return os.LookupEnv(k)
		}
	}
	return "", false
}

func (b *Builder) warnUnusedArgs() {
	var unused []string
	for k := range b.opts.BuildArgs {
		if !b.used[k] {
			unused = append(unused, k)
		}
	}
	for _, k := range b.opts.ArgsNoVal {
		if !b.used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		b.out.warn(fmt.Sprintf("[Warning] One or more build-args %v were not consumed", unused))
	}
}

// stageByName finds an earlier, finished stage by name or index.
func (b *Builder) stageByName(name string) (*image.Image, bool, error) {
	name = strings.ToLower(name)
	for i, s := range b.df.Stages {
		if i >= len(b.built) {
			break
		}
		if s.Name == name || fmt.Sprint(i) == name {
			return b.built[i], true, nil
		}
	}
	for i := len(b.built); i < len(b.df.Stages); i++ {
		if s := b.df.Stages[i]; s.Name == name {
			return nil, false, fmt.Errorf("stage %q is used before it is built (stages can only refer to earlier ones)", name)
		}
	}
	return nil, false, nil
}

// resolveImage finds a base image in the store.
func (b *Builder) resolveImage(ref string) (*image.Image, error) {
	img, err := b.store.Get(ref)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("image %s not found in the local store (load or pull it first)", ref)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	return img, nil
}

// platformArg is buildkit's automatic platform ARGs (TARGETARCH, ...): set
// when declared without a value; jinn builds for the host's platform.
func platformArg(k string) (string, bool) {
	p := image.DefaultPlatform()
	plat := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		plat += "/" + p.Variant
	}
	switch k {
	case "TARGETPLATFORM", "BUILDPLATFORM":
		return plat, true
	case "TARGETOS", "BUILDOS":
		return p.OS, true
	case "TARGETARCH", "BUILDARCH":
		return p.Architecture, true
	case "TARGETVARIANT", "BUILDVARIANT":
		return p.Variant, true
	}
	return "", false
}
