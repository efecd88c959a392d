package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// bystander is a user's container that runs through the whole suite: its
// own store (--root, --runroot outside the suite's directory), jinn's
// default parent cgroup and a bridge of its own, started before the first
// test. The suite must leave it running, untouched.
type bystander struct {
	dir, id string
	pid     int
	bridge  string
	cgroup  string // its pids cgroup, under jinn's default parent
}

// userEnv is the environment of a user's jinn: none of the suite's
// settings.
func userEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, cgroupParentEnv+"=") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}

func (b *bystander) jinn(args ...string) (string, error) {
	c := exec.Command(bin("jinn"), append([]string{"--root", filepath.Join(b.dir, "root"),
		"--runroot", filepath.Join(b.dir, "run")}, args...)...)
	c.Env = userEnv()
	out, err := c.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("jinn %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func startBystander() (*bystander, error) {
	dir, err := os.MkdirTemp("", "jinn-bystander-")
	if err != nil {
		return nil, err
	}
	b := &bystander{dir: dir}
	rootfs := filepath.Join(dir, "rootfs")
	if out, err := exec.Command("cp", "-a", busyboxRootfs(), rootfs).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("copy rootfs: %v: %s", err, out)
	}
	if b.id, err = b.jinn("run", "-d", "--name", "bystander", "--rootfs", rootfs, "sleep", "100000"); err != nil {
		b.remove()
		return nil, err
	}
	pid, err := b.jinn("inspect", "-f", "{{.State.Pid}}", b.id)
	if b.pid, _ = strconv.Atoi(pid); err != nil || b.pid <= 0 {
		b.remove()
		return nil, fmt.Errorf("bystander's pid %q: %v", pid, err)
	}
	_, b.bridge = netNamesOf(filepath.Join(dir, "root"))
	b.cgroup = filepath.Join("/sys/fs/cgroup/pids/jinn", b.id)
	return b, nil
}

// check lists how the suite disturbed the bystander.
func (b *bystander) check() []string {
	var out []string
	if st, err := b.jinn("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", b.id); err != nil || st != "running "+strconv.Itoa(b.pid) {
		out = append(out, fmt.Sprintf("bystander container: %q %v, want running %d", st, err, b.pid))
	}
	if cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", b.pid)); !strings.Contains(string(cg), ":/jinn/"+b.id+"\n") {
		out = append(out, "bystander left its cgroup /jinn/"+b.id+": "+string(cg))
	}
	if _, err := os.Stat("/sys/fs/cgroup/pids"); err == nil {
		if _, err := os.Stat(b.cgroup); err != nil {
			out = append(out, "bystander's cgroup is gone: "+b.cgroup)
		}
	}
	if err := exec.Command("ip", "link", "show", b.bridge).Run(); err != nil {
		out = append(out, "bystander's bridge is gone: "+b.bridge)
	}
	return out
}

// remove removes the bystander and says what it left.
func (b *bystander) remove() []string {
	var out []string
	if b.id != "" {
		if _, err := b.jinn("rm", "-f", b.id); err != nil {
			out = append(out, "remove the bystander: "+err.Error())
		}
		b.jinn("network", "prune", "-f")
	}
	if mountedUnder(b.dir) {
		return append(out, "mounts left under the bystander's "+b.dir)
	}
	os.RemoveAll(b.dir)
	return out
}
