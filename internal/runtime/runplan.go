package runtime

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/plandir"
)

// The run plan: what `jinn-runtime run` of the common case does, left by
// the Go run for the C run (cmd/jinn-runtime/run.c), which serves the
// next run of the same config in the binary's ELF constructor, before the
// Go runtime starts. The Go code decides everything; the C code checks
// that the plan's key still holds and replays it:
//   - the key: the exact bytes of config.json and the bundle (the id and
//     its prefix written into their holes, see idHoles), --root,
//     the cgroup parent, the binary (/proc/self/exe's device, inode, size
//     and time, as the seccomp cache), the boot (the kernel's facts: its
//     last capability, its seccomp arch), the mount namespace, the cgroup
//     hierarchies and their roots (as the layout cache), the runtime's
//     oom_score_adj as ProtectSelf leaves it;
//   - the state directory and its cgroup record, the clone flags, the C
//     init's plan (cinit.go) in its parts, the cgroup directories and
//     limit writes (cgroups.PlanRun), state.json and the delete plan with
//     holes for the pid, its start time and the creation time.
//
// One plan per --root, bundle, id length and config (the file's name is a
// hash of them, with the id and its 12-byte prefix blanked out of the
// bundle and the config, so that the engine's containers of one config
// share a plan; the
// id and its prefix are holes in the plan, see idHoles),
// at most runPlansKept in all, in a directory
// of root's that nobody else may write (JINN_RUNTIME_PLAN_DIR, default
// /run/jinn-runtime-plans; a relative value turns plans off), not in
// --root: the runtime tests want a root empty once its containers are
// deleted. Written only where the C run can do all of it; see
// runPlanEligible for what it leaves to Go.
const (
	runPlanMagic  = "jinn-run 1"
	runPlanDirEnv = "JINN_RUNTIME_PLAN_DIR"
	runPlanDirDef = "/run/jinn-runtime-plans"
	// Holes of the templates: bytes JSON and the delete plan never hold.
	holePid, holeStart, holeCreated = "\x01", "\x02", "\x03"
	// What the id's bytes are in the bundle hashed into the plan's name.
	holeBundle = 0x01
	// The id's prefix the engine uses (hostname, HOSTNAME): a hole too.
	idPrefixLen = 12
)

// idPrefix is the id's prefix that is a hole of its own, "" if none (an
// id no longer than it).
func idPrefix(id string) string {
	if len(id) <= idPrefixLen {
		return ""
	}
	return id[:idPrefixLen]
}

// findIDHoles scans b from the left: where the id is, a hole; else where
// its prefix is, a prefix hole (run.c: blank_id does the same scan).
func findIDHoles(b []byte, id string) (holes, prefixHoles []int) {
	pre := idPrefix(id)
	for i := 0; i < len(b); {
		switch {
		case bytes.HasPrefix(b[i:], []byte(id)):
			holes = append(holes, i)
			i += len(id)
		case pre != "" && bytes.HasPrefix(b[i:], []byte(pre)):
			prefixHoles = append(prefixHoles, i)
			i += len(pre)
		default:
			i++
		}
	}
	return holes, prefixHoles
}

// fillIDHoles is b with other (as long as id) written where id was, and
// its prefix where id's prefix was.
func fillIDHoles(b []byte, id, other string) []byte {
	holes, pre := findIDHoles(b, id)
	return writeIDAt(b, holes, pre, other)
}

// writeIDAt is b with other written at holes and its prefix at pre.
func writeIDAt(b []byte, holes, pre []int, other string) []byte {
	out := bytes.Clone(b)
	for _, o := range holes {
		copy(out[o:], other)
	}
	for _, o := range pre {
		copy(out[o:], other[:idPrefixLen])
	}
	return out
}

// RunPlanFile is where the run plan of a run of id from bundle under root
// with config goes, "" if nowhere: every id of that length whose bundle
// and config differ only where this id (or its prefix) is shares it.
func RunPlanFile(root, bundle, id string, config []byte) string {
	dir := runPlanDirDef
	if v, ok := os.LookupEnv(runPlanDirEnv); ok {
		dir = v
	}
	if !filepath.IsAbs(dir) || !filepath.IsAbs(root) {
		return ""
	}
	h := fnv.New64a()
	blank := bytes.Repeat([]byte{holeBundle}, len(id))
	b := fillIDHoles([]byte(bundle), id, string(blank))
	h.Write([]byte(root + "\x00" + string(b) + "\x00" + strconv.Itoa(len(id)) + "\x00"))
	h.Write(fillIDHoles(config, id, string(blank)))
	return filepath.Join(dir, fmt.Sprintf("run-%016x", h.Sum64()))
}

// runPlanInput is what Create knew when it made the container.
type runPlanInput struct {
	o          *CreateOpts
	c          *Container
	mgr        cgroups.Manager
	parts      [][]byte // the C init's, as sent
	limitsLate bool
	cloneflags uintptr
	// probe plans the C init for another id, its spec and state (its
	// config, bundle, rootfs) and its tasks files.
	probe func(id string, spec *specs.Spec, st State, tasks []string) ([][]byte, error)
	cg    *cgroups.RunPlan // the cgroups' plan, once encoded
	like  *cgroups.RunPlan // the probe's: the real id's cgroups' plan
}

// runPlanEligible says whether the C run can do what this create did.
// Everything else stays Go's: hooks, a terminal, preserved or
// socket-activation fds, a user namespace, namespaces joined by path but
// for network, ipc and uts (cRunJoins), a time namespace, no
// new pid namespace (CVE-2019-5736: only the init may exist in the
// container before the user program's execve), systemd or cgroup2
// hierarchies, LSM labels (Go warns), rootless.
func (r *Runtime) runPlanEligible(in *runPlanInput) bool {
	s, o := in.c.State.Spec, in.o
	h := hooksOf(s)
	nhooks := len(h.Prestart) + len(h.CreateRuntime) + len(h.CreateContainer) + len(h.StartContainer) +
		len(h.Poststart) + len(h.Poststop)
	f := in.cloneflags
	return os.Geteuid() == 0 && nhooks == 0 && in.mgr != nil && !r.SystemdCgroup && joinsOK(s) &&
		(len(in.parts) == 2 || len(in.parts) == 3 && in.limitsLate) &&
		!s.Process.Terminal && s.Process.ApparmorProfile == "" && s.Process.SelinuxLabel == "" &&
		o.PreserveFDs == 0 && listenFDs() == 0 && o.Stdio == nil && o.Console == nil &&
		!o.NoPivot && !o.NoNewKeyring && os.Getenv("NOTIFY_SOCKET") == "" &&
		f&unix.CLONE_NEWPID != 0 && f&unix.CLONE_NEWNS != 0 && f&unix.CLONE_NEWUSER == 0 && joinsCgroupLate(s)
}

// cJoinable are the namespaces the C run joins by path itself: its child
// opens the path and setns(2)s into it with the type given, so that a
// path of another type fails as the nsexec stage's does, before the
// init's exec. The others need a fork (pid), come before the rest (user)
// or are refused by the C init (mount, cgroup, time).
var cJoinable = map[specs.LinuxNamespaceType]bool{
	specs.NetworkNamespace: true, specs.IPCNamespace: true, specs.UTSNamespace: true,
}

// cRunJoins are the namespaces s joins by path, in the nsexec stage's
// order (joinOrder); false if the C run cannot join them all or s wants a
// new time namespace (nsexec's too).
func cRunJoins(s *specs.Spec) ([]specs.LinuxNamespace, bool) {
	var joins []specs.LinuxNamespace
	for _, t := range joinOrder {
		ns, ok := nsOf(s, t)
		switch {
		case !ok:
		case t == specs.TimeNamespace:
			return nil, false
		case ns.Path == "":
		case !cJoinable[t] || strings.ContainsAny(ns.Path, "\n\r\t\x00"):
			return nil, false
		default:
			joins = append(joins, ns)
		}
	}
	return joins, true
}

func joinsOK(s *specs.Spec) bool {
	_, ok := cRunJoins(s)
	return ok
}

// writeRunPlan leaves the plan of this run for the next, if the C run can
// replay it; a failure only means the next run is Go's too.
func (r *Runtime) writeRunPlan(in *runPlanInput) {
	file := RunPlanFile(r.Root, in.c.State.Bundle, in.c.State.ID, in.c.State.Config)
	if file == "" || !r.runPlanEligible(in) {
		return
	}
	body, ok := r.encodeRunPlan(in)
	if !ok {
		return
	}
	b := fmt.Appendf(nil, "%s\nholes %d", runPlanMagic, len(in.c.State.ID))
	holes, prefixHoles := r.idHoles(in, body)
	for _, o := range holes {
		b = fmt.Appendf(b, " %d", o)
	}
	b = append(b, "\nprefix"...)
	for _, o := range prefixHoles {
		b = fmt.Appendf(b, " %d", o)
	}
	b = append(append(b, '\n'), body...)
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	trusted := plandir.Owned(fd, unix.S_IFDIR)
	unix.Close(fd)
	if !trusted {
		return
	}
	if _, err := os.Lstat(file); err != nil {
		plandir.Prune(dir, "run-", runPlansKept)
	}
	_ = atomicfile.WriteFile(file, b, 0o600)
}

// runPlansKept bounds the plans of roots gone or unused: one per root,
// and at most this many roots.
const runPlansKept = 64

func (r *Runtime) encodeRunPlan(in *runPlanInput) ([]byte, bool) {
	c := in.c
	var res *specs.LinuxResources
	if lr := c.State.Spec.Linux.Resources; lr != nil {
		x := *lr
		x.Devices = allowedDevices(c.State.Spec)
		res = &x
	}
	var cg *cgroups.RunPlan
	var ok bool
	if in.like != nil {
		cg, ok = cgroups.PlanRunLike(in.mgr, in.like)
	} else {
		cg, ok = cgroups.PlanRun(in.mgr, res)
	}
	if !ok {
		return nil, false
	}
	in.cg = cg
	var exe, mntns unix.Stat_t
	if unix.Stat("/proc/self/exe", &exe) != nil || unix.Stat("/proc/self/ns/mnt", &mntns) != nil {
		return nil, false
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return nil, false
	}
	oom := os.Getenv(oomScoreEnv)
	if oom == "" {
		oom = "-"
	}
	var b bytes.Buffer
	line := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	line("exe %d %d %d %d %d", exe.Dev, exe.Ino, exe.Size, exe.Mtim.Sec, exe.Mtim.Nsec)
	line("root %s", r.Root)
	line("bundle %s", c.State.Bundle)
	line("id %s", c.State.ID)
	line("parent %s", r.cgroupParent())
	line("mntns %d %d", mntns.Dev, mntns.Ino)
	line("boot %s", strings.TrimSpace(string(boot)))
	line("hier %s", cg.Hierarchies)
	for _, m := range cg.Roots {
		line("mnt %d %d %s", m.Dev, m.Ino, m.Mount)
	}
	line("oom %s", oom)
	line("clone %d", in.cloneflags)
	line("late %d", b2i(len(in.parts) == 3))
	joins, _ := cRunJoins(c.State.Spec)
	for _, ns := range joins {
		line("join %d %s", cloneFlag[ns.Type], ns.Path)
	}
	for _, d := range cg.Dirs {
		line("dir %s", d)
	}
	if cg.Cpuset != "" {
		line("cpuset %s", cg.Cpuset)
	}
	if cg.Unified != "" {
		line("v2ctl %s\t%s", cg.UnifiedMount, cg.Controllers)
		line("v2dir %s", cg.Unified)
		kind := map[bool]string{false: "v2enable", true: "v2each"}[cg.Loose]
		for _, d := range cg.Enable {
			line("%s %s", kind, d)
		}
	}
	for _, w := range cg.Writes {
		line("write %s\t%s", filepath.Join(w.Dir, w.File), w.Data)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Count(l, "\t") > 1 || strings.ContainsAny(l, "\x00\r") {
			return nil, false
		}
	}
	state, ok := stateTemplate(c.State)
	if !ok {
		return nil, false
	}
	del, ok := deletePlanText(c, in.mgr, holePid, holeStart)
	if !ok {
		return nil, false
	}
	blob := func(name string, v []byte) {
		line("blob %s %d", name, len(v))
		b.Write(v)
		b.WriteByte('\n')
	}
	blob("config", c.State.Config)
	blob("cgrec", []byte(c.State.CgroupParent+"\n"+c.State.Cgroup))
	for _, p := range in.parts {
		blob("part", p)
	}
	blob("state", state)
	blob("delete", []byte(del))
	line("end")
	return b.Bytes(), true
}

// idHoles are the offsets in body where the id goes, and where its
// 12-byte prefix goes (the engine's hostname), so that a run of another
// id of the same length can use the plan: every place the id flows into
// (the state dir, a default cgroupsPath, the keyring's name, and whatever
// of the bundle's path and config.json bytes holds it: the engine's
// rootfs, cgroupsPath, network namespace, hosts files, hostname) is a
// path or a name. Found where body has the id or its prefix, and proved by
// planning a probe id with the probe's bundle and config (each the real
// one with the probe written where the id and its prefix were): body with
// the probe written at the holes must be the probe's plan, byte for byte.
// None (the plan is for this id only) if the probe's differs anywhere
// else. The config bytes are in body, so the C run, which writes its id
// into the holes and then compares the config.json it reads with the
// plan's, runs only a config that is the template with its id written in.
func (r *Runtime) idHoles(in *runPlanInput, body []byte) (holes, prefixHoles []int) {
	id := in.c.State.ID
	probe := []byte(id)
	for i := range probe {
		probe[i] = 'x'
		if id[i] == 'x' {
			probe[i] = 'y'
		}
	}
	if in.probe == nil || strings.Contains(id, string(probe)) {
		return nil, nil
	}
	st := in.c.State
	pst := st
	pst.ID = string(probe)
	pst.Config = fillIDHoles(st.Config, id, pst.ID)
	pst.Bundle = string(fillIDHoles([]byte(st.Bundle), id, pst.ID))
	var ps specs.Spec
	if decodeSpec(pst.Config, &ps) != nil || ps.Linux == nil || ps.Root == nil || ps.Process == nil {
		return nil, nil
	}
	absMountDests(&ps)
	// The seccomp program is compiled once, from the real spec.
	if !reflect.DeepEqual(ps.Linux.Seccomp, st.Spec.Linux.Seccomp) {
		return nil, nil
	}
	pst.Spec, pst.Rootfs = &ps, rootfsPath(&ps, pst.Bundle)
	pc := &Container{Dir: filepath.Join(r.Root, pst.ID), State: pst, layout: in.c.layout, lock: -1}
	mgr, err := r.cgroup(pc)
	if err != nil || mgr == nil {
		return nil, nil
	}
	pc.State.Cgroup = mgr.Path()
	parts, err := in.probe(pst.ID, &ps, pc.State, cgroups.LateTaskPaths(mgr))
	if err != nil {
		return nil, nil
	}
	pin := *in
	pin.c, pin.mgr, pin.parts, pin.like = pc, mgr, parts, in.cg
	want, ok := r.encodeRunPlan(&pin)
	if !ok || len(want) != len(body) {
		return nil, nil
	}
	holes, prefixHoles = findIDHoles(body, id)
	if !bytes.Equal(writeIDAt(body, holes, prefixHoles, pst.ID), want) {
		return nil, nil
	}
	return holes, prefixHoles
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// stateTemplate is st's state.json with holes for the pid, the start time
// and the creation time; false if the sentinels are not each found once.
func stateTemplate(st State) ([]byte, bool) {
	const pid, start = 1234567891, 98765432109876543
	created := time.Date(2099, 1, 2, 3, 4, 5, 678901234, time.UTC)
	st.Pid, st.StartTime, st.Created = pid, start, created
	b := string(st.marshal())
	if strings.ContainsAny(b, holePid+holeStart+holeCreated) {
		return nil, false
	}
	for _, h := range [][2]string{
		{strconv.Itoa(pid), holePid}, {strconv.FormatUint(start, 10), holeStart},
		{created.Format(time.RFC3339Nano), holeCreated},
	} {
		if strings.Count(b, h[0]) != 1 {
			return nil, false
		}
		b = strings.Replace(b, h[0], h[1], 1)
	}
	return []byte(b), true
}
