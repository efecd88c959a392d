package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/clip"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// securityOpts is --security-opt parsed as docker's daemon parses it.
type securityOpts struct {
	noNewPrivileges bool
	// seccomp is "" (the default profile), "unconfined" or a profile's
	// JSON (docker's CLI sends the file's content, not its path).
	seccomp         string
	apparmor        string
	labels          []string
	unmaskPaths     bool // systempaths=unconfined
	writableCgroups bool
}

// selinuxLabel composes the process label of label=user:/role:/type:/
// level: options over docker's default container context; "" with none
// or with label=disable.
func (s *securityOpts) selinuxLabel() string {
	parts := map[string]string{"user": "system_u", "role": "system_r", "type": "container_t", "level": "s0"}
	set := false
	for _, l := range s.labels {
		if l == "disable" {
			return ""
		}
		if k, v, ok := strings.Cut(l, ":"); ok && parts[k] != "" {
			parts[k], set = v, true
		}
	}
	if !set {
		return ""
	}
	return parts["user"] + ":" + parts["role"] + ":" + parts["type"] + ":" + parts["level"]
}

// hostLSM says whether AppArmor and SELinux are enabled on this host;
// a field so tests and callers can pass what they found.
type hostLSM struct{ apparmor, selinux bool }

func probeLSM() hostLSM {
	var h hostLSM
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil {
		h.apparmor = strings.TrimSpace(string(b)) == "Y"
	}
	if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
		h.selinux = true
	}
	return h
}

// parseSecurityOpts checks every --security-opt: key=value (or the old
// key:value), no-new-privileges alone. Unknown keys, bad booleans and
// confinement the host cannot give are refused: a container must not run
// with less confinement than asked for.
func parseSecurityOpts(opts []string, lsm hostLSM) (*securityOpts, error) {
	s := &securityOpts{}
	for _, o := range opts {
		if o == "no-new-privileges" {
			s.noNewPrivileges = true
			continue
		}
		if o == "disable" { // docker's old spelling of label=disable
			s.labels = append(s.labels, "disable")
			continue
		}
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, ok = strings.Cut(o, ":")
		}
		if !ok || v == "" {
			return nil, fmt.Errorf("invalid --security-opt %s: a value is needed", clip.Quote(o))
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("invalid --security-opt %s: no-new-privileges takes true or false", clip.Quote(o))
			}
			s.noNewPrivileges = b
		case "seccomp":
			s.seccomp = v
		case "apparmor":
			if v != "unconfined" && !lsm.apparmor {
				return nil, fmt.Errorf("invalid --security-opt %s: AppArmor is not enabled on this host", clip.Quote(o))
			}
			s.apparmor = v
		case "label":
			if v != "disable" && !lsm.selinux {
				return nil, fmt.Errorf("invalid --security-opt %s: SELinux is not enabled on this host", clip.Quote(o))
			}
			s.labels = append(s.labels, v)
		case "systempaths":
			if v != "unconfined" {
				return nil, fmt.Errorf("invalid --security-opt %s: systempaths takes only unconfined", clip.Quote(o))
			}
			s.unmaskPaths = true
		case "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("invalid --security-opt %s: writable-cgroups takes true or false", clip.Quote(o))
			}
			s.writableCgroups = b
		default:
			return nil, fmt.Errorf("invalid --security-opt %s: unknown option %s", clip.Quote(o), clip.Quote(k))
		}
	}
	return s, nil
}

// embedSeccompProfiles replaces seccomp=FILE by seccomp=<the file's JSON>,
// as docker's CLI does, so the container does not depend on the file
// later and API clients (which send the JSON) and the CLI store the same.
func embedSeccompProfiles(opts []string) ([]string, error) {
	out := make([]string, 0, len(opts))
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, ok = strings.Cut(o, ":")
		}
		if !ok || k != "seccomp" || v == "unconfined" || v == "builtin" || strings.HasPrefix(strings.TrimSpace(v), "{") {
			out = append(out, o)
			continue
		}
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("opening seccomp profile (%s) failed: %w", v, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", v, err)
		}
		out = append(out, "seccomp="+buf.String())
	}
	return out, nil
}

// checkSecurityOpts refuses at create what start would refuse, the
// seccomp profile's JSON included.
func checkSecurityOpts(opts []string) error {
	sec, err := parseSecurityOpts(opts, probeLSM())
	if err != nil {
		return err
	}
	switch sec.seccomp {
	case "", "builtin", "unconfined":
		return nil
	}
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}, Linux: &specs.Linux{}}
	if _, err := mobyseccomp.LoadProfile(sec.seccomp, spec); err != nil {
		return fmt.Errorf("decoding seccomp profile failed: %s", clip.Line(err.Error()))
	}
	return nil
}
