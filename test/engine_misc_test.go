package test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEngineMisc covers the smaller commands: volumes, log rotation,
// health checks, stats, ps filters and formats, wait, events, inspect JSON.
func TestEngineMisc(t *testing.T) {
	j := newJinn(t, "runc")
	if out := j.ok(j.runArgs([]string{"--rm", "--init"}, "cat", "/proc/1/comm")...); out != "docker-init\n" {
		t.Errorf("--init: PID 1 is %q", out)
	}
	j.ok("volume", "create", "vol1")
	j.ok(j.runArgs([]string{"--rm", "-v", "vol1:/data"}, "sh", "-c", "echo kept > /data/f")...)
	if out := j.ok(j.runArgs([]string{"--rm", "-v", "vol1:/data:ro"}, "cat", "/data/f")...); out != "kept\n" {
		t.Errorf("named volume: %q", out)
	}
	_, _, code := j.run(j.runArgs([]string{"--rm", "-v", "vol1:/data:ro"}, "touch", "/data/g")...)
	if code == 0 {
		t.Errorf("write to a :ro volume succeeded")
	}
	if out := j.ok("volume", "ls", "-q"); out != "vol1\n" {
		t.Errorf("volume ls: %q", out)
	}

	j.ok(j.runArgs([]string{"-d", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2",
		"--health-cmd", "test -e /tmp/ok", "--health-interval", "100ms", "--health-retries", "1"},
		"sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done; sleep 1000")...)
	waitFor(t, 5*time.Second, "unhealthy", func() bool { return j.inspect("chatty", "{{.State.Health.Status}}") == "unhealthy" })
	j.ok("exec", "chatty", "touch", "/tmp/ok")
	waitFor(t, 5*time.Second, "healthy", func() bool { return j.inspect("chatty", "{{.State.Health.Status}}") == "healthy" })
	logs := j.ok("logs", "chatty")
	if !strings.HasSuffix(logs, "line-399\n") || strings.Contains(logs, "line-0\n") {
		t.Errorf("rotated logs should end with line-399 and have dropped line-0: %d bytes", len(logs))
	}
	if out := j.ok("ps", "--filter", "name=chat", "--format", "{{.Names}} {{.State}}"); out != "chatty running\n" {
		t.Errorf("ps --filter --format: %q", out)
	}
	stats := j.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}")
	if !strings.HasPrefix(stats, "chatty ") {
		t.Errorf("stats: %q", stats)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(j.ok("inspect", "chatty")), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("inspect JSON: %v", err)
	}
	for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "HostConfig", "Mounts", "Config", "NetworkSettings", "LogPath"} {
		if _, ok := doc[0][k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	if s := j.inspect("chatty", `{{json .Config.Cmd}} {{upper .State.Status}} {{join .Args ","}}`); !strings.HasPrefix(s, `["sh","-c",`) || !strings.Contains(s, "RUNNING") {
		t.Errorf("inspect -f funcs: %q", s)
	}
	stopped := make(chan struct{})
	go func() { j.run("stop", "-t", "1", "chatty"); close(stopped) }()
	if out := j.ok("wait", "chatty"); out != "137\n" {
		t.Errorf("wait: %q", out)
	}
	<-stopped // stop records its event after the container died: wait may return first

	ev := j.ok("events", "--since", "1m", "--until", "0s", "--format", "{{.Action}}")
	for _, a := range []string{"create", "start", "stop"} {
		if !strings.Contains(ev, a+"\n") {
			t.Errorf("events lack %s: %q", a, ev)
		}
	}
	j.ok(append([]string{"create", "--name", "holder", "-v", "vol1:/data"}, append(j.image(), "true")...)...)
	if _, _, code := j.run("volume", "rm", "vol1"); code == 0 {
		t.Errorf("volume rm of a volume in use succeeded")
	}
	j.ok("rm", "chatty", "holder")
	j.ok("volume", "rm", "vol1")
}
