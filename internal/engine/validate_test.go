package engine

import (
	"strings"
	"testing"
)

// TestValidate: values out of range are refused with docker's messages
// and exit 125, whether the CLI's flags or the API's JSON carried them.
func TestValidate(t *testing.T) {
	i := func(v int64) int64 { return v }
	for _, tc := range []struct {
		name string
		set  func(o *CreateOptions)
		msg  string
	}{
		{"memory", func(o *CreateOptions) { o.Host.Memory = i(1 << 20) }, "Minimum memory limit allowed is 6MB"},
		{"swap without memory", func(o *CreateOptions) { o.Host.MemorySwap = 1 << 30 }, "should always set the Memory limit"},
		{"swap under memory", func(o *CreateOptions) { o.Host.Memory, o.Host.MemorySwap = 1<<30, 1<<29 }, "larger than memory limit"},
		{"workdir", func(o *CreateOptions) { o.Config.WorkingDir = "rel" }, "needs to be an absolute path"},
		{"restart count", func(o *CreateOptions) { o.Host.RestartPolicy = RestartPolicy{Name: "always", MaximumRetryCount: 3} }, "maximum retry count"},
		{"restart name", func(o *CreateOptions) { o.Host.RestartPolicy.Name = "sometimes" }, "unknown policy"},
		{"log driver", func(o *CreateOptions) { o.Host.LogConfig.Type = "syslog" }, "only json-file"},
		{"log opt", func(o *CreateOptions) { o.Host.LogConfig.Config = map[string]string{"max-file": "0"} }, "max-file"},
		{"oom score", func(o *CreateOptions) { o.Host.OomScoreAdj = 2000 }, "range for oom score adj"},
		{"blkio weight", func(o *CreateOptions) { o.Host.BlkioWeight = 5 }, "range is from 10 to 1000"},
		{"ulimit name", func(o *CreateOptions) { o.Host.Ulimits = []Ulimit{{Name: "bogus"}} }, "invalid ulimit type"},
		{"ulimit order", func(o *CreateOptions) { o.Host.Ulimits = []Ulimit{{Name: "nofile", Soft: 2, Hard: 1}} }, "soft limit"},
	} {
		o := &CreateOptions{Image: "busybox"}
		tc.set(o)
		err := validate(o)
		if err == nil || ExitCode(err) != ExitEngine || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want exit 125 with %q", tc.name, err, tc.msg)
		}
	}
	if err := validate(&CreateOptions{Image: "busybox", Host: HostConfig{RestartPolicy: RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}}}); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
