package engine

import (
	"reflect"
	"testing"

	"github.com/jinn-containers/jinn/internal/recipe"
)

func TestCapabilities(t *testing.T) {
	got, err := capabilities(&HostConfig{CapDrop: []string{"ALL"}, CapAdd: []string{"net_admin", "CAP_KILL"}})
	if err != nil || !reflect.DeepEqual(got, []string{"CAP_KILL", "CAP_NET_ADMIN"}) {
		t.Errorf("drop ALL + add: %v %v", got, err)
	}
	if _, err := capabilities(&HostConfig{CapAdd: []string{"NOPE"}}); err == nil {
		t.Error("unknown capability accepted")
	}
	def, _ := capabilities(&HostConfig{})
	if len(def) != len(recipe.DefaultCaps) {
		t.Errorf("default set has %d caps, docker's has %d", len(def), len(recipe.DefaultCaps))
	}
}

func TestMergeImageConfig(t *testing.T) {
	ic := &ImageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"a"}, Env: []string{"A=1"}, User: "u", WorkingDir: "/w"}
	c := &Container{}
	mergeImageConfig(c, &CreateOptions{Cmd: []string{"b"}}, ic)
	if c.Path != "/ep" || !reflect.DeepEqual(c.Args, []string{"b"}) || c.Config.User != "u" || c.Config.WorkingDir != "/w" {
		t.Errorf("cmd override: %+v", c)
	}
	c = &Container{}
	mergeImageConfig(c, &CreateOptions{EntrypointSet: true, Entrypoint: []string{"sh"}}, ic)
	if c.Path != "sh" || len(c.Args) != 0 {
		t.Errorf("--entrypoint drops the image's cmd: %q %q", c.Path, c.Args)
	}
	env := containerEnv("h", false, "/root", []string{"A=1", "PATH=/x"}, []string{"A=2"})
	want := []string{"PATH=/x", "HOSTNAME=h", "A=2", "HOME=/root"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env %q, want %q", env, want)
	}
}
