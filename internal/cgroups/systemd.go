package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// systemdManager is the cgroupfs manager at the path systemd gives a
// transient unit, with the unit made through systemd's D-Bus API, as
// runc's --systemd-cgroup does: systemd then counts the container as its
// own and leaves its cgroup alone. Limits are still written through
// cgroupfs (the unit has Delegate=yes).
type systemdManager struct {
	*manager
	unit  string // prefix-name.scope, or a slice
	slice string // the parent slice, for a scope
	desc  string
}

// SystemdRunning says whether systemd is the init system, as
// sd_booted(3) does.
func SystemdRunning() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

func newSystemd(cfg Config, m *manager) (*systemdManager, error) {
	p := cfg.Path
	if p == "" {
		p = ":" + SystemdScopePrefix + ":" + cfg.Name
	}
	unit, err := SystemdUnitName(p)
	if err != nil {
		return nil, err
	}
	slice := strings.SplitN(p, ":", 2)[0]
	if slice == "" {
		slice = "system.slice"
	}
	if !SystemdRunning() {
		return nil, errors.New("--systemd-cgroup: systemd is not the init system on this host (no /run/systemd/system); run without --systemd-cgroup")
	}
	return &systemdManager{manager: m, unit: unit, slice: slice, desc: "jinn container " + cfg.Name}, nil
}

// Register starts the transient unit holding pid; systemd moves it into
// the unit's cgroup, the path the cgroupfs side has already made.
func (s *systemdManager) Register(pid int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := sddbus.NewWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	props := []sddbus.Property{
		sddbus.PropDescription(s.desc),
		sddbus.PropPids(uint32(pid)),
		{Name: "Delegate", Value: godbus.MakeVariant(true)},
		{Name: "DefaultDependencies", Value: godbus.MakeVariant(false)},
	}
	if strings.HasSuffix(s.unit, ".scope") {
		props = append(props, sddbus.PropSlice(s.slice))
	}
	done := make(chan string, 1)
	if _, err := conn.StartTransientUnitContext(ctx, s.unit, "replace", props, done); err != nil {
		return fmt.Errorf("start systemd unit %s: %w", s.unit, err)
	}
	select {
	case r := <-done:
		if r != "done" {
			return fmt.Errorf("start systemd unit %s: %s", s.unit, r)
		}
	case <-ctx.Done():
		return fmt.Errorf("start systemd unit %s: %w", s.unit, ctx.Err())
	}
	return nil
}

// Destroy stops the unit (systemd kills what is left in it) and removes
// what remains through cgroupfs.
func (s *systemdManager) Destroy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if conn, err := sddbus.NewWithContext(ctx); err == nil {
		done := make(chan string, 1)
		if _, err := conn.StopUnitContext(ctx, s.unit, "replace", done); err == nil {
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
		conn.Close()
	}
	return s.manager.Destroy()
}
