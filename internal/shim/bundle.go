package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/api/types"
	runcopts "github.com/containerd/containerd/api/types/runc/options"
	rtopts "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/mounter"
	"github.com/jinn-containers/jinn/internal/rootfs"
	"github.com/jinn-containers/jinn/internal/runtime"
)

// defaultRoot is the runtime's state root when the options give none; the
// namespace is appended, as the runc shim does.
const defaultRoot = "/run/containerd/jinn"

// optionsFile keeps a task's options in its bundle for the delete command,
// which containerd runs without them.
const optionsFile = "jinn-shim.json"

// options are the runc options that the shim honours.
type options struct {
	Root          string `json:"root,omitempty"`
	SystemdCgroup bool   `json:"systemdCgroup,omitempty"`
	NoPivotRoot   bool   `json:"noPivotRoot,omitempty"`
	NoNewKeyring  bool   `json:"noNewKeyring,omitempty"`
}

// parseOptions reads CreateTaskRequest.Options: containerd's runc options
// (the CRI plugin sends them for every runtime_type), refusing those that
// mean something jinn-shim does not do.
func parseOptions(a *anypb.Any) (options, error) {
	var o options
	if a == nil || len(a.GetValue()) == 0 && a.GetTypeUrl() == "" {
		return o, nil
	}
	var ro runcopts.Options
	switch strings.TrimPrefix(a.GetTypeUrl(), "type.googleapis.com/") {
	case "runtimeoptions.v1.Options":
		// What containerd 1.6's CRI sends for a runtime_type other than
		// runc's: the handler's options can only name a file.
		return parseConfigOptions(a.GetValue())
	case "containerd.runc.v1.Options":
	default:
		return o, fmt.Errorf("runtime options of type %q: only containerd.runc.v1.Options and runtimeoptions.v1.Options are supported", a.GetTypeUrl())
	}
	if err := proto.Unmarshal(a.GetValue(), &ro); err != nil {
		return o, fmt.Errorf("runtime options: %w", err)
	}
	switch {
	case len(ro.ProtoReflect().GetUnknown()) > 0:
		return o, errors.New("runtime options: unknown fields")
	case ro.BinaryName != "":
		return o, errors.New("runtime option BinaryName is not supported by jinn-shim (it runs containers itself)")
	case ro.ShimCgroup != "":
		return o, errors.New("runtime option ShimCgroup is not supported by jinn-shim")
	case ro.IoUid != 0 || ro.IoGid != 0:
		return o, errors.New("runtime options IoUid/IoGid are not supported by jinn-shim")
	case ro.CriuImagePath != "" || ro.CriuWorkPath != "":
		return o, errors.New("checkpoint options are not supported by jinn-shim")
	case ro.TaskApiAddress != "":
		return o, errors.New("runtime option TaskApiAddress is not supported by jinn-shim")
	}
	if ro.Root != "" && !filepath.IsAbs(ro.Root) {
		return o, fmt.Errorf("runtime option Root %q is not an absolute path", ro.Root)
	}
	return options{Root: ro.Root, SystemdCgroup: ro.SystemdCgroup, NoPivotRoot: ro.NoPivotRoot,
		NoNewKeyring: ro.NoNewKeyring}, nil
}

// parseConfigOptions reads the file that runtimeoptions' ConfigPath names
// (or its ConfigBody): lines "Root = \"/path\"" and "SystemdCgroup =
// true|false", the keys of runc's options, in TOML's syntax.
func parseConfigOptions(value []byte) (options, error) {
	var o options
	var ro rtopts.Options
	if err := proto.Unmarshal(value, &ro); err != nil {
		return o, fmt.Errorf("runtime options: %w", err)
	}
	body := ro.ConfigBody
	if len(body) == 0 && ro.ConfigPath != "" {
		b, err := os.ReadFile(ro.ConfigPath)
		if err != nil {
			return o, fmt.Errorf("runtime options: %w", err)
		}
		body = b
	}
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return o, fmt.Errorf("runtime options %s:%d: want key = value", ro.ConfigPath, i+1)
		}
		var err error
		switch k {
		case "Root":
			o.Root, err = strconv.Unquote(v)
			if err == nil && !filepath.IsAbs(o.Root) {
				err = fmt.Errorf("%q is not an absolute path", o.Root)
			}
		case "SystemdCgroup":
			o.SystemdCgroup, err = strconv.ParseBool(v)
		default:
			err = fmt.Errorf("unknown option %q (jinn-shim knows Root and SystemdCgroup)", k)
		}
		if err != nil {
			return o, fmt.Errorf("runtime options %s:%d: %v", ro.ConfigPath, i+1, err)
		}
	}
	return o, nil
}

func newRuntime(o options, ns string, log *slog.Logger) *runtime.Runtime {
	root := o.Root
	if root == "" {
		root = defaultRoot
	}
	return &runtime.Runtime{Root: filepath.Join(root, ns), Log: log, SystemdCgroup: o.SystemdCgroup}
}

func writeBundleOptions(bundle string, o options) error {
	b, _ := json.Marshal(o)
	return atomicfile.WriteFile(filepath.Join(bundle, optionsFile), b, 0o600)
}

// readBundleOptions reads the options Create wrote; found is false if
// there are none (no create began, or a clean Delete removed them).
func readBundleOptions(bundle string) (o options, found bool, err error) {
	b, err := os.ReadFile(filepath.Join(bundle, optionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, false, fmt.Errorf("%s: %w", optionsFile, err)
	}
	return o, true, nil
}

// readBundleAnnotations reads config.json's annotations only.
func readBundleAnnotations(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s struct {
		Annotations map[string]string `json:"annotations"`
	}
	err = json.Unmarshal(b, &s)
	return s.Annotations, err
}

// mountRootfs mounts the snapshot's mounts on bundle/rootfs, in order;
// on failure nothing stays mounted.
func mountRootfs(bundle string, ms []*types.Mount) error {
	if len(ms) == 0 {
		return nil
	}
	target := filepath.Join(bundle, "rootfs")
	if err := os.Mkdir(target, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	for _, m := range ms {
		if err := mounter.Mount(m.Type, m.Source, target, m.Options); err != nil {
			unmountRootfs(bundle)
			return fmt.Errorf("mount rootfs: %w", err)
		}
	}
	return nil
}

func unmountRootfs(bundle string) error {
	return rootfs.UnmountUnder(filepath.Join(bundle, "rootfs"))
}

// detachRootfs takes the mounts on bundle/rootfs out of the mount table at
// once and returns the release of the last reference to the topmost: the
// caller answers first and releases after. The kernel syncs an overlay's
// upper filesystem when its superblock goes (syncfs of the host
// filesystem under the snapshots: 0.3-25 ms on this VM's quiet disk, up
// to a second behind other writers), and that need not hold up a task's
// Delete. Nothing is left under the bundle, which containerd removes.
func detachRootfs(bundle string) (release func(), err error) {
	target := filepath.Join(bundle, "rootfs")
	fd, err := unix.Open(target, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		fd = -1 // no rootfs left: nothing to hold
	}
	release = func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	// A lazy unmount takes the mounts below with it; one per stacked
	// mount, until the directory is no mount point.
	for {
		err := unix.Unmount(target, unix.MNT_DETACH)
		if err == unix.EINVAL || err == unix.ENOENT {
			return release, nil
		}
		if err != nil {
			release()
			return nil, fmt.Errorf("unmount rootfs: %w", err)
		}
	}
}

func isNotExist(err error) bool { return errors.Is(err, runtime.ErrNotExist) }
