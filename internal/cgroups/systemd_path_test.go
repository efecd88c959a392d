package cgroups

import "testing"

// The expansion runc does (libcontainer/cgroups/systemd: ExpandSlice,
// getUnitName), so a path means the same cgroup under either runtime.
func TestExpandSystemdPath(t *testing.T) {
	for in, want := range map[string]string{
		"system.slice:docker:abc":            "/system.slice/docker-abc.scope",
		":docker:abc":                        "/system.slice/docker-abc.scope",
		"a-b.slice:cri-containerd:x":         "/a.slice/a-b.slice/cri-containerd-x.scope",
		"kubepods-besteffort-pod1.slice:c:d": "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/c-d.scope",
		"-.slice:p:n":                        "/p-n.scope",
		"user.slice:p:my-sub.slice":          "/user.slice/my-sub.slice",
		"system.slice::abc":                  "/system.slice/-abc.scope",
		"test.slice:cri-containerd:0123":     "/test.slice/cri-containerd-0123.scope",
		"system.slice:docker:abc:extra":      "",
		"abc":                                "",
		"a--b.slice:p:n":                     "",
		"-a.slice:p:n":                       "",
		"a.slice/b.slice:p:n":                "",
		"notaslice:p:n":                      "",
		".slice:p:n":                         "",
		"system.slice:p:":                    "",
		"system.slice:p:a/b":                 "",
	} {
		got, err := ExpandSystemdPath(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q: got %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"a-b.slice":       "/a.slice/a-b.slice",
		"system.slice":    "/system.slice",
		"-.slice":         "/",
		"a-b-c.slice":     "/a.slice/a-b.slice/a-b-c.slice",
		"a-.slice":        "",
		"a":               "",
		"a.slice.slice.x": "",
	} {
		got, err := ExpandSlice(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}
