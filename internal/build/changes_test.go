package build

import (
	"testing"

	"github.com/jinn-containers/jinn/internal/image"
)

func TestApplyChanges(t *testing.T) {
	var cfg image.Config
	cfg.Config.Env = []string{"PATH=/bin"}
	err := ApplyChanges(&cfg, []string{`CMD ["/a"]`, "ENV A=1 B=$PATH:/x", "WORKDIR /w", "EXPOSE 80",
		"USER nobody", "ENTRYPOINT /bin/x y", `LABEL k="v w"`, "VOLUME /data", "STOPSIGNAL SIGINT"})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if len(c.Cmd) != 1 || c.Cmd[0] != "/a" || c.WorkingDir != "/w" || c.User != "nobody" || c.StopSignal != "SIGINT" {
		t.Fatalf("config %+v", c)
	}
	if len(c.Env) != 3 || c.Env[2] != "B=/bin:/x" {
		t.Errorf("env %q: ENV expands as in a Dockerfile", c.Env)
	}
	if len(c.Entrypoint) != 3 || c.Entrypoint[2] != "/bin/x y" {
		t.Errorf("entrypoint %q", c.Entrypoint)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok || c.Labels["k"] != "v w" {
		t.Errorf("expose %v labels %v", c.ExposedPorts, c.Labels)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("volumes %v", c.Volumes)
	}
	for _, bad := range []string{"RUN x", "FROM busybox", "CMD", "ENV"} {
		if err := ApplyChanges(&image.Config{}, []string{bad}); err == nil {
			t.Errorf("--change %q accepted", bad)
		}
	}
}
