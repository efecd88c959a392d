package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func unixArg(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// TestEngineEvents: `jinn events` with docker's --filter, --since, --until
// and --format, over events written by the CLI and by the monitor (die).
func TestEngineEvents(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	t0 := time.Now()
	web := "monitor-ev-web-" + fmt.Sprint(time.Now().UnixNano()%1e6)
	db := "monitor-ev-db-" + fmt.Sprint(time.Now().UnixNano()%1e6)
	j.ok(append([]string{"run", "--rm", "--network", "none", "--name", web, "--label", "tier=front"}, append(img, "true")...)...)
	if _, errs, code := j.run(append([]string{"run", "--rm", "--network", "none", "--name", db, "--label", "tier=back"}, append(img, "sh", "-c", "exit 3")...)...); code != 3 {
		t.Fatalf("run exit 3: exit %d: %s", code, errs)
	}
	window := []string{"events", "--since", unixArg(t0), "--until", unixArg(time.Now())}
	lines := func(args ...string) []string {
		t.Helper()
		return strings.Fields(strings.TrimSpace(j.ok(append(append([]string{}, window...), args...)...)))
	}

	if got := strings.Join(lines("--filter", "container="+web, "--format", "{{.Action}}"), " "); got != "create start die destroy" {
		t.Errorf("container filter: actions %q", got)
	}
	if got := lines("--filter", "label=tier=back", "--filter", "event=die", "--format", "{{.Actor.Attributes.name}}/{{.Actor.Attributes.exitCode}}"); len(got) != 1 || got[0] != db+"/3" {
		t.Errorf("label+event filter: %q", got)
	}
	if got := lines("--filter", "label=tier", "--filter", "event=create", "--format", "{{.Actor.Attributes.name}}"); len(got) != 2 {
		t.Errorf("label key filter, one event: %q", got)
	}
	if got := lines("--filter", "type=image"); len(got) != 0 {
		t.Errorf("type=image: %q", got)
	}

	// {{json .}} is docker's message, legacy fields included; the monitor's
	// die event carries the container's labels too.
	out := j.ok(append(append([]string{}, window...), "--filter", "container="+web, "--filter", "event=die", "--format", "{{json .}}")...)
	var ev struct {
		Status       string `json:"status"`
		ID           string `json:"id"`
		From         string `json:"from"`
		Type, Action string
		Actor        struct {
			ID         string
			Attributes map[string]string
		}
		TimeNano int64 `json:"timeNano"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("{{json .}}: %v: %q", err, out)
	}
	if ev.Type != "container" || ev.Action != "die" || ev.Actor.Attributes["name"] != web ||
		ev.Actor.Attributes["tier"] != "front" || ev.Actor.Attributes["exitCode"] != "0" || ev.TimeNano < t0.UnixNano() ||
		ev.Status != "die" || ev.ID != ev.Actor.ID || ev.From != ev.Actor.Attributes["image"] {
		t.Errorf("die event: %+v", ev)
	}

	// stop, restart and kill record docker's kill events (the signal by
	// number) before the monitor's die; restart ends with "restart".
	// sleep as the namespace's init ignores SIGTERM: stop escalates.
	t1 := time.Now()
	sl := "monitor-ev-sleep-" + fmt.Sprint(time.Now().UnixNano()%1e6)
	j.ok(append([]string{"run", "-d", "--network", "none", "--name", sl}, append(img, "sleep", "60")...)...)
	j.ok("stop", "-t", "1", sl)
	j.ok("restart", "-t", "0", sl) // stopped: only started
	j.ok("restart", "-t", "0", sl) // running
	j.ok("kill", sl)
	j.ok("wait", sl)
	j.ok("rm", sl)
	got := strings.Fields(j.ok("events", "--since", unixArg(t1), "--until", unixArg(time.Now()), "--filter", "container="+sl,
		"--format", "{{.Action}}{{with .Actor.Attributes.signal}}/{{.}}{{end}}"))
	want := "create start kill/15 kill/9 die stop start restart kill/9 die stop start restart kill/9 die destroy"
	if strings.Join(got, " ") != want {
		t.Errorf("stop/restart/kill events:\n got %q\nwant %q", strings.Join(got, " "), want)
	}
	if _, errs, code := j.run("restart", "-s", "NOPE", sl); code != 1 || !strings.Contains(errs, "Invalid signal: NOPE") {
		t.Errorf("restart -s NOPE: exit %d: %s", code, errs)
	}

	// --until in the near future: events follow until then, then exit.
	start := time.Now()
	j.ok("events", "--until", unixArg(start.Add(700*time.Millisecond)))
	if d := time.Since(start); d < 600*time.Millisecond || d > 5*time.Second {
		t.Errorf("events --until +0.7s returned after %v", d)
	}

	// Bad input: one line, non-zero exit.
	for _, bad := range [][]string{{"--filter", "nosuch=1"}, {"--filter", "container"}, {"--since", "not-a-time"},
		{"--since", unixArg(time.Now()), "--until", unixArg(t0)}, {"--format", "{{.Nope"}} {
		_, errs, code := j.run(append([]string{"events"}, bad...)...)
		if code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("events %v: exit %d, stderr %q", bad, code, errs)
		}
	}
}
