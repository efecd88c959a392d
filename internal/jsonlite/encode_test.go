package jsonlite

import (
	"bytes"
	"encoding/json"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sameEncoding encodes v with both encoders: where jsonlite encodes, the
// bytes must be encoding/json's.
func sameEncoding(t *testing.T, v any) bool {
	lite, ok := Marshal(v)
	if !ok {
		return false
	}
	std, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("jsonlite encoded what encoding/json refuses (%v): %s", err, lite)
	}
	if !bytes.Equal(lite, std) {
		t.Fatalf("encoders differ\njsonlite      %s\nencoding/json %s", lite, std)
	}
	return true
}

// encodeDecoded decodes in with encoding/json into a T and compares the
// two encodings of what it got.
func encodeDecoded[T any](t *testing.T, in []byte) bool {
	var v T
	if json.Unmarshal(in, &v) != nil {
		return false
	}
	return sameEncoding(t, &v)
}

func TestEncodeSeeds(t *testing.T) {
	s := specs.Spec{Version: "1.2.0", Process: &specs.Process{Args: []string{"sh", "<&>\u2028\xff\x01\b\f"}, Env: []string{},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}},
		Annotations: map[string]string{"b": "1", "a": "2"},
		Linux:       &specs.Linux{Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}}}
	if !sameEncoding(t, &s) {
		t.Error("jsonlite left a plain spec to encoding/json")
	}
	s.Linux.Seccomp, _ = mobyseccomp.GetDefaultProfile(&s)
	if !sameEncoding(t, s) {
		t.Error("jsonlite left docker's seccomp profile to encoding/json")
	}
	for _, in := range seeds() {
		encodeDecoded[specs.Spec](t, in)
		encodeDecoded[odd](t, in)
		encodeDecoded[embeds](t, in)
		encodeDecoded[dockerspec.DockerOCIImage](t, in)
	}
	// time.Time and json.RawMessage through MarshalJSON, compacted and
	// HTML-escaped.
	if !encodeDecoded[odd](t, []byte(`{"t":"2026-12-06T22:10:00.123456789Z","pt":"2026-12-06T23:10:00+01:00","Raw":[1, "<x>"]}`)) {
		t.Error("jsonlite left time.Time or json.RawMessage to encoding/json")
	}
	if !encodeDecoded[dockerspec.DockerOCIImage](t, []byte(`{"created":"2026-12-06T22:10:00Z","config":{"Env":["A=1"]},"os":"linux"}`)) {
		t.Error("jsonlite left embedded structs to encoding/json")
	}
	for _, v := range []any{nil, []byte("x"), 1.5, map[int]string{1: "a"}, json.Number("1"), struct{ A, B twice }{}} {
		if sameEncoding(t, v) && v != nil {
			t.Errorf("jsonlite encoded %T, which it should leave to encoding/json", v)
		}
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		encodeDecoded[specs.Spec](t, in)
		encodeDecoded[odd](t, in)
		encodeDecoded[embeds](t, in)
		encodeDecoded[dockerspec.DockerOCIImage](t, in)
	})
}
