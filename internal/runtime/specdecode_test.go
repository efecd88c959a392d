package runtime

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The shadows must decode every field they keep exactly as specs.Spec
// does: a field added to specs.Linux and used by the init would otherwise
// be silently dropped.
func TestSpecShadows(t *testing.T) {
	full := `{"ociVersion":"1.2.0","process":{"args":["sh"],"user":{"uid":1},"capabilities":{"bounding":["CAP_KILL"]}},
	"root":{"path":"rootfs","readonly":true},"hostname":"h","domainname":"d",
	"mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid"]}],
	"hooks":{"createContainer":[{"path":"/bin/true"}]},"annotations":{"a":"b"},
	"linux":{"uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"sysctl":{"x":"y"},
	"resources":{"pids":{"limit":5}},"cgroupsPath":"/jinn/x","namespaces":[{"type":"pid"}],
	"devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229}],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"},
	"rootfsPropagation":"private","maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],"mountLabel":"l",
	"personality":{"domain":"LINUX32"},"timeOffsets":{"monotonic":{"secs":1}},"intelRdt":{"closID":"c"}},
	"windows":{"layerFolders":["x"]}}`
	var want specs.Spec
	if err := json.Unmarshal([]byte(full), &want); err != nil {
		t.Fatal(err)
	}
	want.Windows = nil
	var got specs.Spec
	if err := decodeSpec([]byte(full), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeSpec:\n got %+v\nwant %+v", got, want)
	}
	var gotInit specs.Spec
	if err := decodeInitSpec([]byte(full), &gotInit); err != nil {
		t.Fatal(err)
	}
	want.Linux.Resources, want.Linux.IntelRdt = nil, nil
	if !reflect.DeepEqual(gotInit, want) {
		t.Fatalf("decodeInitSpec:\n got %+v\nwant %+v", gotInit, want)
	}
	// Every field of specs.Linux is either kept by linuxInit or listed
	// here as the runtime side's only.
	runtimeOnly := map[string]bool{"Resources": true, "NetDevices": true, "IntelRdt": true, "MemoryPolicy": true}
	kept := reflect.TypeOf(linuxInit{})
	lt := reflect.TypeOf(specs.Linux{})
	for i := 0; i < lt.NumField(); i++ {
		f := lt.Field(i)
		if _, ok := kept.FieldByName(f.Name); !ok && !runtimeOnly[f.Name] {
			t.Errorf("specs.Linux.%s is neither decoded for the init nor listed as the runtime's only", f.Name)
		}
	}
	st := reflect.TypeOf(specs.Spec{})
	platforms := map[string]bool{"Solaris": true, "Windows": true, "VM": true, "ZOS": true, "FreeBSD": true}
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if _, ok := reflect.TypeOf(specShadow{}).FieldByName(f.Name); !ok && !platforms[f.Name] {
			t.Errorf("specs.Spec.%s is not decoded", f.Name)
		}
	}
	if err := decodeSpec([]byte(`{"process":{"args":"sh"}}`), &got); err == nil {
		t.Error("a field of the wrong type decoded")
	}
}
