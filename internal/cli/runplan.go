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
// ports, a bridge, is the Go path's alone). Each was vetted along its Go
// path (create flags -> engine -> spec, monitor config, network files):
// every write it makes lands at a recorded seam, every read is of what
// the key holds (the argv, the environment but `_`, the image's committed
// layers under images.json and the snapshot index, the host's hosts,
// resolv.conf; a container's hostname is its id's, --network host's too).
// runPlanValues refuses the forms that are not.
//
//	flag                  writes                       reads
//	--rm --name           records, names (seams)       -
//	-e/--env K=V          config.json, spec env        argv
//	-e/--env K            same                         the environment (not `_`: unkeyed)
//	-w/--workdir          config.json, spec cwd        the rootfs (image layers: checkExecutable)
//	-u/--user             config.json, spec user       the rootfs's passwd/group (resolveUser)
//	--entrypoint          config.json, spec args       the rootfs (checkExecutable)
//	-h/--hostname         config.json, hostname, hosts -
//	-l/--label            config.json, events          argv
//	-m/--memory           config.json, spec resources  - (the runtime applies it)
//	--pids-limit          same                         -
//	--cap-add/--cap-drop  config.json, spec caps       -
//	--read-only           config.json, spec root       -
//	--tmpfs               config.json, spec mounts     - (the runtime mounts it; no volume)
//	--ulimit              config.json, spec rlimits    -
//	--add-host            config.json, hosts           - (host-gateway: a constant per mode)
//	--dns --dns-search    config.json, resolv.conf     -
//	--dns-option          same                         -
//	--stop-signal         config.json                  -
//	--stop-timeout        config.json                  -
//	--log-driver          config.json, monitor config  json-file only (the one there is)
//	--log-opt             same                         max-size, max-file only
//	--security-opt        config.json, spec            no-new-privileges only (no FILE form)
//	--network none|host   network files (seam)         host: /etc/hosts, resolv.conf (keyed)
//
// Left out: --cpus (validate reads runtime.NumCPU, the caller's CPU
// affinity, which the key does not hold), and every flag naming a host
// file, device, container, volume, port or cgroup.
var runPlanFlags = map[string]bool{
	"rm": true, "network": true, "net": true, "name": true,
	"env": true, "workdir": true, "user": true, "entrypoint": true, "hostname": true,
	"label": true, "memory": true, "pids-limit": true, "cap-add": true, "cap-drop": true,
	"read-only": true, "tmpfs": true, "ulimit": true, "add-host": true, "dns": true,
	"dns-search": true, "dns-option": true, "stop-signal": true, "stop-timeout": true,
	"log-driver": true, "log-opt": true, "security-opt": true,
}

// runPlanValues says whether the admitted flags' values are all of the
// forms vetted above.
func runPlanValues(f *createFlags) bool {
	if len(f.network) != 1 || (f.network[0] != "none" && f.network[0] != "host") {
		return false
	}
	for _, kv := range f.env {
		if kv == "_" {
			return false // the one variable the key leaves out
		}
	}
	if f.logDriver != "json-file" {
		return false // the one driver there is: others are refused in Go
	}
	for _, o := range f.logOpts {
		k, _, _ := strings.Cut(o, "=")
		switch k {
		case "max-size", "max-file":
		default:
			return false
		}
	}
	for _, o := range f.securityOpt {
		switch o {
		case "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true",
			"no-new-privileges=false", "no-new-privileges:false":
		default:
			return false
		}
	}
	return true
}

// runPlanGlobal are the global flags it may set.
var runPlanGlobal = map[string]bool{"root": true, "runroot": true}

// beginRunPlan starts recording the run if its command line is eligible
// for the CLI's run plan (internal/cliplan) and plans are on: `run --rm
// --network none|host IMAGE [CMD...]`, attached, no terminal, no stdin,
// with at most the flags of runPlanFlags (in their vetted forms) and the
// global --root/--runroot besides.
func (o *Options) beginRunPlan(c *cobra.Command, f *createFlags, detach bool) {
	if cliplan.Dir() == "" || detach || o.eng != nil {
		return
	}
	ok := true
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
	if !ok || !f.rm || !runPlanValues(f) || os.Geteuid() != 0 {
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
