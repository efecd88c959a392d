package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// Decoding into a Go type makes encoding/json first build its decoders and
// encoders for the type's whole graph, whatever the input holds: about
// 1 ms for specs.Spec, in processes that live a few milliseconds. The
// config is decoded by jsonlite, which looks only at the types the input
// reaches, and by encoding/json where jsonlite declines (bad input, rare
// forms). These shadows of specs.Spec also leave out the sections a
// process never reads; the JSON keys are the same, and the skipped
// sections are ignored as unknown keys are.

// specShadow is specs.Spec without the other platforms' sections.
type specShadow struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
}

// decodeSpec decodes config.json for the runtime's side of create.
func decodeSpec(b []byte, s *specs.Spec) error {
	var sh specShadow
	if err := jsonlite.Decode(b, &sh); err != nil {
		return err
	}
	*s = specs.Spec{Version: sh.Version, Process: sh.Process, Root: sh.Root, Hostname: sh.Hostname,
		Domainname: sh.Domainname, Mounts: sh.Mounts, Hooks: sh.Hooks, Annotations: sh.Annotations, Linux: sh.Linux}
	return nil
}

// linuxInit is specs.Linux without what only the runtime's side uses
// (resources, net devices, RDT, memory policy: cgroups and the like).
type linuxInit struct {
	UIDMappings       []specs.LinuxIDMapping           `json:"uidMappings,omitempty"`
	GIDMappings       []specs.LinuxIDMapping           `json:"gidMappings,omitempty"`
	Sysctl            map[string]string                `json:"sysctl,omitempty"`
	CgroupsPath       string                           `json:"cgroupsPath,omitempty"`
	Namespaces        []specs.LinuxNamespace           `json:"namespaces,omitempty"`
	Devices           []specs.LinuxDevice              `json:"devices,omitempty"`
	Seccomp           *specs.LinuxSeccomp              `json:"seccomp,omitempty"`
	RootfsPropagation string                           `json:"rootfsPropagation,omitempty"`
	MaskedPaths       []string                         `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string                         `json:"readonlyPaths,omitempty"`
	MountLabel        string                           `json:"mountLabel,omitempty"`
	Personality       *specs.LinuxPersonality          `json:"personality,omitempty"`
	TimeOffsets       map[string]specs.LinuxTimeOffset `json:"timeOffsets,omitempty"`
}

type initSpecShadow struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *linuxInit        `json:"linux,omitempty"`
}

// decodeInitSpec decodes config.json for the container's side (Init): what
// it leaves out (linux.resources and the like) stays nil.
func decodeInitSpec(b []byte, s *specs.Spec) error {
	var sh initSpecShadow
	if err := jsonlite.Decode(b, &sh); err != nil {
		return err
	}
	*s = specs.Spec{Version: sh.Version, Process: sh.Process, Root: sh.Root, Hostname: sh.Hostname,
		Domainname: sh.Domainname, Mounts: sh.Mounts, Hooks: sh.Hooks, Annotations: sh.Annotations}
	if l := sh.Linux; l != nil {
		s.Linux = &specs.Linux{UIDMappings: l.UIDMappings, GIDMappings: l.GIDMappings, Sysctl: l.Sysctl,
			CgroupsPath: l.CgroupsPath, Namespaces: l.Namespaces, Devices: l.Devices, Seccomp: l.Seccomp,
			RootfsPropagation: l.RootfsPropagation, MaskedPaths: l.MaskedPaths, ReadonlyPaths: l.ReadonlyPaths,
			MountLabel: l.MountLabel, Personality: l.Personality, TimeOffsets: l.TimeOffsets}
	}
	return nil
}

// storedSpecShadow is what the commands after create read of a container's
// config (state, kill, delete, start): its hooks, annotations, namespaces
// and cgroup path. Exec decodes the whole config (Container.FullSpec).
type storedSpecShadow struct {
	Version     string            `json:"ociVersion"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *struct {
		CgroupsPath string                 `json:"cgroupsPath,omitempty"`
		Namespaces  []specs.LinuxNamespace `json:"namespaces,omitempty"`
	} `json:"linux,omitempty"`
}

func decodeStoredSpec(b []byte, s *specs.Spec) error {
	var sh storedSpecShadow
	if err := jsonlite.Decode(b, &sh); err != nil {
		return err
	}
	*s = specs.Spec{Version: sh.Version, Hooks: sh.Hooks, Annotations: sh.Annotations}
	if l := sh.Linux; l != nil {
		s.Linux = &specs.Linux{CgroupsPath: l.CgroupsPath, Namespaces: l.Namespaces}
	}
	return nil
}
