package runtime

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/jsonstr"
)

// Hand-written encoders for what create and the init write on every
// container start: the state, the init's config and the sync messages.
// encoding/json would first build its encoders by reflection, which costs
// more than all the encoding (about 0.4 ms in a runtime process that lives
// a few milliseconds). Their output decodes with encoding/json into the
// same values (jsonenc_test.go checks).

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, s)
	}
	return append(b, ']')
}

// appendRaw appends an already valid JSON value, or null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, k)
		b = append(b, ':')
		b = jsonstr.Append(b, m[k])
	}
	return append(b, '}')
}

func (s *State) marshal() []byte {
	b := make([]byte, 0, 512+len(s.Config))
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, s.ID)
	b = append(b, `,"init_process_pid":`...)
	b = strconv.AppendInt(b, int64(s.Pid), 10)
	b = append(b, `,"init_process_start":`...)
	b = strconv.AppendUint(b, s.StartTime, 10)
	b = append(b, `,"bundle":`...)
	b = jsonstr.Append(b, s.Bundle)
	b = append(b, `,"rootfs":`...)
	b = jsonstr.Append(b, s.Rootfs)
	b = append(b, `,"created":"`...)
	b = s.Created.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if s.Cgroup != "" {
		b = append(b, `,"cgroup_path":`...)
		b = jsonstr.Append(b, s.Cgroup)
	}
	if s.CgroupParent != "" {
		b = append(b, `,"cgroup_parent":`...)
		b = jsonstr.Append(b, s.CgroupParent)
	}
	if s.Systemd {
		b = append(b, `,"systemd_cgroup":true`...)
	}
	if len(s.CgroupMounts) > 0 {
		b = append(b, `,"cgroup_mounts":`...)
		b = appendCgroupMounts(b, s.CgroupMounts)
	}
	if len(s.CgroupControllers) > 0 {
		b = append(b, `,"cgroup2_controllers":`...)
		b = appendStrings(b, s.CgroupControllers)
	}
	b = append(b, `,"config":`...)
	b = appendRaw(b, s.Config)
	return append(b, '}')
}

func appendOCIState(b []byte, s *specs.State) []byte {
	b = append(b, `{"ociVersion":`...)
	b = jsonstr.Append(b, s.Version)
	b = append(b, `,"id":`...)
	b = jsonstr.Append(b, s.ID)
	b = append(b, `,"status":`...)
	b = jsonstr.Append(b, string(s.Status))
	if s.Pid != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(s.Pid), 10)
	}
	b = append(b, `,"bundle":`...)
	b = jsonstr.Append(b, s.Bundle)
	if len(s.Annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = appendStringMap(b, s.Annotations)
	}
	return append(b, '}')
}

func (c *initConfig) marshal() []byte {
	b := make([]byte, 0, 512+len(c.Config)+len(c.Process))
	b = append(b, `{"config":`...)
	b = appendRaw(b, c.Config)
	if len(c.Process) > 0 {
		b = append(b, `,"process":`...)
		b = append(b, c.Process...)
	}
	if len(c.ExtraEnv) > 0 {
		b = append(b, `,"extra_env":`...)
		b = appendStrings(b, c.ExtraEnv)
	}
	b = append(b, `,"rootfs":`...)
	b = jsonstr.Append(b, c.Rootfs)
	b = append(b, `,"bundle":`...)
	b = jsonstr.Append(b, c.Bundle)
	if c.Exec {
		b = append(b, `,"exec":true`...)
	}
	if c.NoPivot {
		b = append(b, `,"no_pivot":true`...)
	}
	if c.NewKeyring {
		b = append(b, `,"new_keyring":true`...)
	}
	b = append(b, `,"fifo_fd":`...)
	b = strconv.AppendInt(b, int64(c.FifoFd), 10)
	b = append(b, `,"console_fd":`...)
	b = strconv.AppendInt(b, int64(c.ConsoleFd), 10)
	b = append(b, `,"extra_fds":`...)
	b = strconv.AppendInt(b, int64(c.ExtraFds), 10)
	if c.RootfsFd != 0 {
		b = append(b, `,"rootfs_fd":`...)
		b = strconv.AppendInt(b, int64(c.RootfsFd), 10)
	}
	if len(c.MountFds) > 0 {
		keys := make([]int, 0, len(c.MountFds))
		for k := range c.MountFds {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		b = append(b, `,"mount_fds":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = strconv.AppendInt(b, int64(k), 10)
			b = append(b, `":`...)
			b = strconv.AppendInt(b, int64(c.MountFds[k]), 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"state":`...)
	b = appendOCIState(b, &c.State)
	if len(c.CgroupTasks) > 0 {
		b = append(b, `,"cgroup_tasks":`...)
		b = appendStrings(b, c.CgroupTasks)
	}
	if len(c.CgroupMounts) > 0 {
		b = append(b, `,"cgroup_mounts":`...)
		b = appendCgroupMounts(b, c.CgroupMounts)
	}
	return append(b, '}')
}

func appendCgroupMounts(b []byte, ms []cgroups.Mount) []byte {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"point":`...)
		b = jsonstr.Append(b, m.Point)
		b = append(b, `,"type":`...)
		b = jsonstr.Append(b, m.Type)
		if len(m.Options) > 0 {
			b = append(b, `,"options":`...)
			b = appendStrings(b, m.Options)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (m *message) marshal() []byte {
	b := make([]byte, 0, 32+len(m.Msg))
	b = append(b, `{"type":`...)
	b = jsonstr.Append(b, string(m.Type))
	if m.Pid != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(m.Pid), 10)
	}
	if m.Msg != "" {
		b = append(b, `,"msg":`...)
		b = jsonstr.Append(b, m.Msg)
	}
	return append(b, '}')
}
