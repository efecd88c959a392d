package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// Config says where the engine keeps its files and what it runs.
type Config struct {
	Root    string // /var/lib/jinn: container configs, logs, names, volumes
	RunRoot string // /run/jinn: state, bundles, rootfs mounts, sockets
	Runtime string // default OCI runtime: a name in PATH or a path
	Monitor string // jinn-monitor binary
	Self    string // the jinn binary, for the monitor's --rm cleanup
	// CgroupParent is the cgroup every container's cgroup goes under, on
	// every hierarchy ("jinn" if empty). jinn-runtime learns it from
	// $JINN_CGROUP_PARENT, which the CLI sets for its children.
	CgroupParent string
	// Rec, if set, records this run's writes for the CLI's run plan
	// (cliplan.go); its goroutines then run one after another.
	Rec *cliplan.Recorder
}

func (e *Local) cgroupParent() string { return cgroups.CleanParent(e.cfg.CgroupParent) }

// parentOf is the cgroup a container's goes under: the one recorded at
// its create, else (a record older than that field) its own
// --cgroup-parent, else the engine's.
func (e *Local) parentOf(c *Container) string {
	if c != nil && c.CgroupParent != "" {
		return c.CgroupParent
	}
	if c != nil && c.Host.CgroupParent != "" {
		return cgroups.CleanParent(c.Host.CgroupParent)
	}
	return e.cgroupParent()
}

func (e *Local) containerDir(id string) string { return filepath.Join(e.cfg.Root, "containers", id) }
func (e *Local) stateDir(id string) string     { return filepath.Join(e.cfg.RunRoot, "containers", id) }
func (e *Local) namesDir() string              { return filepath.Join(e.cfg.Root, "names") }
func (e *Local) bundleDir(id string) string    { return filepath.Join(e.stateDir(id), "bundle") }
func (e *Local) rootfsDir(id string) string    { return filepath.Join(e.stateDir(id), "rootfs") }
func (e *Local) runtimeRoot(rt string) string {
	return filepath.Join(e.cfg.RunRoot, "runtime", filepath.Base(rt))
}

func newID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// reserveName claims a name atomically: a symlink names/NAME → id, which
// creation makes exclusive without a global lock.
func (e *Local) reserveName(name, id string) error { return e.claimName(name, id, true) }

// claimName is reserveName; takeover says whether a reservation whose
// container does not exist is stale, to be taken over.
func (e *Local) claimName(name, id string, takeover bool) error {
	if err := os.MkdirAll(e.namesDir(), 0o700); err != nil {
		return err
	}
	err := os.Symlink(id, filepath.Join(e.namesDir(), name))
	if err == nil {
		// The replay takes the given name, or picks one as generateName
		// does (the word lists go into the plan: recNameWords), and
		// links it the same way.
		e.rec().Op("name", id, filepath.Join(e.namesDir(), name))
	}
	if errors.Is(err, os.ErrExist) {
		other, _ := os.Readlink(filepath.Join(e.namesDir(), name))
		if takeover && other != id && !e.hasAnyDir(other) {
			// A stale reservation of a container that never came to be
			// (its creator was killed): take it over.
			os.Remove(filepath.Join(e.namesDir(), name))
			return e.claimName(name, id, true)
		}
		return exitErr(ExitEngine, "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", name, other)
	}
	return err
}

// hasAnyDir says whether a container id has a directory: its own, one
// being made (.new-) or one being removed (.removing-). A name whose
// container has none is stale: creates make .new- before they claim one.
func (e *Local) hasAnyDir(id string) bool {
	if id == "" {
		return false
	}
	for _, d := range []string{id, ".new-" + id, ".removing-" + id} {
		if _, err := os.Lstat(filepath.Join(e.cfg.Root, "containers", d)); err == nil {
			return true
		}
	}
	return false
}

func (e *Local) releaseName(name, id string) {
	p := filepath.Join(e.namesDir(), name)
	if t, err := os.Readlink(p); err == nil && t == id {
		os.Remove(p)
	}
}

// generateName picks a free docker-style name.
func (e *Local) generateName(id string) (string, error) {
	for i := 0; i < 20; i++ {
		var b [2]byte
		rand.Read(b[:])
		name := adjectives[int(b[0])%len(adjectives)] + "_" + nouns[int(b[1])%len(nouns)]
		if i > 3 {
			name += fmt.Sprintf("%d", int(b[0])%10+i)
		}
		// A name reserved by a create still under way looks stale (its
		// container directory comes a moment later): a generated name
		// never takes one over, it picks another.
		err := e.claimName(name, id, false)
		if err == nil {
			return name, nil
		}
		var ee *ExitError
		if !errors.As(err, &ee) {
			return "", err
		}
	}
	return "", errors.New("could not find a free container name")
}

func (e *Local) writeContainer(c *Container) error {
	b, err := jsonlite.Encode(c)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	json.Indent(&out, b, "", "  ") // json.MarshalIndent's bytes
	return atomicfile.WriteFileSync(filepath.Join(e.containerDir(c.ID), "config.json"), out.Bytes(), 0o600)
}

func (e *Local) readContainer(id string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(e.containerDir(id), "config.json"))
	if err != nil {
		return nil, err
	}
	c := &Container{}
	if err := jsonlite.Decode(b, c); err != nil {
		return nil, fmt.Errorf("parse config of %s: %w", id, err)
	}
	return c, nil
}

// ids lists every container, oldest first.
func (e *Local) ids() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(e.cfg.Root, "containers"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range ents {
		if d.IsDir() && len(d.Name()) == 64 {
			ids = append(ids, d.Name())
		}
	}
	return ids, nil
}

// Lookup finds a container by full id, name, or unique id prefix.
func (e *Local) Lookup(ref string) (*Container, error) {
	ref = strings.TrimPrefix(ref, "/")
	if ref == "" {
		return nil, exitErr(ExitEngine, "No such container: %s", ref)
	}
	if t, err := os.Readlink(filepath.Join(e.namesDir(), ref)); err == nil {
		if c, err := e.loadContainer(t); err == nil {
			return c, nil
		}
	}
	if len(ref) == 64 {
		if c, err := e.loadContainer(ref); err == nil {
			return c, nil
		}
	}
	ids, err := e.ids()
	if err != nil {
		return nil, err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			match = append(match, id)
		}
	}
	if len(match) == 1 {
		if c, err := e.loadContainer(match[0]); err == nil {
			return c, nil
		}
	}
	if len(match) > 1 {
		return nil, exitErr(ExitEngine, "multiple IDs found with provided prefix: %s", ref)
	}
	return nil, &ExitError{Code: ExitEngine, Err: fmt.Errorf("No such container: %s: %w", ref, ErrNotFound)}
}

// List returns every container with its live state, newest first.
func (e *Local) list() ([]*View, error) {
	ids, err := e.ids()
	if err != nil {
		return nil, err
	}
	// Each container is a config to decode and a state to read, on every
	// core: `ps` of 1,000 containers took ~0.9 s on one.
	views := make([]*View, len(ids))
	workers := min(runtime.GOMAXPROCS(0), 8, len(ids)/32+1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += workers {
				c, err := e.loadContainer(ids[i])
				if err != nil {
					continue // removed right now
				}
				views[i] = &View{Container: c, State: e.liveState(c)}
			}
		}()
	}
	wg.Wait()
	var out []*View
	for _, v := range views {
		if v != nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Inspect returns one container with its live state.
func (e *Local) inspect(ref string) (*View, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return &View{Container: c, State: e.liveState(c)}, nil
}

// ContainersUsingImage lists the containers made from an image (for rmi and
// image prune); it reads configs only, so the image store can call it
// without an engine.
func ContainersUsingImage(root, imageID string) ([]string, error) {
	e := &Local{cfg: Config{Root: root}}
	ids, err := e.ids()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if c, err := e.readContainer(id); err == nil && c.ImageID == imageID {
			out = append(out, id)
		}
	}
	return out, nil
}
