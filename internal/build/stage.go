package build

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/recipe"
)

// stage is the state while one stage is built: the image so far and the
// variables in scope.
type stage struct {
	b      *Builder
	img    *image.Image // nil while an empty scratch stage has no step yet
	cfg    image.Config
	layers []image.Layer
	v      *vars
	cmdSet bool // CMD set in this stage: ENTRYPOINT then keeps it
}

func (s *stage) parentID() string {
	if s.img == nil {
		return "scratch:" + s.cfg.Architecture
	}
	return s.img.ID.String()
}

func (s *stage) chainID() string {
	if len(s.layers) == 0 {
		return ""
	}
	return s.layers[len(s.layers)-1].ChainID.String()
}

func layersOf(img *image.Image) []image.Layer {
	var ls []image.Layer
	for i, d := range img.DiffIDs {
		var desc ocispec.Descriptor
		if i < len(img.Layers) {
			desc = img.Layers[i]
		}
		ls = append(ls, image.Layer{Blob: desc, DiffID: d, ChainID: image.ChainID(img.DiffIDs[:i+1])})
	}
	return ls
}

// adopt makes img the stage's current image.
func (s *stage) adopt(img *image.Image) {
	s.img = img
	s.cfg = img.Config
	s.cfg.History = append([]ocispec.History(nil), img.Config.History...)
	s.layers = layersOf(img)
	if s.v != nil {
		s.v.env = s.cfg.Config.Env
	}
}

func (b *Builder) buildStage(ctx context.Context, st *Stage, meta map[string]string) (*image.Image, error) {
	s := &stage{b: b, v: &vars{args: map[string]string{}, lex: shell.NewLex(b.df.Escape)}}
	b.step++
	b.out.step(b.step, b.steps, st.From.Original)
	fromV := &vars{args: meta, lex: s.v.lex}
	base, err := fromV.word(st.Base)
	if err != nil {
		return nil, b.stepErr(st.From, err)
	}
	if base == "" {
		return nil, b.stepErr(st.From, fmt.Errorf("base name (%s) should not be blank", st.Base))
	}
	plat := image.DefaultPlatform()
	if st.Platform != "" {
		p, err := fromV.word(st.Platform)
		if err == nil {
			plat, err = image.ParsePlatform(p)
		}
		if err != nil {
			return nil, b.stepErr(st.From, fmt.Errorf("--platform: %w", err))
		}
	}
	switch img, found, err := b.stageByName(base); {
	case err != nil:
		return nil, b.stepErr(st.From, err)
	case found && img != nil:
		s.adopt(img)
	case found || strings.EqualFold(base, "scratch"):
		s.cfg.OS, s.cfg.Architecture, s.cfg.Variant = plat.OS, plat.Architecture, plat.Variant
	default:
		img, err := b.resolveImage(base)
		if err != nil {
			return nil, b.stepErr(st.From, err)
		}
		if st.Platform != "" && img.Config.Architecture != "" && img.Config.Architecture != plat.Architecture {
			return nil, b.stepErr(st.From, fmt.Errorf("image %s is %s/%s, not the requested %s/%s", base,
				img.Config.OS, img.Config.Architecture, plat.OS, plat.Architecture))
		}
		s.adopt(img)
	}
	if s.img != nil {
		b.out.id(s.img.ID.String())
	}
	instrs := st.Instrs
	if s.img != nil && len(s.img.Config.Config.OnBuild) > 0 {
		trig, err := onBuildTriggers(s.img.Config.Config.OnBuild)
		if err != nil {
			return nil, b.stepErr(st.From, err)
		}
		b.steps += len(trig)
		instrs = append(trig, instrs...)
		s.cfg.Config.OnBuild = nil
	}
	for _, in := range instrs {
		b.step++
		b.out.step(b.step, b.steps, in.Original)
		if err := s.dispatch(ctx, in, meta); err != nil {
			return nil, b.stepErr(in, err)
		}
	}
	return s.img, nil
}

// onBuildTriggers parses the ONBUILD lines a base image carries.
func onBuildTriggers(lines []string) ([]*Instruction, error) {
	var out []*Instruction
	for _, l := range lines {
		res, err := parser.Parse(strings.NewReader(l + "\n"))
		if err != nil {
			return nil, fmt.Errorf("ONBUILD trigger %q: %w", l, err)
		}
		for _, n := range res.AST.Children {
			in, err := convert(n)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// StepError is a failed step: which one, and the RUN's exit code if any.
type StepError struct {
	Step     int
	Instr    string
	ExitCode int // -1 when not a RUN exit
	Err      error
}

func (e *StepError) Error() string {
	if e.ExitCode >= 0 {
		return fmt.Sprintf("step %d: %s: returned a non-zero code: %d", e.Step, e.Instr, e.ExitCode)
	}
	return fmt.Sprintf("step %d: %s: %v", e.Step, e.Instr, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

func (b *Builder) stepErr(in *Instruction, err error) error {
	se := &StepError{Step: b.step, Instr: in.Original, ExitCode: -1, Err: err}
	if ee, ok := err.(*recipe.ExitError); ok {
		se.ExitCode = ee.Code
	}
	return se
}

// commit records one step: on a cache hit the cached image is adopted;
// otherwise work (if any) makes a layer and a new image is stored. mutate
// changes the config for metadata steps.
func (s *stage) commit(ctx context.Context, cacheParts []string, createdBy string, mutate func(*image.Config) error, work layerWork) error {
	b := s.b
	key := Key(s.parentID(), cacheParts...)
	if !b.opts.NoCache {
		if id := b.cache.Get(key); id != "" {
			if img, err := b.store.Get(id); err == nil {
				b.out.cached(img.ID.String())
				s.adopt(img)
				return nil
			}
			b.cache.Drop(key)
		}
	}
	cfg := s.cfg
	cfg.Config.ImageConfig = cloneConfig(cfg.Config.ImageConfig)
	if mutate != nil {
		if err := mutate(&cfg); err != nil {
			return err
		}
	}
	layers := s.layers
	if work != nil {
		l, err := b.makeLayer(ctx, s, work)
		if err != nil {
			return err
		}
		layers = append(append([]image.Layer(nil), layers...), l)
	}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.History = append(cfg.History, ocispec.History{Created: &now, CreatedBy: createdBy, EmptyLayer: work == nil})
	var parent digest.Digest
	if s.img != nil {
		parent = s.img.ID
	}
	img, err := b.store.AddImage(ctx, cfg, layers, image.AddOptions{Parent: parent})
	if err != nil {
		return fmt.Errorf("store image: %w", err)
	}
	if err := b.cache.Put(key, img.ID.String()); err != nil {
		return err
	}
	b.out.id(img.ID.String())
	s.adopt(img)
	return nil
}

func cloneConfig(c ocispec.ImageConfig) ocispec.ImageConfig {
	c.Env = append([]string(nil), c.Env...)
	c.Entrypoint = append([]string(nil), c.Entrypoint...)
	c.Cmd = append([]string(nil), c.Cmd...)
	c.ExposedPorts = cloneSet(c.ExposedPorts)
	c.Volumes = cloneSet(c.Volumes)
	if c.Labels != nil {
		l := map[string]string{}
		for k, v := range c.Labels {
			l[k] = v
		}
		c.Labels = l
	}
	if len(c.Entrypoint) == 0 {
		c.Entrypoint = nil
	}
	if len(c.Cmd) == 0 {
		c.Cmd = nil
	}
	if len(c.Env) == 0 {
		c.Env = nil
	}
	return c
}

func cloneSet(m map[string]struct{}) map[string]struct{} {
	if m == nil {
		return nil
	}
	out := map[string]struct{}{}
	for k := range m {
		out[k] = struct{}{}
	}
	return out
}

// nop is docker's CreatedBy for a metadata step.
func nop(text string) string { return "/bin/sh -c #(nop) " + text }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// addLabels applies --label to the final image as docker's classic
// builder does: one more cached LABEL step per label, in key order.
func (b *Builder) addLabels(ctx context.Context, img *image.Image) (*image.Image, error) {
	s := &stage{b: b}
	if img != nil {
		s.adopt(img)
	}
	keys := make([]string, 0, len(b.opts.Labels))
	for k := range b.opts.Labels {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		kv := k + "=" + b.opts.Labels[k]
		b.step++
		b.out.step(b.step, b.steps, "LABEL "+kv)
		err := s.commit(ctx, []string{"LABEL", kv}, nop("LABEL "+kv), func(c *image.Config) error {
			if c.Config.Labels == nil {
				c.Config.Labels = map[string]string{}
			}
			c.Config.Labels[k] = b.opts.Labels[k]
			return nil
		}, nil)
		if err != nil {
			return nil, err
		}
	}
	return s.img, nil
}
