package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/atomicfile"
)

// Volume is a named volume: a directory under <root>/volumes/NAME/_data.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
	Anonymous  bool              `json:"-"`
}

// VolumeStore keeps named volumes.
type VolumeStore struct {
	dir   string
	inUse func(name string) []string // container ids using it
}

func (v *VolumeStore) dataDir(name string) string { return filepath.Join(v.dir, name, "_data") }

// Create makes a volume; an existing one is returned as is.
func (v *VolumeStore) Create(name string, labels map[string]string, anonymous bool) (*Volume, error) {
	return v.create(name, labels, anonymous, nil)
}

// create makes a volume with its local driver options, record and all.
func (v *VolumeStore) create(name string, labels map[string]string, anonymous bool, opts map[string]string) (*Volume, error) {
	if name == "" {
		name = newID()
		anonymous = true
	}
	if len(name) > maxNameLen {
		return nil, &ExitError{Code: ExitEngine, Err: checkName("volume", name)}
	}
	if !validName(name) {
		return nil, exitErr(ExitEngine, "create %s: \"%s\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", name, name)
	}
	if vol, err := v.Get(name); err == nil {
		return vol, nil
	}
	vol := &Volume{Name: name, Driver: "local", Mountpoint: v.dataDir(name), CreatedAt: time.Now().UTC().Truncate(time.Second),
		Labels: labels, Scope: "local", Options: opts, Anonymous: anonymous}
	if vol.Options == nil {
		vol.Options = map[string]string{}
	}
	if vol.Labels == nil {
		vol.Labels = map[string]string{}
	}
	if anonymous {
		vol.Labels["com.docker.volume.anonymous"] = ""
	}
	// Made aside and renamed into place whole: a create killed midway
	// leaves a .new- directory (prune's, once its maker is gone), never a
	// volume without its record, which no listing would show.
	tmp := filepath.Join(v.dir, fmt.Sprintf("%s%d-%s", newVolumePrefix, os.Getpid(), name))
	os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "_data"), 0o755); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(vol)
	if err := atomicfile.WriteFile(filepath.Join(tmp, "volume.json"), b, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, name)); err != nil {
		if got, gerr := v.Get(name); gerr == nil {
			return got, nil // made meanwhile by another create
		}
		return nil, err
	}
	return vol, nil
}

// newVolumePrefix marks a volume being made: .new-<pid>-<name>.
const newVolumePrefix = ".new-"

// pruneUnmade removes what creates and removes killed midway left:
// .removing- directories, and .new- ones whose maker is gone.
func (v *VolumeStore) pruneUnmade() {
	ents, _ := os.ReadDir(v.dir)
	for _, d := range ents {
		if strings.HasPrefix(d.Name(), removingVolumePrefix) {
			os.RemoveAll(filepath.Join(v.dir, d.Name())) // a remove killed midway
			continue
		}
		rest, ok := strings.CutPrefix(d.Name(), newVolumePrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && pid > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil && pid != os.Getpid() {
				continue // its maker still runs
			}
		}
		os.RemoveAll(filepath.Join(v.dir, d.Name()))
	}
}

// Get returns one volume.
func (v *VolumeStore) Get(name string) (*Volume, error) {
	vol := &Volume{}
	if err := readJSON(filepath.Join(v.dir, name, "volume.json"), vol); err != nil {
		return nil, exitErr(ExitEngine, "get %s: no such volume", name)
	}
	_, vol.Anonymous = vol.Labels["com.docker.volume.anonymous"]
	return vol, nil
}

// List returns every volume by name.
func (v *VolumeStore) List() ([]*Volume, error) {
	ents, err := os.ReadDir(v.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var out []*Volume
	for _, d := range ents {
		if strings.HasPrefix(d.Name(), ".") {
			continue // being made (.new-)
		}
		if vol, err := v.Get(d.Name()); err == nil {
			out = append(out, vol)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InUse lists the containers that mount the volume.
func (v *VolumeStore) InUse(name string) []string { return v.inUse(name) }

// Remove deletes a volume unless a container uses it (force: anyway).
func (v *VolumeStore) Remove(name string, force bool) error {
	if _, err := v.Get(name); err != nil {
		return err
	}
	if users := v.inUse(name); len(users) > 0 && !force {
		return exitErr(ExitEngine, "remove %s: volume is in use - [%s]", name, users[0])
	}
	if err := v.unmountVolume(name); err != nil {
		return err
	}
	return v.removeDir(name)
}

// removeDir removes a volume's directory out of sight first: a remove
// killed midway must not leave data without its record (volume.json),
// which no listing shows and no prune finds.
func (v *VolumeStore) removeDir(name string) error {
	gone := filepath.Join(v.dir, removingVolumePrefix+name)
	if err := os.Rename(filepath.Join(v.dir, name), gone); err != nil {
		return os.RemoveAll(filepath.Join(v.dir, name))
	}
	return os.RemoveAll(gone)
}

// removingVolumePrefix marks a volume being removed.
const removingVolumePrefix = ".removing-"

// Prune removes unused anonymous volumes (all unused ones with all).
func (v *VolumeStore) Prune(all bool) ([]string, error) { return v.PruneWhere(all, nil) }

// PruneWhere is Prune of the volumes keep accepts (--filter); nil
// accepts all.
func (v *VolumeStore) PruneWhere(all bool, keep func(*Volume) bool) ([]string, error) {
	v.pruneUnmade()
	vols, err := v.List()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, vol := range vols {
		if (!all && !vol.Anonymous) || len(v.inUse(vol.Name)) > 0 || keep != nil && !keep(vol) {
			continue
		}
		if err := v.unmountVolume(vol.Name); err != nil {
			return out, err
		}
		if err := v.removeDir(vol.Name); err != nil {
			return out, fmt.Errorf("remove volume %s: %w", vol.Name, err)
		}
		out = append(out, vol.Name)
	}
	return out, nil
}

func (e *Local) volumeUsers(name string) []string {
	views, _ := e.list()
	var out []string
	for _, v := range views {
		for _, m := range v.Mounts {
			if m.Type == "volume" && m.Name == name {
				out = append(out, v.ID)
			}
		}
	}
	return out
}
