package jsonlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type odd struct {
	A      int8              `json:"a"`
	U      uint16            `json:"u,omitempty"`
	P      *int64            `json:"p"`
	S      []string          `json:"s"`
	M      map[string]string `json:"m"`
	Named  specs.LinuxNamespaceType
	Kelvin string `json:"kelvin"`
	Inner  *odd   `json:"inner"`
	Raw    json.RawMessage
	T      time.Time  `json:"t"`
	PT     *time.Time `json:"pt"`
	skip   int
}

// differential decodes in with both decoders: where jsonlite succeeds,
// encoding/json must succeed with the same value.
func differential[T any](t *testing.T, in []byte) bool {
	var lite, std T
	if err := Unmarshal(in, &lite); err != nil {
		return false
	}
	if err := json.Unmarshal(in, &std); err != nil {
		t.Fatalf("jsonlite accepted what encoding/json refuses (%v):\n%s", err, in)
	}
	if !reflect.DeepEqual(lite, std) {
		t.Fatalf("decoders differ on\n%s\njsonlite      %+v\nencoding/json %+v", in, lite, std)
	}
	return true
}

func seeds() [][]byte {
	s := specs.Spec{Version: "1.2.0", Process: &specs.Process{Args: []string{"sh", "-c", "é\n\"x\""}, Env: []string{},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}},
		Root: &specs.Root{Path: "rootfs", Readonly: true}, Hostname: "h",
		Annotations: map[string]string{"a": "b", "": "\u2028"},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "network", Path: "/proc/1/ns/net"}},
			Resources:   &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			TimeOffsets: map[string]specs.LinuxTimeOffset{"monotonic": {Secs: -5, Nanosecs: 7}}}}
	b1, _ := json.Marshal(s)
	s.Linux.Seccomp, _ = mobyseccomp.GetDefaultProfile(&s)
	b2, _ := json.MarshalIndent(s, "", "\t")
	return [][]byte{b1, b2,
		[]byte(`{"ociVersion":"1","process":null,"linux":{"namespaces":[],"sysctl":{}},"hooks":{"prestart":[{"path":"/x","timeout":3}]}}`),
		[]byte(`{"OCIVERSION":"x"}`), []byte(`{"hostname":"a","hostname":"b"}`), []byte(`{"hostname":"\ud83d\ude00\u00e9\/\b"}`),
		[]byte(`{"hostname":"\ud83d"}`), []byte("{\"hostname\":\"\xff\"}"), []byte(`{"a":1.5,"unknown":[1,{"x":null},true,-0]}`),
		[]byte(`{"a":-128,"u":65535,"p":-9223372036854775808,"s":null,"m":{"k":"v"},"Named":"pid","inner":{"a":1,"inner":null}}`),
		[]byte(`{"a":128}`), []byte(`{"u":-1}`), []byte(`{"a":01}`), []byte(`{"kelvin":"x","\u212aelvin":"y"}`),
		[]byte(`{"Raw":{"x":1}}`), []byte(`{"t":"2026-12-06T22:10:00.123456789Z","pt":"2026-12-06T23:10:00+01:00","Raw":[1, "x"]}`),
		[]byte(`{"t":"2026-13-06T22:10:00Z"}`), []byte(`{"t":null,"pt":null}`), []byte(`{"t":5}`), []byte(`{"skip":1}`), []byte(` [ ] `), []byte(`{"a":1} x`), []byte(`{"p":1e3}`),
	}
}

func TestDifferentialSeeds(t *testing.T) {
	for i, in := range seeds() {
		// The first three are plain configs (one with Docker's seccomp
		// profile): jsonlite must decode them itself.
		if !differential[specs.Spec](t, in) && i < 3 {
			t.Errorf("jsonlite left seed %d to encoding/json", i)
		}
		differential[odd](t, in)
	}
}

func FuzzDifferential(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		differential[specs.Spec](t, in)
		differential[odd](t, in)
	})
}

// Types with their own UnmarshalJSON are decoded here, not left to
// encoding/json: time.Time and json.RawMessage, by value and by pointer.
func TestUnmarshalerTypes(t *testing.T) {
	in := []byte(`{"t":"2026-12-06T22:10:00.123456789Z","pt":"2026-12-06T23:10:00+01:00","Raw":[1, "x"]}`)
	if !differential[odd](t, in) {
		t.Fatal("jsonlite left time.Time or json.RawMessage to encoding/json")
	}
}
