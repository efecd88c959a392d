package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runtime.md, Errors and Warnings: a runtime reports errors and logs
// warnings. containerd's runc shim reads the --log file (--log-format json)
// to tell its caller why create failed: it parses each line as logrus
// writes it, {"level":"error","msg":"…","time":"…"}, and says "unknown"
// otherwise (issue 16 point 7). So jinn's --log lines are runc's exactly,
// in json and in text, and with --log the error is also a plain line on
// stderr. Checked against runc first.
func TestRuntimeLogFormatLikeRunc(t *testing.T) {
	textLine := regexp.MustCompile(`^time="([^"]+)" level=error msg="(.*)"$`)
	for _, rt := range []string{"runc", "jinn-runtime"} {
		t.Run(rt, func(t *testing.T) {
			e := newRTWith(t, rt, nil)
			e.edit(func(s *specs.Spec) { s.Root.Path = "no-such-rootfs" })
			for _, format := range []string{"json", "text"} {
				log := filepath.Join(t.TempDir(), "log")
				_, stderr, code := e.run("--log", log, "--log-format", format, "create", newID("log"))
				if code == 0 {
					t.Fatalf("create with a missing rootfs succeeded")
				}
				b, _ := os.ReadFile(log)
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				last := lines[len(lines)-1]
				var msg, when string
				if format == "json" {
					var m map[string]any
					if err := json.Unmarshal([]byte(last), &m); err != nil {
						t.Fatalf("json log line %q: %v", last, err)
					}
					if len(m) != 3 || m["level"] != "error" {
						t.Errorf("json log line %q: want exactly level (error), msg, time", last)
					}
					if !strings.HasPrefix(last, `{"level":"error","msg":`) {
						t.Errorf("json log line %q: keys not in logrus's order", last)
					}
					msg, _ = m["msg"].(string)
					when, _ = m["time"].(string)
				} else {
					sub := textLine.FindStringSubmatch(last)
					if sub == nil {
						t.Fatalf("text log line %q is not logrus's", last)
					}
					when, msg = sub[1], sub[2]
				}
				if _, err := time.Parse(time.RFC3339, when); err != nil || strings.Contains(when, ".") {
					t.Errorf("log time %q: want RFC 3339 in seconds", when)
				}
				if !strings.Contains(msg, "no-such-rootfs") {
					t.Errorf("log msg %q does not say what failed", msg)
				}
				if got := strings.TrimSpace(stderr); strings.Contains(got, "level=") || !strings.Contains(got, "no-such-rootfs") {
					t.Errorf("stderr %q: want the plain error", stderr)
				}
			}
		})
	}
}
