package runtime

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
)

// The run plan: what `jinn-runtime run` of the common case does, left by
// the Go run for the C run (cmd/jinn-runtime/run.c), which serves the
// next run of the same bundle in the binary's ELF constructor, before the
// Go runtime starts. The Go code decides everything; the C code checks
// that the plan's key still holds and replays it:
//   - the key: the exact bytes of config.json, the bundle, the id, --root,
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
// One plan per --root, bundle and id length (the file's name is a hash of
// them; the id is a hole in the plan, see idHoles),
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
)

// RunPlanFile is where the run plan of a run from bundle under root with
// an id of idLen bytes goes, "" if nowhere.
func RunPlanFile(root, bundle string, idLen int) string {
	dir := runPlanDirDef
	if v, ok := os.LookupEnv(runPlanDirEnv); ok {
		dir = v
	}
	if !filepath.IsAbs(dir) || !filepath.IsAbs(root) {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(root + "\x00" + bundle + "\x00" + strconv.Itoa(idLen) + "\x00"))
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
	nsexec     bool // the nsexec stage ran (joins, a time namespace)
	// probe plans the C init for another id (and its tasks files).
	probe func(id string, tasks []string) ([][]byte, error)
	cg    *cgroups.RunPlan // the cgroups' plan, once encoded
	like  *cgroups.RunPlan // the probe's: the real id's cgroups' plan
}

// runPlanEligible says whether the C run can do what this create did.
// Everything else stays Go's: hooks, a terminal, a pid file, preserved or
// socket-activation fds, a user namespace, namespaces joined by path, no
// new pid namespace (CVE-2019-5736: only the init may exist in the
// container before the user program's execve), systemd or cgroup2
// hierarchies, LSM labels (Go warns), rootless.
func (r *Runtime) runPlanEligible(in *runPlanInput) bool {
	s, o := in.c.State.Spec, in.o
	h := hooksOf(s)
	nhooks := len(h.Prestart) + len(h.CreateRuntime) + len(h.CreateContainer) + len(h.StartContainer) +
		len(h.Poststart) + len(h.Poststop)
	f := in.cloneflags
	return os.Geteuid() == 0 && nhooks == 0 && in.mgr != nil && !r.SystemdCgroup && !in.nsexec &&
		(len(in.parts) == 2 || len(in.parts) == 3 && in.limitsLate) &&
		!s.Process.Terminal && s.Process.ApparmorProfile == "" && s.Process.SelinuxLabel == "" &&
		o.PidFile == "" && o.PreserveFDs == 0 && listenFDs() == 0 && o.Stdio == nil && o.Console == nil &&
		!o.NoPivot && !o.NoNewKeyring && os.Getenv("NOTIFY_SOCKET") == "" &&
		f&unix.CLONE_NEWPID != 0 && f&unix.CLONE_NEWNS != 0 && f&unix.CLONE_NEWUSER == 0 && joinsCgroupLate(s)
}

// writeRunPlan leaves the plan of this run for the next, if the C run can
// replay it; a failure only means the next run is Go's too.
func (r *Runtime) writeRunPlan(in *runPlanInput) {
	file := RunPlanFile(r.Root, in.c.State.Bundle, len(in.c.State.ID))
	if file == "" || !r.runPlanEligible(in) {
		return
	}
	body, ok := r.encodeRunPlan(in)
	if !ok {
		return
	}
	b := fmt.Appendf(nil, "%s\nholes %d", runPlanMagic, len(in.c.State.ID))
	for _, o := range r.idHoles(in, body) {
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
	trusted := ours(fd, unix.S_IFDIR)
	unix.Close(fd)
	if !trusted {
		return
	}
	if _, err := os.Lstat(file); err != nil {
		prunePlans(dir)
	}
	_ = atomicfile.WriteFile(file, b, 0o600)
}

// runPlansKept bounds the plans of roots gone or unused: one per root,
// and at most this many roots.
const runPlansKept = 64

// prunePlans removes the oldest plans of dir once it holds runPlansKept,
// before a new root's plan is added.
func prunePlans(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < runPlansKept {
		return
	}
	type plan struct {
		name string
		when int64
	}
	var ps []plan
	for _, e := range ents {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "run-") {
			ps = append(ps, plan{e.Name(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].when < ps[j].when })
	for i := 0; i+runPlansKept-1 < len(ps); i++ {
		os.Remove(filepath.Join(dir, ps[i].name))
	}
}

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

// idHoles are the offsets in body where the id goes, so that a run of
// another id of the same length can use the plan: every place the id
// flows into (the state dir, a default cgroupsPath, the keyring's name)
// is a path or a name. Found where body has the id and proved by planning
// a probe id: body with the probe written at the holes must be the
// probe's plan, byte for byte. None (the plan is for this id only) if the
// probe's differs anywhere else.
func (r *Runtime) idHoles(in *runPlanInput, body []byte) []int {
	id := in.c.State.ID
	probe := []byte(id)
	for i := range probe {
		probe[i] = 'x'
		if id[i] == 'x' {
			probe[i] = 'y'
		}
	}
	pc := &Container{Dir: filepath.Join(r.Root, string(probe)), State: in.c.State, layout: in.c.layout, lock: -1}
	pc.State.ID = string(probe)
	mgr, err := r.cgroup(pc)
	if err != nil || mgr == nil || in.probe == nil {
		return nil
	}
	pc.State.Cgroup = mgr.Path()
	parts, err := in.probe(pc.State.ID, cgroups.LateTaskPaths(mgr))
	if err != nil {
		return nil
	}
	pin := *in
	pin.c, pin.mgr, pin.parts, pin.like = pc, mgr, parts, in.cg
	want, ok := r.encodeRunPlan(&pin)
	if !ok || len(want) != len(body) {
		return nil
	}
	var holes []int
	got := bytes.Clone(body)
	for i := 0; i+len(id) <= len(body); {
		if string(body[i:i+len(id)]) != id {
			i++
			continue
		}
		holes = append(holes, i)
		copy(got[i:], probe)
		i += len(id)
	}
	if !bytes.Equal(got, want) {
		return nil
	}
	return holes
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
