package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/engine"
)

// runPlanFlags are the run flags an eligible command line may set (an
// allowlist: everything else, -d, -t, -i, volumes, mounts, env files,
// ports, a bridge, is the Go path's alone).
var runPlanFlags = map[string]bool{"rm": true, "network": true, "net": true, "name": true}

// runPlanGlobal are the global flags it may set.
var runPlanGlobal = map[string]bool{"root": true, "runroot": true}

// beginRunPlan starts recording the run if its command line is eligible
// for the CLI's run plan (internal/cliplan) and plans are on: `run --rm
// --network none IMAGE [CMD...]`, attached, no terminal, no stdin, with
// at most --name and the global --root/--runroot besides.
func (o *Options) beginRunPlan(c *cobra.Command, f *createFlags, detach bool) {
	if cliplan.Dir() == "" || detach || o.eng != nil {
		return
	}
	ok := true
	rm, nets := f.rm, f.network
	c.Flags().Visit(func(f *pflag.Flag) { // the global flags' too
		if !runPlanFlags[f.Name] && !runPlanGlobal[f.Name] {
			ok = false
		}
	})
	c.Root().PersistentFlags().Visit(func(f *pflag.Flag) {
		if !runPlanGlobal[f.Name] {
			ok = false
		}
	})
	if !ok || !rm || len(nets) != 1 || nets[0] != "none" || os.Geteuid() != 0 {
		return
	}
	r := cliplan.New()
	r.Key("argv", strings.Join(os.Args[1:], "\x00"))
	// The environment as this process got it (the CLI sets variables of
	// its own for its children, JINN_CGROUP_PARENT: the replay's spawn
	// op has them).
	env, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		return
	}
	o.recEnv = cliplan.KeyEnv(bytes.Split(bytes.TrimSuffix(env, []byte{0}), []byte{0}))
	r.Key("env", o.recEnv)
	r.KeyStat("/proc/self/exe")
	r.KeyFile("/proc/sys/kernel/random/boot_id")
	r.KeyLink("/proc/self/ns/mnt")
	// What the image ref resolves to, and the committed layers.
	r.KeyStat(filepath.Join(o.Root, "image", "images.json"))
	r.KeyStat(filepath.Join(o.Root, "snapshots", "meta.json"))
	o.rec = r
}

// endRunPlan offers what an eligible run recorded as a plan (a failed run
// offers none) and traces it.
func (o *Options) endRunPlan(err error) {
	r := o.rec
	if r == nil {
		return
	}
	res := r.Refused()
	// A container's own non-zero exit is a run like another.
	var ee *engine.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.Err == nil) {
		res = "run failed"
	}
	var p *cliplan.Plan
	if res == "" {
		ops, ok := r.Template()
		if !ok {
			res = "a value holds a marker byte"
		} else {
			p = &cliplan.Plan{Key: cliplan.Encode(r.KeyOps()), Ops: cliplan.Encode(ops)}
			res = cliplan.Offer(cliplan.File(os.Args[1:], o.recEnv), p)
		}
	}
	if t := os.Getenv(cliplan.TraceEnv); filepath.IsAbs(t) {
		if f, err := os.OpenFile(t, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			fmt.Fprintf(f, "go-run plan=%s file=%s\n", res, cliplan.File(os.Args[1:], o.recEnv))
			if p != nil {
				f.Write(cliplan.Dump(p.Ops))
			}
			f.Close()
		}
	}
}
