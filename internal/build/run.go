package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/fsroot"
	"github.com/jinn-containers/jinn/internal/image"
	jnet "github.com/jinn-containers/jinn/internal/network"
	"github.com/jinn-containers/jinn/internal/recipe"
)

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

// CheckHosts validates --add-host entries.
func CheckHosts(hosts []string) error {
	for _, h := range hosts {
		if _, _, err := jnet.ParseExtraHost(h); err != nil {
			return err
		}
	}
	return nil
}

// CheckPlatform refuses a --platform other than the host's: RUN steps
// run here, on this kernel and CPU.
func CheckPlatform(p string) error { return image.CheckHostPlatform(p) }

// ErrSquash is docker's refusal of --squash without experimental mode.
var ErrSquash = errors.New("squash is only supported with experimental mode")

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

// runContainer runs argv in a container whose root is rootfs and waits for
// it. On cancellation the container is killed and deleted before returning.
func (b *Builder) runContainer(ctx context.Context, rootfs string, argv, env []string, cwd, user, network string) error {
	root, err := fsroot.Open(rootfs)
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
		env = append(env, "PATH="+recipe.DefaultPath)
	}
	id := "build-" + randomID()[:12]
	bundle, err := os.MkdirTemp(b.tmp, "bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bundle)
	// A container's recipe, as `jinn run` of the image would get.
	spec, err := recipe.Spec(&recipe.Options{
		ID: id, Rootfs: rootfs, Hostname: id, Args: argv, Env: env, Cwd: cwd,
		User:        specs.User{UID: uid, GID: gid, AdditionalGids: groups},
		HostNetwork: network == "host", CgroupParent: b.opts.CgroupParent,
	})
	if err != nil {
		return err
	}
	// buildkit's open-file limit for build steps.
	spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}}
	if b.opts.Step != nil {
		if err := b.opts.Step(spec); err != nil {
			return err
		}
	}
	created, err := netFiles(root, bundle, id, network, b.opts.ExtraHosts, spec)
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
	rt := &recipe.Runtime{Path: b.opts.Runtime, Root: filepath.Join(b.opts.RunRoot, "build")}
	w := b.out.runWriter()
	b.out.running(id)
	err = rt.Run(ctx, bundle, id, w)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if f, ok := w.(interface{ Flush() }); ok {
		f.Flush()
	}
	b.out.removing(id)
	return err
}

// resolveUser turns USER (name or uid, optionally :group) into ids inside
// the image's root; no USER is root.
func resolveUser(root *fsroot.Root, user string) (uint32, uint32, []uint32, error) {
	if user == "" {
		return 0, 0, nil, nil
	}
	u, err := recipe.ResolveUser(root, user)
	return u.UID, u.GID, nil, err
}

// resolveOwner is COPY --chown: user[:group] by name or id.
func resolveOwner(root *fsroot.Root, spec string) (*fsroot.Owner, error) {
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
	return &fsroot.Owner{UID: int(uid), GID: int(gid)}, nil
}

// netFiles gives the RUN an /etc/hosts (and, on the host network, the
// host's /etc/resolv.conf) as read-only bind mounts, as docker does. It
// returns the targets that did not exist, to be removed after the RUN.
func netFiles(root *fsroot.Root, bundle, id, network string, extraHosts []string, spec *specs.Spec) ([]string, error) {
	if st, err := root.Stat("etc"); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, nil // no /etc (a scratch image): add nothing to the layer
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	for _, h := range extraHosts {
		name, ip, err := jnet.ParseExtraHost(h)
		if err != nil {
			return nil, err
		}
		if ip == jnet.HostGateway {
			if network != "host" {
				continue // no network of its own: nothing of the host is reachable
			}
			ip = "127.0.0.1"
		}
		hosts += ip + "\t" + name + "\n"
	}
	files := map[string]string{"etc/hosts": hosts + "127.0.1.1\t" + id + "\n"}
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
