package test

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonLines decodes one JSON object per line, as `--format json` prints.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON object: %q: %v", l, err)
		}
		objs = append(objs, m)
	}
	return objs
}

// wantKeys checks an object has docker's fields, as strings where docker's are.
func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q in %v", what, k, m)
		}
	}
}

// TestCLIFormatJSON: --format json and {{json .}} give docker's objects on
// every listing, template functions work as docker's, numbers print as
// integers, and the history and info texts are docker's.
func TestCLIFormatJSON(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "fmt1", "--label", "team=a", "-m", "500m", "--cpus", "1.5", "-v", "fmtvol:/data"}, "sleep", "100")...)

	for _, f := range []string{"json", "{{json .}}"} {
		ps := jsonLines(t, j.ok("ps", "--format", f))
		if len(ps) != 1 || ps[0]["Names"] != "fmt1" || ps[0]["Labels"] != "team=a" || ps[0]["State"] != "running" || ps[0]["LocalVolumes"] != "1" {
			t.Errorf("ps --format %s: %v", f, ps)
		}
		wantKeys(t, "ps", ps[0], "Command", "CreatedAt", "ID", "Image", "Mounts", "Networks", "Ports", "RunningFor", "Size", "Status")
	}
	img := jsonLines(t, j.ok("images", "--format", "json"))
	if len(img) != 1 || img[0]["Repository"] != "busybox" || img[0]["Tag"] != "latest" {
		t.Errorf("images --format json: %v", img)
	}
	wantKeys(t, "images", img[0], "Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "SharedSize", "Size", "UniqueSize", "VirtualSize")
	st := jsonLines(t, j.ok("stats", "--no-stream", "--format", "json"))
	if len(st) != 1 || st[0]["Name"] != "fmt1" {
		t.Errorf("stats --format json: %v", st)
	}
	wantKeys(t, "stats", st[0], "BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "NetIO", "PIDs")
	vol := jsonLines(t, j.ok("volume", "ls", "--format", "{{json .}}"))
	if len(vol) != 1 || vol[0]["Name"] != "fmtvol" || vol[0]["Driver"] != "local" {
		t.Errorf("volume ls --format json: %v", vol)
	}
	wantKeys(t, "volume ls", vol[0], "Availability", "Group", "Labels", "Links", "Mountpoint", "Scope", "Size", "Status")
	nets := jsonLines(t, j.ok("network", "ls", "--format", "json"))
	if len(nets) == 0 || nets[0]["Name"] != "bridge" {
		t.Errorf("network ls --format json: %v", nets)
	}
	wantKeys(t, "network ls", nets[0], "CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Scope")
	hist := jsonLines(t, j.ok("history", "--format", "json", "busybox"))
	wantKeys(t, "history", hist[0], "Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size")

	var info map[string]any
	if err := json.Unmarshal([]byte(j.ok("info", "--format", "json")), &info); err != nil {
		t.Fatalf("info --format json: %v", err)
	}
	if info["Containers"] != 1.0 || info["ContainersRunning"] != 1.0 || info["Images"] != 1.0 {
		t.Errorf("info --format json counts: %v", info)
	}
	wantKeys(t, "info", info, "ServerVersion", "KernelVersion", "OperatingSystem", "NCPU", "MemTotal", "DockerRootDir", "ClientInfo", "CgroupVersion")
	if got := strings.TrimSpace(j.ok("info", "-f", "{{.MemTotal}}")); strings.ContainsAny(got, "e.") {
		t.Errorf("info MemTotal printed as %q, want an integer", got)
	}
	if got := strings.TrimSpace(j.ok("info", "--format", "{{.Swarm.LocalNodeState}}")); got != "inactive" {
		t.Errorf("info Swarm.LocalNodeState: %q", got)
	}
	if out := j.ok("info"); !strings.Contains(out, "\n Images: 1\n") || !strings.Contains(out, "  Running: 1\n") {
		t.Errorf("info text:\n%s", out)
	}
	var ver map[string]map[string]any
	if err := json.Unmarshal([]byte(j.ok("version", "--format", "json")), &ver); err != nil || ver["Client"]["Version"] == nil || ver["Server"]["ApiVersion"] == nil {
		t.Errorf("version --format json: %v %v", ver, err)
	}
	if got := j.ok("version", "-f", "{{range .Server.Components}}{{.Name}}={{.Version}} {{end}}"); !strings.Contains(got, "Engine=") || !strings.Contains(got, "jinn-runtime=0.") {
		t.Errorf("version components: %q", got)
	}
	if got := strings.TrimSpace(j.ok("version", "-f", "{{.Client.Context}}")); got != "default" {
		t.Errorf("version context %q", got)
	}

	// Numbers as docker prints them: integers, and templates compare them.
	if got := j.inspect("fmt1", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{if eq .State.ExitCode 0}}zero{{end}}"); got != "524288000 1500000000 zero" {
		t.Errorf("inspect numbers: %q", got)
	}
	if got := strings.TrimSpace(j.ok("image", "inspect", "-f", "{{.Size}}", "busybox")); strings.ContainsAny(got, "e+") {
		t.Errorf("image inspect Size %q", got)
	}
	// docker's template functions.
	got := strings.TrimSpace(j.ok("ps", "--format", `{{upper .Names}}|{{lower "AB"}}|{{title "ab cd"}}|{{join (split "a:b:c" ":") ","}}|{{truncate .Names 3}}|{{pad .Names 1 2}}|{{json .Names}}`))
	if got != `FMT1|ab|Ab Cd|a,b,c|fmt| fmt1  |"fmt1"` {
		t.Errorf("template functions: %q", got)
	}
	// table: the default columns; table TEMPLATE: docker's titles.
	if out := j.ok("ps", "--format", "table"); !strings.HasPrefix(out, "CONTAINER ID") {
		t.Errorf("ps --format table:\n%s", out)
	}
	if out := j.ok("ps", "--format", "table {{.Names}}\t{{.State}}"); !strings.HasPrefix(out, "NAMES") || !strings.Contains(out, "fmt1") {
		t.Errorf("ps --format table TEMPLATE:\n%s", out)
	}
	if out := j.ok("history", "busybox"); !strings.HasPrefix(out, "IMAGE ") || !strings.Contains(out, "CREATED BY") {
		t.Errorf("history header:\n%s", out)
	}
	if got := strings.TrimSpace(j.ok("ps", "--filter", "label=team=a", "--filter", "label!=nope", "--format", "{{.Names}}")); got != "fmt1" {
		t.Errorf("ps --filter label=, label!=: %q", got)
	}
	if got := j.ok("ps", "-q", "--filter", "label=team=a", "--filter", "label=nope"); got != "" {
		t.Errorf("ps label filters are all required: %q", got)
	}
	if _, _, code := j.run("ps", "--format", "{{.Nope"); code != 125 {
		t.Errorf("bad template: exit %d, want 125", code)
	}
}

// TestCLINetworkVolumeLs: network ls and volume ls with --filter,
// --format and --no-trunc, as docker's.
func TestCLINetworkVolumeLs(t *testing.T) {
	j := netJinn(t)
	id := strings.TrimSpace(j.ok("network", "create", "--label", "env=test", "lsnet1"))
	j.ok("network", "create", "lsnet2")
	if got := strings.TrimSpace(j.ok("network", "ls", "--filter", "label=env=test", "--format", "{{.Name}}")); got != "lsnet1" {
		t.Errorf("network ls --filter label: %q", got)
	}
	if got := strings.TrimSpace(j.ok("network", "ls", "-f", "name=lsnet2", "-q", "--no-trunc")); len(got) != 64 {
		t.Errorf("network ls -q --no-trunc: %q", got)
	}
	if got := strings.TrimSpace(j.ok("network", "ls", "--no-trunc", "--filter", "id="+id[:8], "--format", "{{.ID}} {{.Driver}} {{.Scope}}")); got != id+" bridge local" {
		t.Errorf("network ls --no-trunc --filter id: %q", got)
	}
	if got := strings.TrimSpace(j.ok("network", "ls", "--filter", "type=custom", "--format", "{{.Name}}")); got != "lsnet1\nlsnet2" {
		t.Errorf("network ls type=custom: %q", got)
	}
	j.ok(j.runArgs([]string{"-d", "--name", "twonets", "--network", "lsnet1"}, "sleep", "100")...)
	j.ok("network", "connect", "lsnet2", "twonets")
	if got := strings.TrimSpace(j.ok("ps", "--filter", "name=twonets", "--format", "{{.Networks}}")); got != "lsnet1,lsnet2" {
		t.Errorf("ps NETWORKS: %q", got)
	}
	if got := strings.TrimSpace(j.ok("ps", "--filter", "network=lsnet2", "--format", "{{.Names}}")); got != "twonets" {
		t.Errorf("ps --filter network=lsnet2: %q", got)
	}
	if out := j.ok("network", "ls"); !strings.HasPrefix(out, "NETWORK ID   ") || !strings.Contains(out, "SCOPE") {
		t.Errorf("network ls header:\n%s", out)
	}
	if _, errs, code := j.run("network", "ls", "--filter", "colour=red"); code != 125 || !strings.Contains(errs, "invalid filter") {
		t.Errorf("bad filter: exit %d %s", code, errs)
	}
	j.ok("volume", "create", "--label", "keep=yes", "lsvol1")
	j.ok("volume", "create", "lsvol2")
	j.ok(j.runArgs([]string{"-d", "--name", "user", "-v", "lsvol2:/d"}, "sleep", "100")...)
	if got := strings.TrimSpace(j.ok("volume", "ls", "-f", "dangling=true", "-q")); got != "lsvol1" {
		t.Errorf("volume ls dangling=true: %q", got)
	}
	if got := strings.TrimSpace(j.ok("volume", "ls", "--filter", "label=keep", "--format", "{{.Name}} {{.Labels}}")); got != "lsvol1 keep=yes" {
		t.Errorf("volume ls label: %q", got)
	}
	if got := strings.TrimSpace(j.ok("volume", "ls", "--filter", "name=vol2", "--format", "table {{.Name}}")); got != "VOLUME NAME\nlsvol2" {
		t.Errorf("volume ls name: %q", got)
	}
	if out := j.ok("system", "df", "--format", "{{.Type}}: {{.TotalCount}} {{.Active}}"); !strings.Contains(out, "Local Volumes: 2 1\n") {
		t.Errorf("system df volumes:\n%s", out)
	}
}
