package test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// leakWatch counts, for one store, everything a container can leave on
// the host. It only looks at what the store made: paths under its --root
// and --runroot, the suite's cgroup parent, the store's bridges and
// nftables table, veths named from the ids it saw, processes naming the
// store. What the store had before the test (the image's layers, named
// volumes the test made on purpose) is the baseline, not a leak.
type leakWatch struct {
	j         *jinnEnv
	mu        sync.Mutex
	ids       map[string]bool // every container id the test saw
	networks  map[string]bool // user networks the test made (names)
	bridges   map[string]bool // their bridges
	snapshots map[string]bool // baseline snapshot dirs
	volumes   map[string]bool // baseline volumes
}

// leakRow is one line of the leak table.
type leakRow struct {
	what  string
	items []string
}

func newLeakWatch(j *jinnEnv) *leakWatch {
	w := &leakWatch{j: j, ids: map[string]bool{}, networks: map[string]bool{}, bridges: map[string]bool{}}
	w.rebase()
	return w
}

// rebase takes what the store has now as the baseline of snapshots and
// volumes (after the image is loaded and named volumes are made).
func (w *leakWatch) rebase() {
	w.snapshots = setOf(w.snapshotDirs())
	w.volumes = setOf(dirNames(filepath.Join(w.j.root, "volumes")))
}

// saw records a container id (full or the 12-character prefix is not
// enough: veth names are hashed from the full id).
func (w *leakWatch) saw(id string) {
	id = strings.TrimSpace(id)
	if len(id) != 64 {
		return
	}
	w.mu.Lock()
	w.ids[id] = true
	w.mu.Unlock()
}

// network records a user network the test made, and its bridge.
func (w *leakWatch) network(name string) {
	id := strings.TrimSpace(w.j.ok("network", "inspect", "-f", "{{.ID}}", name))
	w.mu.Lock()
	w.networks[name] = true
	if len(id) >= 11 {
		w.bridges["jbr-"+id[:11]] = true
	}
	w.mu.Unlock()
}

func setOf(a []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	return m
}

func dirNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func (w *leakWatch) snapshotDirs() []string {
	var out []string
	for _, n := range dirNames(filepath.Join(w.j.root, "snapshots")) {
		if fi, err := os.Stat(filepath.Join(w.j.root, "snapshots", n)); err == nil && fi.IsDir() && n != "active" {
			out = append(out, n)
		}
	}
	// active/ holds the links that name active snapshots (a container's).
	for _, n := range dirNames(filepath.Join(w.j.root, "snapshots", "active")) {
		out = append(out, "active/"+n)
	}
	return out
}

// count measures every kind of leak.
func (w *leakWatch) count() []leakRow {
	j := w.j
	w.mu.Lock()
	ids := make([]string, 0, len(w.ids))
	for id := range w.ids {
		ids = append(ids, id)
	}
	bridges := []string{}
	for b := range w.bridges {
		bridges = append(bridges, b)
	}
	w.mu.Unlock()
	table, defBridge := j.netNames()
	bridges = append(bridges, defBridge)

	var rows []leakRow
	add := func(what string, items []string) { rows = append(rows, leakRow{what, items}) }

	mountinfo := "/proc/self/mountinfo"
	if j.mntns != 0 {
		mountinfo = fmt.Sprintf("/proc/%d/mountinfo", j.mntns)
	}
	var mounts []string
	mi, _ := os.ReadFile(mountinfo)
	for _, l := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(l); len(f) > 4 && (under(f[4], j.root) || under(f[4], j.runroot)) {
			mounts = append(mounts, f[4])
		}
	}
	add("mounts", mounts)

	var cgs []string
	for _, top := range suiteCgroups() {
		filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				cgs = append(cgs, p)
			}
			return nil
		})
	}
	add("cgroups", cgs)

	var veths []string
	seen := map[string]bool{}
	stateDir, _ := filepath.Abs(filepath.Join(j.root, "network"))
	nets := []string{"bridge"}
	for n := range w.networks {
		nets = append(nets, n)
	}
	for _, id := range ids {
		for _, n := range nets {
			h := sha256.Sum256([]byte(strings.Join([]string{stateDir, id, n}, "\x00")))
			v := "vj" + hex.EncodeToString(h[:])[:11]
			if _, err := os.Lstat("/sys/class/net/" + v); err == nil && !seen[v] {
				seen[v] = true
				veths = append(veths, v)
			}
		}
	}
	for _, b := range bridges {
		for _, v := range dirNames("/sys/class/net/" + b + "/brif") {
			if !seen[v] {
				seen[v] = true
				veths = append(veths, v)
			}
		}
	}
	add("veths", veths)

	var brs []string
	for _, b := range bridges {
		if _, err := os.Lstat("/sys/class/net/" + b); err == nil {
			brs = append(brs, b)
		}
	}
	add("bridges", brs)

	var rules []string
	if out, err := exec.Command("nft", "-a", "list", "table", "ip", table).Output(); err == nil {
		rules = append(rules, "table "+table)
		for _, l := range strings.Split(string(out), "\n") {
			l = strings.TrimSpace(l)
			if !strings.Contains(l, "# handle") {
				continue
			}
			if f := strings.Fields(l); f[0] == "chain" || f[0] == "table" || f[0] == "set" || f[0] == "map" {
				continue
			}
			rules = append(rules, l)
		}
	}
	add("nft table and rules", rules)

	add("IP allocations", prefixed("network/containers/", dirNames(filepath.Join(j.root, "network", "containers"))))
	add("names", prefixed("names/", dirNames(filepath.Join(j.root, "names"))))
	var states []string
	states = append(states, prefixed("root/containers/", dirNames(filepath.Join(j.root, "containers")))...)
	states = append(states, prefixed("run/containers/", dirNames(filepath.Join(j.runroot, "containers")))...)
	rts, _ := filepath.Glob(filepath.Join(j.runroot, "runtime", "*", "*"))
	states = append(states, rts...)
	add("state records", states)
	add("netns files", prefixed("netns/", dirNames(filepath.Join(j.runroot, "netns"))))

	var monitors, procs []string
	pe, _ := os.ReadDir("/proc")
	for _, e := range pe {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !alive(atoi(e.Name())) {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if !strings.Contains(cmd, j.root) && !strings.Contains(cmd, j.runroot) {
			continue
		}
		desc := e.Name() + ": " + cmd
		if strings.Contains(cmd, "jinn-monitor") {
			monitors = append(monitors, desc)
		} else {
			procs = append(procs, desc)
		}
	}
	add("monitor processes", monitors)
	add("other processes", procs)

	var snaps []string
	for _, s := range w.snapshotDirs() {
		if !w.snapshots[s] {
			snaps = append(snaps, "snapshots/"+s)
		}
	}
	add("snapshot dirs", snaps)
	var logs []string
	filepath.WalkDir(j.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".log") && d.Name() != "events.log" &&
			!strings.Contains(p, "/snapshots/") && !strings.Contains(p, "/volumes/") {
			logs = append(logs, p)
		}
		return nil
	})
	add("log files", logs)
	var vols []string
	for _, v := range dirNames(filepath.Join(j.root, "volumes")) {
		if !w.volumes[v] {
			vols = append(vols, "volumes/"+v)
		}
	}
	add("anonymous volumes", vols)
	return rows
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func prefixed(p string, a []string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = p + s
	}
	return out
}

// formatLeaks renders the rows as a markdown table.
func formatLeaks(rows []leakRow) string {
	var b strings.Builder
	b.WriteString("| leaked | count |\n| --- | ---: |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d |\n", r.what, len(r.items))
	}
	return b.String()
}

// assertNoLeaks prints the leak table and fails on any row above 0,
// naming what was left.
func (w *leakWatch) assertNoLeaks(t *testing.T) []leakRow {
	t.Helper()
	// What ends by itself a moment later (a DNS server polls for its
	// network every 2 s) is not a leak: count until 0 or 3 s passed.
	var rows []leakRow
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		rows = w.count()
		left := 0
		for _, r := range rows {
			left += len(r.items)
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("leaks of %s:\n%s", w.j.root, formatLeaks(rows))
	for _, r := range rows {
		if len(r.items) > 0 {
			sort.Strings(r.items)
			if len(r.items) > 10 {
				r.items = append(r.items[:10], "...")
			}
			t.Errorf("leaked %s: %d: %s", r.what, len(r.items), strings.Join(r.items, "; "))
		}
	}
	return rows
}
