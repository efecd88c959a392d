package build

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cgroups"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// exitError is a RUN whose command exited non-zero.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// run handles RUN: the command runs in a container on the step's snapshot
// through the OCI runtime's command line.
func (s *stage) run(ctx context.Context, in *Instruction) error {
	flags, err := parseFlags(in, "network", "mount", "security")
	if err != nil {
		return err
	}
	if _, ok := flags["mount"]; ok {
		return fmt.Errorf("RUN --mount is not supported by jinn's builder")
	}
	if _, ok := flags["security"]; ok {
		return fmt.Errorf("RUN --security is not supported by jinn's builder")
	}
	network := s.b.opts.Network
	if n, ok := flags["network"]; ok {
		network = n
	}
	if err := checkNetwork(network); err != nil {
		return err
	}
	argv := s.runArgv(in)
	if len(argv) == 0 {
		return fmt.Errorf("RUN requires a command")
	}
	env, argPairs := s.v.runEnv()
	createdBy := strings.Join(argv, " ")
	if len(argPairs) > 0 {
		createdBy = fmt.Sprintf("|%d %s %s", len(argPairs), strings.Join(argPairs, " "), createdBy)
	}
	parts := append([]string{"run", jsonString(argv)}, argPairs...)
	cfg := s.cfg.Config
	return s.commit(ctx, parts, createdBy, nil, func(ctx context.Context, rootfs string) error {
		return s.b.runContainer(ctx, rootfs, argv, env, cfg.WorkingDir, cfg.User, network)
	})
}

// CheckNetwork validates --network.
func CheckNetwork(n string) error { return checkNetwork(n) }

func checkNetwork(n string) error {
	switch n {
	case "", "default", "none", "host":
		return nil
	}
	return fmt.Errorf("network mode %q is not supported by the builder (use default, none or host)", n)
}

// runArgv builds the command: exec form as written; shell form through
// SHELL; a heredoc-only RUN (RUN <<EOF) runs the heredoc as the script, and
// a command with heredocs gets them appended so the shell reads them.
func (s *stage) runArgv(in *Instruction) []string {
	if in.JSON {
		return append([]string(nil), in.Args...)
	}
	cmd := strings.Join(in.Args, " ")
	if len(in.Heredocs) == 0 {
		return append(s.shell(), cmd)
	}
	if len(in.Heredocs) == 1 && isHeredocMarker(cmd, in.Heredocs[0].Name) {
		return append(s.shell(), in.Heredocs[0].Content)
	}
	var b strings.Builder
	b.WriteString(cmd)
	b.WriteString("\n")
	for _, h := range in.Heredocs {
		b.WriteString(h.Content)
		if !strings.HasSuffix(h.Content, "\n") {
			b.WriteString("\n")
		}
		b.WriteString(h.Name + "\n")
	}
	return append(s.shell(), b.String())
}

func isHeredocMarker(cmd, name string) bool {
	c := strings.TrimSpace(cmd)
	c = strings.TrimPrefix(c, "<<")
	c = strings.TrimPrefix(c, "-")
	c = strings.Trim(c, `"'`)
	return c == name
}

// dockerCaps is the capability set docker gives a container by default.
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// runContainer runs argv in a container whose root is rootfs and waits for
// it. On cancellation the container is killed and deleted before returning.
func (b *Builder) runContainer(ctx context.Context, rootfs string, argv, env []string, cwd, user, network string) error {
	root, err := OpenRoot(rootfs, false)
	if err != nil {
		return err
	}
	defer root.Close()
	uid, gid, groups, err := resolveUser(root, user)
	if err != nil {
		return err
	}
	if cwd == "" {
		cwd = "/"
	}
	if err := root.MkdirAll(cwd, 0o755, nil); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if _, ok := lookupEnv(env, "PATH"); !ok {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	id := "build-" + randomID()[:12]
	bundle, err := os.MkdirTemp(b.tmp, "bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bundle)
	spec := runSpec(id, rootfs, argv, env, cwd, uid, gid, groups, network)
	spec.Linux.CgroupsPath = "/" + cgroups.CleanParent(b.opts.CgroupParent) + spec.Linux.CgroupsPath
	// docker's default seccomp profile, as for any container.
	if spec.Linux.Seccomp, err = mobyseccomp.GetDefaultProfile(spec); err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	created, err := netFiles(root, bundle, id, network, spec)
	if err != nil {
		return err
	}
	// Mount targets the runtime had to create are not part of the layer.
	defer func() {
		for _, c := range created {
			root.Remove(c)
		}
	}()
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		return err
	}
	state := filepath.Join(b.opts.RunRoot, "build")
	cmd := exec.Command(b.opts.Runtime, "--root", state, "run", "--bundle", bundle, id)
	cmd.Stdout = b.out.runWriter()
	cmd.Stderr = cmd.Stdout
	// Its own process group: the terminal's Ctrl-C reaches jinn, which
	// kills the container itself instead of racing the runtime.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.out.running(id)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start OCI runtime %s: %w", b.opts.Runtime, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// The runtime may still be between create and start: repeat the
		// kill until the container is gone.
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		giveUp := time.After(10 * time.Second)
	wait:
		for {
			exec.Command(b.opts.Runtime, "--root", state, "kill", id, "KILL").Run()
			select {
			case <-done:
				break wait
			case <-tick.C:
			case <-giveUp:
				cmd.Process.Kill()
				<-done
				break wait
			}
		}
		exec.Command(b.opts.Runtime, "--root", state, "delete", "--force", id).Run()
		return ctx.Err()
	}
	if f, ok := cmd.Stdout.(interface{ Flush() }); ok {
		f.Flush()
	}
	b.out.removing(id)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exec.Command(b.opts.Runtime, "--root", state, "delete", "--force", id).Run()
		return &exitError{code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", b.opts.Runtime, err)
	}
	return nil
}

func runSpec(id, rootfs string, argv, env []string, cwd string, uid, gid uint32, groups []uint32, network string) *specs.Spec {
	ns := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}}
	if network != "host" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	caps := append([]string(nil), dockerCaps...)
	return &specs.Spec{
		Version:  specs.Version,
		Hostname: id,
		Root:     &specs.Root{Path: rootfs},
		Process: &specs.Process{
			Args: argv, Env: env, Cwd: cwd,
			User:         specs.User{UID: uid, GID: gid, AdditionalGids: groups},
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces:  ns,
			CgroupsPath: "/" + id, // made absolute under the parent by runContainer
			MaskedPaths: []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// resolveUser turns USER (name or uid, optionally :group) into ids using
// the image's /etc/passwd and /etc/group, read inside the rootfs.
func resolveUser(root *Root, user string) (uint32, uint32, []uint32, error) {
	if user == "" {
		return 0, 0, nil, nil
	}
	u, g, hasG := strings.Cut(user, ":")
	uid, gid := -1, -1
	if n, err := strconv.Atoi(u); err == nil {
		uid = n
	}
	pw := readDB(root, "etc/passwd")
	for _, f := range pw {
		if len(f) >= 4 && (f[0] == u || uid >= 0 && f[2] == u) {
			uid, _ = strconv.Atoi(f[2])
			if gid < 0 {
				gid, _ = strconv.Atoi(f[3])
			}
			break
		}
	}
	if uid < 0 {
		return 0, 0, nil, fmt.Errorf("unable to find user %s: no matching entries in passwd file", u)
	}
	if gid < 0 {
		gid = 0
	}
	if hasG {
		gid = -1
		if n, err := strconv.Atoi(g); err == nil {
			gid = n
		} else {
			for _, f := range readDB(root, "etc/group") {
				if len(f) >= 3 && f[0] == g {
					gid, _ = strconv.Atoi(f[2])
				}
			}
		}
		if gid < 0 {
			return 0, 0, nil, fmt.Errorf("unable to find group %s: no matching entries in group file", g)
		}
	}
	return uint32(uid), uint32(gid), nil, nil
}

func readDB(root *Root, name string) [][]string {
	f, err := root.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.Split(l, ":"))
		}
	}
	return out
}

// resolveOwner is COPY --chown: user[:group] by name or id.
func resolveOwner(root *Root, spec string) (*Owner, error) {
	if spec == "" {
		return nil, nil
	}
	u, g, hasG := strings.Cut(spec, ":")
	uid, gid, _, err := resolveUser(root, u)
	if err != nil {
		return nil, err
	}
	if !hasG {
		if _, err := strconv.Atoi(u); err == nil {
			gid = uid // docker: a numeric uid alone means the same gid
		}
	} else {
		_, gid, _, err = resolveUser(root, fmt.Sprintf("%d:%s", uid, g))
		if err != nil {
			return nil, err
		}
	}
	return &Owner{int(uid), int(gid)}, nil
}

// netFiles gives the RUN an /etc/hosts (and, on the host network, the
// host's /etc/resolv.conf) as read-only bind mounts, as docker does. It
// returns the targets that did not exist, to be removed after the RUN.
func netFiles(root *Root, bundle, id, network string, spec *specs.Spec) ([]string, error) {
	if st, err := root.Stat("etc"); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, nil // no /etc (a scratch image): add nothing to the layer
	}
	files := map[string]string{
		"etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + id + "\n",
	}
	if network == "host" {
		if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
			files["etc/resolv.conf"] = string(b)
		}
	}
	var created []string
	for _, target := range []string{"etc/hosts", "etc/resolv.conf"} {
		content, ok := files[target]
		if !ok {
			continue
		}
		st, err := root.Lstat(target)
		if err != nil {
			created = append(created, target)
		} else if st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue // a symlink or directory there: leave the image's own
		}
		src := filepath.Join(bundle, filepath.Base(target))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			return nil, err
		}
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/" + target, Type: "bind", Source: src,
			Options: []string{"rbind", "ro", "nosuid", "nodev", "noexec"}})
	}
	return created, nil
}
