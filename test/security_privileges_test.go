package test

import (
	"os"
	"strings"
	"testing"
)

// TestSecurityPrivileges: --privileged and --cap-add ALL grant what the
// engine's own bounding set holds (this host's lacks CAP_SYS_RESOURCE, and
// they must still run), a --cap-drop after ALL holds, and --security-opt
// is parsed as docker parses it, unknown keys refused with 125.
func TestSecurityPrivileges(t *testing.T) {
	self, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	hostBnd := capSets(string(self))["CapBnd"]
	const sysAdmin, netAdmin = uint64(1) << 21, uint64(1) << 12
	for _, rt := range engineRuntimes() {
		t.Run(rt, func(t *testing.T) {
			j := newJinn(t, rt)
			status := func(flags ...string) map[string]uint64 {
				t.Helper()
				return capSets(j.ok(j.runArgs(append([]string{"--rm"}, flags...), "cat", "/proc/self/status")...))
			}
			p := status("--privileged")
			if p["CapBnd"] != hostBnd || p["CapEff"] != hostBnd {
				t.Errorf("--privileged: CapBnd %x CapEff %x, the engine's bounding set is %x", p["CapBnd"], p["CapEff"], hostBnd)
			}
			a := status("--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--cap-drop", "net_admin")
			for _, set := range []string{"CapBnd", "CapEff", "CapPrm"} {
				if a[set]&(sysAdmin|netAdmin) != 0 {
					t.Errorf("--cap-add ALL --cap-drop SYS_ADMIN,NET_ADMIN: %s %x still holds a dropped one", set, a[set])
				}
				if a[set] != hostBnd&^(sysAdmin|netAdmin) {
					t.Errorf("--cap-add ALL --cap-drop SYS_ADMIN,NET_ADMIN: %s %x, want %x", set, a[set], hostBnd&^(sysAdmin|netAdmin))
				}
			}
			// exec --privileged: the same set, in a container run without it.
			id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d"}, "sleep", "60")...))
			e := capSets(j.ok("exec", "--privileged", id, "cat", "/proc/self/status"))
			if e["CapEff"] != hostBnd || e["CapBnd"] != hostBnd {
				t.Errorf("exec --privileged: CapBnd %x CapEff %x, the engine's bounding set is %x", e["CapBnd"], e["CapEff"], hostBnd)
			}
			j.ok("rm", "-f", id)
			nnp := func(opt string) string {
				out := j.ok(j.runArgs([]string{"--rm", "--security-opt", opt}, "grep", "NoNewPrivs", "/proc/self/status")...)
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "NoNewPrivs:"))
			}
			for opt, want := range map[string]string{
				"no-new-privileges": "1", "no-new-privileges=true": "1", "no-new-privileges:true": "1",
				"no-new-privileges=1": "1", "no-new-privileges=false": "0", "no-new-privileges=0": "0",
			} {
				if got := nnp(opt); got != want {
					t.Errorf("--security-opt %s: NoNewPrivs %q, want %s", opt, got, want)
				}
			}
			for _, opt := range []string{"seccomp=unconfined", "apparmor=unconfined", "label=disable", "systempaths=unconfined"} {
				j.ok(j.runArgs([]string{"--rm", "--security-opt", opt}, "true")...)
			}
			refused := []string{"bogus=1", "no-new-privileges=maybe", "seccomp", "systempaths=other"}
			if b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); strings.TrimSpace(string(b)) != "Y" {
				refused = append(refused, "apparmor=docker-default")
			}
			if _, err := os.Stat("/sys/fs/selinux/enforce"); err != nil {
				refused = append(refused, "label=type:svirt_t")
			}
			for _, opt := range refused {
				out, errs, code := j.run(j.runArgs([]string{"--security-opt", opt}, "true")...)
				if code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "security-opt") {
					t.Errorf("--security-opt %s: exit %d, want 125 and one line; stdout %q stderr %q", opt, code, out, errs)
				}
			}
			if ps := strings.TrimSpace(j.ok("ps", "-aq")); ps != "" {
				t.Errorf("refused creates left containers: %q", ps)
			}
		})
	}
}
