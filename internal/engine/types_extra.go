package engine

import (
	"errors"
	"fmt"
)

// HostExtras are docker HostConfig fields for the namespaces, /dev/shm,
// sysctls, groups and shared volumes of a container (run/create flags).
type HostExtras struct {
	ShmSize     int64             `json:"ShmSize"`
	Sysctls     map[string]string `json:"Sysctls,omitempty"`
	PidMode     string            `json:"PidMode"` // "", host, container:X
	IpcMode     string            `json:"IpcMode"` // "", private, shareable, host, container:X
	UTSMode     string            `json:"UTSMode"` // "", host
	GroupAdd    []string          `json:"GroupAdd"`
	VolumesFrom []string          `json:"VolumesFrom"`
	DNSOptions  []string          `json:"DnsOptions,omitempty"`
	// Devices are --device host paths given to the container; the
	// device cgroup rules (--device-cgroup-rule) allow more.
	Devices           []DeviceMapping   `json:"Devices"`
	DeviceCgroupRules []string          `json:"DeviceCgroupRules"`
	UsernsMode        string            `json:"UsernsMode"`   // "" or host
	CgroupnsMode      string            `json:"CgroupnsMode"` // host or private
	Annotations       map[string]string `json:"Annotations,omitempty"`
	// Links are legacy --link NAME:ALIAS, as docker's "/NAME:/SELF/ALIAS".
	Links []string `json:"Links"`
	// CgroupParent is run/create --cgroup-parent: this container's cgroup
	// goes under it instead of the engine's parent.
	CgroupParent string `json:"CgroupParent"`
	// MacAddress is --mac-address: the first interface's.
	MacAddress string `json:"MacAddress,omitempty"`
	// VolumeDriver is --volume-driver: only "local" here.
	VolumeDriver string `json:"VolumeDriver"`
	// Isolation is --isolation: on Linux only "default".
	Isolation string `json:"Isolation"`
}

// DeviceMapping is one --device HOST[:CONTAINER[:PERMISSIONS]].
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// ResourceExtras are docker's CFS and cpuset-mems resources and swappiness.
type ResourceExtras struct {
	CPUPeriod        int64  `json:"CpuPeriod"`
	CPUQuota         int64  `json:"CpuQuota"`
	CpusetMems       string `json:"CpusetMems"`
	MemorySwappiness *int64 `json:"MemorySwappiness"`
}

// Check refuses what dockerd refuses, in its words, for the CLI's flags
// and the API's bodies alike; nanoCPUs is the container's --cpus.
func (x *ResourceExtras) Check(nanoCPUs int64) error {
	if (x.CPUPeriod != 0 || x.CPUQuota != 0) && nanoCPUs != 0 {
		return errors.New("Conflicting options: Nano CPUs and CPU Period or CPU Quota cannot both be set")
	}
	if x.CPUPeriod != 0 && (x.CPUPeriod < 1000 || x.CPUPeriod > 1000000) {
		return errors.New("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if x.CPUQuota > 0 && x.CPUQuota < 1000 {
		return errors.New("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	if s := x.MemorySwappiness; s != nil && *s != -1 && (*s < 0 || *s > 100) {
		return fmt.Errorf("Invalid value: %d, valid memory swappiness range is 0-100", *s)
	}
	return nil
}
