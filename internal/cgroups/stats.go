package cgroups

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
)

func (m *manager) Stats() (*Stats, error) {
	s := &Stats{}
	if m.v2 != nil && m.v2.Exists() {
		if err := m.v2.Stats(s); err != nil {
			return nil, fmt.Errorf("read cgroup stats: %w", err)
		}
	}
	// v1 last: in a hybrid it holds the controllers that count most.
	if m.v1 != nil {
		if err := m.v1.Stats(s); err != nil {
			return nil, fmt.Errorf("read cgroup stats: %w", err)
		}
	}
	return s, nil
}

func (m *manager) memoryOnV1() bool {
	if m.v1 == nil {
		return false
	}
	return m.v1.Has("memory")
}

func (m *manager) OOMKills() (uint64, error) {
	if m.memoryOnV1() {
		return m.v1.OOMKills()
	}
	if m.v2 != nil {
		return m.v2.OOMKills()
	}
	return 0, errors.New("count OOM kills: no memory controller")
}

func (m *manager) OOMFiles() []string {
	if m.memoryOnV1() {
		d, _ := m.v1.Dir("memory")
		return []string{filepath.Join(d, "memory.oom_control")}
	}
	if m.v2 != nil {
		return []string{filepath.Join(m.v2.Dir(), "memory.events")}
	}
	return nil
}

func (m *manager) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	if m.memoryOnV1() {
		return m.v1.NotifyOOM(ctx)
	}
	if m.v2 != nil {
		return m.v2.NotifyOOM(ctx)
	}
	return nil, errors.New("watch OOM: no memory controller")
}
