package network

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
)

// containerState is what Setup made for one container, persisted so that
// Teardown works from another process, or after a crash.
type containerState struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Hostname    string     `json:"hostname"`
	NetnsPath   string     `json:"netns"`
	Endpoints   []Endpoint `json:"endpoints"`
	Ports       []Port     `json:"ports,omitempty"`
	ExtraHosts  []string   `json:"extraHosts,omitempty"`
	DNS         []string   `json:"dns,omitempty"`
	DNSSearch   []string   `json:"dnsSearch,omitempty"`
	DNSOptions  []string   `json:"dnsOptions,omitempty"`
	MAC         string     `json:"mac,omitempty"`
	IngressRate uint64     `json:"ingressRate,omitempty"`
	EgressRate  uint64     `json:"egressRate,omitempty"`
	FilesDir    string     `json:"filesDir,omitempty"`
	// Generation is new with every Setup, so that the teardown of one run
	// (from its monitor, possibly late) cannot undo the next run's setup.
	Generation string `json:"generation"`
}

func hashOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func (m *Manager) netPath(name string) string {
	return filepath.Join(m.cfg.StateDir, "networks", name+".json")
}
func (m *Manager) ctrPath(id string) string {
	return filepath.Join(m.cfg.StateDir, "containers", id+".json")
}

// FilesDir is where the container's hosts, hostname and resolv.conf live
// unless the Attachment says otherwise.
func (m *Manager) FilesDir(id string) string {
	return filepath.Join(m.cfg.StateDir, "files", id)
}

// lock takes the store's lock, which every mutation runs under: IPAM,
// ports, the records and the nftables table rebuild are this store's
// own (its table and bridges are named from its state dir), so runs of
// different stores do not wait for each other.
func (m *Manager) lock() (unlock func(), err error) {
	return flock(filepath.Join(m.cfg.StateDir, "lock"))
}

// machineLock is taken, inside the store's lock, only where stores can
// collide: choosing a subnet and making its bridge (the host's routes
// are what the next store's choice avoids).
func (m *Manager) machineLock() (unlock func(), err error) {
	return flock(m.cfg.LockPath)
}

func flock(path string) (unlock func(), err error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.ENOENT) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("network lock dir: %w", err)
		}
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("open network lock %s: %w", path, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { unix.Close(fd) }, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, mode)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// ErrNotFound is returned for unknown networks and containers.
var ErrNotFound = errors.New("not found")

func (m *Manager) loadNetwork(name string) (*Network, error) {
	var n Network
	if err := readJSON(m.netPath(name), &n); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("network %s: %w", name, ErrNotFound)
		}
		return nil, err
	}
	return &n, nil
}

func (m *Manager) loadNetworks() ([]*Network, error) {
	ents, err := os.ReadDir(filepath.Join(m.cfg.StateDir, "networks"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []*Network
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		n, err := m.loadNetwork(name)
		if errors.Is(err, ErrNotFound) {
			// Removed meanwhile (docker compose down removes a
			// project's networks side by side): listing or inspecting
			// another network must not fail for it.
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *Manager) loadContainer(id string) (*containerState, error) {
	var c containerState
	if err := readJSON(m.ctrPath(id), &c); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return &c, nil
}

func (m *Manager) loadContainers() ([]*containerState, error) {
	ents, err := os.ReadDir(filepath.Join(m.cfg.StateDir, "containers"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []*containerState
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		c, err := m.loadContainer(id)
		if errors.Is(err, ErrNotFound) {
			continue // torn down meanwhile
		}
		if err != nil {
			// A damaged record must not take every container's network
			// down with it: it is skipped here, and its container's
			// teardown removes it (TeardownGeneration).
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
