package test

import (
	"strings"
	"testing"
)

// TestCLIInspectFieldNames: inspect templates take docker's field names,
// its JSON ones ({{.Id}}) and its Go ones ({{.ID}}), on containers,
// images, networks and volumes, through their own inspect commands and
// through `inspect` (which finds images and networks too, as docker's).
func TestCLIInspectFieldNames(t *testing.T) {
	j := netJinn(t)
	j.ok("network", "create", "--subnet", "10.87.63.0/24", "fnet")
	j.ok("volume", "create", "fvol")
	id := strings.TrimSpace(j.ok(append([]string{"create", "--name", "fctr", "--network", "fnet", "-e", "A=1"}, j.image()...)...))
	j.ok(j.runArgs([]string{"-d", "--name", "frun", "--network", "fnet"}, "sleep", "100")...)
	imgID := strings.TrimSpace(j.ok("image", "inspect", "-f", "{{.Id}}", "busybox"))
	netID := strings.TrimSpace(j.ok("network", "inspect", "-f", "{{.Id}}", "fnet"))
	if !strings.HasPrefix(imgID, "sha256:") || len(netID) != 64 {
		t.Fatalf("image .Id %q, network .Id %q", imgID, netID)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-f", "{{.Id}}", "fctr"}, id},
		{[]string{"inspect", "-f", "{{.ID}}", "fctr"}, id},
		{[]string{"container", "inspect", "-f", "{{.ID}} {{.Name}} {{.State.Status}}", "fctr"}, id + " /fctr created"},
		{[]string{"inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}} {{index .Config.Env 1}}", "fctr"}, "fnet A=1"},
		{[]string{"image", "inspect", "-f", "{{.ID}} {{.RepoTags}} {{len .Config.Env}}", "busybox"}, imgID + " [busybox:latest] 1"},
		{[]string{"inspect", "-f", "{{.Id}} {{.RepoTags}}", "busybox"}, imgID + " [busybox:latest]"},
		{[]string{"network", "inspect", "-f", "{{.ID}} {{.Name}} {{.Scope}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}}{{end}}", "fnet"}, netID + " fnet local bridge 10.87.63.0/24"},
		{[]string{"inspect", "--type", "network", "-f", "{{.Id}} {{.Created}}", "fnet"}, netID + " 20"},
		{[]string{"network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}} {{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}", "fnet"}, "10.87.63.1 frun 10.87.63.2/24"},
		{[]string{"volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}", "fvol"}, "fvol local local " + j.root},
		{[]string{"inspect", "-f", "{{.Name}} {{.Mountpoint}}", "fvol"}, "fvol " + j.root},
		{[]string{"volume", "inspect", "-f", "{{.CreatedAt}}", "fvol"}, "20"},
	} {
		if got := strings.TrimSpace(j.ok(c.args...)); !strings.HasPrefix(got, c.want) || strings.Contains(got, "<no value>") {
			t.Errorf("%v: %q, want %q...", c.args, got, c.want)
		}
	}
	if got := strings.TrimSpace(j.ok("volume", "inspect", "-f", "{{.CreatedAt}}", "fvol")); !strings.HasSuffix(got, "Z") || strings.Contains(got, " ") {
		t.Errorf("volume .CreatedAt %q: want docker's RFC 3339 string", got)
	}
	if _, errs, code := j.run("inspect", "--type", "foo", "fctr"); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("inspect --type foo: exit %d %q", code, errs)
	}
	if _, _, code := j.run("container", "inspect", "busybox"); code != 1 {
		t.Errorf("container inspect of an image: exit %d, want 1", code)
	}
}
