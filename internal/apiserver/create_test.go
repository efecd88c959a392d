package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// TestCreateOptions: a create request's shapes become the engine's
// options (ports, binds, mounts, tmpfs, anonymous volumes, endpoints).
func TestCreateOptions(t *testing.T) {
	body := `{"Image":"busybox","Cmd":["sh"],"Entrypoint":[""],"Tty":true,"Volumes":{"/anon":{},"/bound":{}},
	"ExposedPorts":{"53/udp":{}},"Labels":{"a":"b"},"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000},
	"HostConfig":{"Binds":["v1:/bound:ro"],"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"53/udp":[{"HostPort":""}]},
	"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}},{"Type":"volume","Source":"v2","Target":"/m","ReadOnly":true}],
	"Tmpfs":{"/run":"size=1m"},"Memory":67108864,"PidsLimit":0,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2},
	"NetworkMode":"appnet","Dns":["10.0.0.1"],"ConsoleSize":[30,100]},
	"NetworkingConfig":{"EndpointsConfig":{"appnet":{"Aliases":["db"],"IPAMConfig":{"IPv4Address":"10.1.0.9"}}}}}`
	var req container.CreateRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	o, err := createOptions("/web", &req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(o)
	for _, want := range []string{`"Name":"web"`, `"EntrypointSet":true`, `"Entrypoint":null`, `"Volumes":["v1:/bound:ro","/anon"]`,
		`"Mounts":["type=tmpfs,tmpfs-size=1048576,target=/t","type=volume,source=v2,target=/m,readonly"]`, `"Tmpfs":["/run:size=1m"]`,
		`{"hostIP":"127.0.0.1","hostPort":8080,"containerPort":80,"proto":"tcp"}`, `{"hostPort":0,"containerPort":53,"proto":"udp"}`,
		`"ExposedPorts":["53/udp"]`, `"NetworkMode":"appnet"`, `"NetworkAliases":["db"]`, `"IPAddress":"10.1.0.9"`, `"Dns":["10.0.0.1"]`,
		`"Memory":67108864`, `"PidsLimit":null`, `"MaximumRetryCount":2`, `"ConsoleSize":[30,100]`, `"Test":["CMD","true"]`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("no %s in\n%s", want, got)
		}
	}
	for _, bad := range []string{`{}`, `{"Image":"b","HostConfig":{"ExtraHosts":["nocolon"]}}`,
		`{"Image":"b","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"x"}]}}}`,
		`{"Image":"b","HostConfig":{"Mounts":[{"Type":"npipe","Target":"/x"}]}}`,
		`{"Image":"b","HostConfig":{"Mounts":[{"Type":"bind","Target":"/x"}]}}`} {
		var req container.CreateRequest
		json.Unmarshal([]byte(bad), &req)
		if _, err := createOptions("", &req); err == nil || asAPIError(err).code != 400 {
			t.Errorf("%s: %v, want a 400", bad, err)
		}
	}
}

// TestDecodeBody: unknown and wrong-typed fields are 400, legacy fields
// pass, docker-py's bare endpoints are wrapped, big bodies are 413.
func TestDecodeBody(t *testing.T) {
	decode := func(body string) (*container.CreateRequest, error) {
		var req container.CreateRequest
		r := httptest.NewRequest("POST", "/containers/create", strings.NewReader(body))
		return &req, decodeBody(r, &req, fixNetworkingConfig)
	}
	for body, code := range map[string]int{
		`{"Image":"b","Nope":1}`: 400, `{"Image":3}`: 400, `{"Image":"b"`: 400, `[1]`: 400,
		`{"Image":"b","MacAddress":""}`: 0, `{"Image":"b","NetworkingConfig":{"net1":null}}`: 0, ``: 0,
		`{"Image":"` + strings.Repeat("x", maxBody) + `"}`: http.StatusRequestEntityTooLarge,
	} {
		req, err := decode(body)
		if got := 0; err != nil {
			got = asAPIError(err).code
			if got != code {
				t.Errorf("%.40s: %d, want %d", body, got, code)
			}
		} else if code != 0 {
			t.Errorf("%.40s: accepted, want %d", body, code)
		}
		if strings.Contains(body, "net1") && (req.NetworkingConfig == nil || req.NetworkingConfig.EndpointsConfig["net1"] == nil) {
			t.Errorf("bare endpoint not wrapped: %+v", req.NetworkingConfig)
		}
	}
}

// TestErrorCodes: engine errors get dockerd's status codes and texts.
func TestErrorCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		msg  string
	}{
		{&engine.ExitError{Code: 125, Err: wrapNotFound("No such container: x")}, 404, "No such container: x"},
		{engine.ErrInvalid, 400, ""},
		{conflict("name in use"), 409, "name in use"},
		{errString("boom"), 500, "boom"},
	} {
		ae := asAPIError(c.err)
		if ae.code != c.code || !strings.Contains(ae.msg, c.msg) || strings.HasSuffix(ae.msg, "no such container") {
			t.Errorf("%v: %d %q, want %d %q", c.err, ae.code, ae.msg, c.code, c.msg)
		}
	}
	for v, want := range map[[2]string]bool{{"1.24", "1.50"}: true, {"1.50", "1.50"}: false, {"1.9", "1.10"}: true, {"1.41", "1.4"}: false} {
		if versionLess(v[0], v[1]) != want {
			t.Errorf("versionLess%v != %v", v, want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func wrapNotFound(msg string) error { return &wrapped{msg} }

type wrapped struct{ msg string }

func (w *wrapped) Error() string { return w.msg + ": " + engine.ErrNotFound.Error() }
func (w *wrapped) Unwrap() error { return engine.ErrNotFound }

// TestFilters: both filter encodings, label filters all match.
func TestFilters(t *testing.T) {
	for _, raw := range []string{`{"label":{"a=b":true,"c":true},"status":{"running":true}}`, `{"label":["a=b","c"],"status":["running"]}`} {
		r := httptest.NewRequest("GET", "/containers/json?filters="+raw, nil)
		specs, err := filterArgs(r)
		if err != nil {
			t.Fatal(err)
		}
		f, err := newContainerFilter(specs)
		if err != nil {
			t.Fatal(err)
		}
		v := func(labels map[string]string, status string) *engine.View {
			return &engine.View{Container: &engine.Container{Config: engine.ContainerConfig{Labels: labels}}, State: &monitor.State{Status: status}}
		}
		if !f.match(v(map[string]string{"a": "b", "c": ""}, "running")) || f.match(v(map[string]string{"a": "b"}, "running")) ||
			f.match(v(map[string]string{"a": "b", "c": "1"}, "exited")) {
			t.Errorf("%s: label filters do not all match", raw)
		}
	}
	if _, err := newContainerFilter([]string{"bogus=1"}); err == nil {
		t.Error("bogus filter accepted")
	}
}
