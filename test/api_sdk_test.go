package test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAPIPythonSDK runs testdata/api_sdk.py, Python's Docker SDK against
// the service: containers, logs streaming, events, exec, images, build,
// networks and volumes.
func TestAPIPythonSDK(t *testing.T) {
	needDebianPython(t, "docker", "")
	a := newAPI(t)
	c := exec.Command(debianPython, "testdata/api_sdk.py", "unix://"+a.sock)
	c.Env = a.clientEnv()
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sdk ok") {
		t.Fatalf("api_sdk.py: %v\n%s\nservice: %s", err, out, a.log.String())
	}
	if out := a.ok("ps", "-aq"); out != "" {
		t.Fatalf("containers left: %q", out)
	}
}
