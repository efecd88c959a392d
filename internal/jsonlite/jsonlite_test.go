package jsonlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	mobyseccomp "github.com/moby/profiles/seccomp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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
	Arr    [2]uint16  `json:"arr"`
	skip   int
}

// Embedded structs: promoted fields, a shallower name hiding a deeper
// one whatever the order, an unexported embedded type.
type base struct {
	A     string `json:"a"`
	Deep  int    `json:"deep"`
	Other string
}

type inner struct {
	base
	Deep string `json:"deep"`
}

type embeds struct {
	inner
	A  int `json:"a"`
	ID string
}

// twice has the name "X" twice at one depth: encoding/json's rules.
type twice struct {
	N int
	x2
	x3
}
type x2 struct{ X string }
type x3 struct{ X string }

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
		[]byte(`{"arr":[1,2,3]}`), []byte(`{"arr":[1]}`), []byte(`{"arr":null}`), []byte(`{"arr":[1,"x"]}`), []byte(`{"arr":[1,2,{"x":[]}]}`),
		[]byte(`{"a":5,"deep":"d","Other":"o","ID":"i"}`), []byte(`{"a":"s"}`), []byte(`{"deep":1}`), []byte(`{"X":"y"}`),
		[]byte(`{"created":"2026-12-06T22:10:00Z","architecture":"amd64","os":"linux","os.features":["a"],"variant":"v8",` +
			`"config":{"User":"u","Env":["A=1"],"Cmd":["sh"],"Healthcheck":{"Test":["CMD","true"],"Interval":1000},` +
			`"ExposedPorts":{"80/tcp":{}},"OnBuild":["RUN x"],"Shell":["/bin/sh","-c"],"ArgsEscaped":true},` +
			`"rootfs":{"type":"layers","diff_ids":["sha256:` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"]},` +
			`"history":[{"created_by":"x","empty_layer":true}]}`),
		[]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"m","digest":"sha256:00","size":5},` +
			`"layers":[{"mediaType":"m","digest":"sha256:01","size":7,"annotations":{"a":"b"}}]}`),
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
		differential[embeds](t, in)
		differential[twice](t, in)
		differential[dockerspec.DockerOCIImage](t, in)
		differential[ocispec.Manifest](t, in)
	}
	// Embedded structs and the image store's records are decoded here,
	// not left to encoding/json; a name twice at one depth is left to it.
	ss := seeds()
	at := func(prefix string) []byte {
		for _, in := range ss {
			if len(in) >= len(prefix) && string(in[:len(prefix)]) == prefix {
				return in
			}
		}
		t.Fatalf("no seed %s", prefix)
		return nil
	}
	if !differential[odd](t, at(`{"arr":[1,2,3]}`)) || !differential[odd](t, at(`{"arr":[1]}`)) {
		t.Error("jsonlite left arrays to encoding/json")
	}
	if !differential[embeds](t, at(`{"a":5,"deep"`)) {
		t.Error("jsonlite left embedded structs to encoding/json")
	}
	if differential[twice](t, at(`{"X":"y"}`)) {
		t.Error("jsonlite decoded a name found twice at one depth")
	}
	if !differential[dockerspec.DockerOCIImage](t, at(`{"created"`)) {
		t.Error("jsonlite left the image config to encoding/json")
	}
	if !differential[ocispec.Manifest](t, at(`{"schemaVersion"`)) {
		t.Error("jsonlite left the image manifest to encoding/json")
	}
}

func FuzzDifferential(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		differential[specs.Spec](t, in)
		differential[odd](t, in)
		differential[embeds](t, in)
		differential[twice](t, in)
		differential[dockerspec.DockerOCIImage](t, in)
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
