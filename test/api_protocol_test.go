package test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAPIProtocol checks the service's HTTP answers against dockerd's:
// ping headers, versioned routes, version document, error shapes and
// codes, bad bodies, response fields.
func TestAPIProtocol(t *testing.T) {
	a := newAPI(t)
	code, body, h := a.get("GET", "/_ping", "")
	if code != 200 || body != "OK" || h.Get("Api-Version") != "1.50" || h.Get("Ostype") != "linux" ||
		h.Get("Docker-Experimental") != "false" || h.Get("Builder-Version") == "" {
		t.Fatalf("_ping: %d %q %v", code, body, h)
	}
	if code, body, _ := a.get("HEAD", "/v1.41/_ping", ""); code != 200 || body != "" {
		t.Fatalf("HEAD _ping: %d %q", code, body)
	}
	code, body, _ = a.get("GET", "/v1.41/version", "")
	var v struct {
		APIVersion, MinAPIVersion, Version, Os string
		Components                             []struct{ Name, Version string }
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || code != 200 {
		t.Fatalf("version: %d %s", code, body)
	}
	if v.APIVersion != "1.50" || v.MinAPIVersion != "1.24" || v.Os != "linux" {
		t.Fatalf("version: %+v", v)
	}
	hasJinn := false
	for _, c := range v.Components {
		hasJinn = hasJinn || c.Name == "jinn"
	}
	if !hasJinn {
		t.Fatalf("version: no jinn component: %s", body)
	}
	if code, body, _ := a.get("GET", "/v1.12/version", ""); code != 400 || !strings.Contains(body, "too old") {
		t.Fatalf("v1.12: %d %s", code, body)
	}

	// dockerd's errors: JSON message, same code, same text.
	for _, c := range []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/containers/nosuch/json", "", 404, `"No such container: nosuch"`},
		{"POST", "/v1.50/containers/nosuch/start", "", 404, `"No such container: nosuch"`},
		{"DELETE", "/containers/nosuch", "", 404, `"No such container: nosuch"`},
		{"GET", "/images/nosuch/json", "", 404, `"No such image: nosuch"`},
		{"POST", "/containers/create", `{"Image":"busybox","Bogus":1}`, 400, `unknown field`},
		{"POST", "/containers/create", `{"Image":"busybox","Cmd":"true","Tty":"yes"}`, 400, `invalid JSON`},
		{"POST", "/containers/create", `{"Image":`, 400, `invalid JSON`},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"OomScoreAdj":5000}}`, 400, `oom score adj`},
		{"POST", "/containers/create", `{"Image":"nosuch:1"}`, 404, `No such image: nosuch:1`},
		{"POST", "/build?version=2", "", 400, `DOCKER_BUILDKIT=0`},
		{"POST", "/session", "", 400, `DOCKER_BUILDKIT=0`},
		{"GET", "/images/search?term=x", "", 501, `no registry search`},
		{"GET", "/networks/nosuch", "", 404, `network nosuch not found`},
		{"GET", "/volumes/nosuch", "", 404, `no such volume`},
		{"GET", "/nosuch/route", "", 404, `page not found`},
	} {
		code, body, h := a.get(c.method, c.path, c.body)
		if code != c.code || !strings.Contains(body, c.msg) || !strings.HasPrefix(body, `{"message":`) ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s, want %d with %s", c.method, c.path, code, body, c.code, c.msg)
		}
	}
	if code, body, _ := a.get("POST", "/containers/create", `{"Image":"busybox","Env":["`+strings.Repeat("x", 5<<20)+`"]}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d %.100s", code, body)
	}

	// Create, a name conflict, inspect's Image is the image ID.
	code, body, _ = a.get("POST", "/containers/create?name=one", `{"Image":"busybox","Cmd":["true"],"Labels":{"a":"b"}}`)
	var cr struct{ Id string }
	if code != 201 || json.Unmarshal([]byte(body), &cr) != nil || len(cr.Id) != 64 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body, _ := a.get("POST", "/containers/create?name=one", `{"Image":"busybox","Cmd":["true"]}`); code != 409 || !strings.Contains(body, "already in use") {
		t.Fatalf("create with a taken name: %d %s", code, body)
	}
	_, body, _ = a.get("GET", "/images/json", "")
	var imgs []map[string]any
	if err := json.Unmarshal([]byte(body), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("images: %s", body)
	}
	for _, k := range []string{"Id", "RepoTags", "RepoDigests", "Labels", "Containers", "SharedSize", "Size", "Created", "ParentId"} {
		if _, ok := imgs[0][k]; !ok {
			t.Errorf("images/json: no %s in %v", k, imgs[0])
		}
	}
	_, body, _ = a.get("GET", "/containers/one/json", "")
	var in struct {
		Id, Image, Name string
		State           struct{ Status string }
		Config          struct{ Labels map[string]string }
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	if in.Image != imgs[0]["Id"] || in.Name != "/one" || in.State.Status != "created" || in.Config.Labels["a"] != "b" {
		t.Fatalf("inspect: %s", body)
	}
	_, body, _ = a.get("GET", `/containers/json?all=1&filters={"label":["a=b"]}`, "")
	if !strings.Contains(body, cr.Id) {
		t.Fatalf("list with a label filter: %s", body)
	}
	_, body, _ = a.get("GET", `/containers/json?all=1&filters={"label":{"a=c":true}}`, "")
	if body != "[]\n" {
		t.Fatalf("list with a label filter that matches nothing: %s", body)
	}
	if code, body, _ := a.get("POST", "/containers/one/wait?condition=bogus", ""); code != 400 {
		t.Fatalf("wait with a bad condition: %d %s", code, body)
	}
	// A created container is not running: wait answers at once.
	if code, body, _ := a.get("POST", "/containers/one/wait", ""); code != 200 || !strings.Contains(body, `"StatusCode":0`) {
		t.Fatalf("wait not-running: %d %s", code, body)
	}
	if code, body, _ := a.get("DELETE", "/containers/one", ""); code != 204 {
		t.Fatalf("remove: %d %s", code, body)
	}
}
