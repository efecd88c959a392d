package build

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/image"
)

func sortStrings(s []string) { sort.Strings(s) }

// dispatch runs one instruction of a stage.
func (s *stage) dispatch(ctx context.Context, in *Instruction, meta map[string]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch in.Cmd {
	case "arg":
		// ARG changes no image, but its value takes part in later keys
		// through the RUN environment.
		return s.b.declareArgs(in, s.v, meta)
	case "run":
		return s.run(ctx, in)
	case "copy", "add":
		return s.copy(ctx, in)
	}
	if _, err := parseFlags(in, allowedFlags(in.Cmd)...); err != nil {
		return err
	}
	mutate, text, err := s.meta(in)
	if err != nil {
		return err
	}
	return s.commit(ctx, []string{in.Cmd, text}, nop(text), mutate, nil)
}

func allowedFlags(cmd string) []string {
	if cmd == "healthcheck" {
		return []string{"interval", "timeout", "start-period", "start-interval", "retries"}
	}
	return nil
}

// meta returns the config change of a metadata instruction and the text
// docker records for it (expanded).
func (s *stage) meta(in *Instruction) (func(*image.Config) error, string, error) {
	name := strings.ToUpper(in.Cmd)
	switch in.Cmd {
	case "env":
		kv, err := pairs(in)
		if err != nil {
			return nil, "", err
		}
		var parts []string
		env := s.cfg.Config.Env
		for _, p := range kv {
			val, err := s.v.word(p[1])
			if err != nil {
				return nil, "", err
			}
			env = setEnv(env, p[0], val)
			parts = append(parts, p[0]+"="+val)
		}
		// Later words in this stage see the new values at once.
		s.v.env = env
		return func(c *image.Config) error { c.Config.Env = env; return nil }, "ENV " + strings.Join(parts, " "), nil
	case "label", "maintainer":
		labels := map[string]string{}
		var parts []string
		if in.Cmd == "maintainer" {
			a := strings.Join(in.Args, " ")
			return func(c *image.Config) error { c.Author = a; return nil }, "MAINTAINER " + a, nil
		}
		kv, err := pairs(in)
		if err != nil {
			return nil, "", err
		}
		for _, p := range kv {
			k, err := s.v.word(p[0])
			if err != nil {
				return nil, "", err
			}
			val, err := s.v.word(p[1])
			if err != nil {
				return nil, "", err
			}
			labels[k] = val
			parts = append(parts, k+"="+val)
		}
		return func(c *image.Config) error {
			if c.Config.Labels == nil {
				c.Config.Labels = map[string]string{}
			}
			for k, v := range labels {
				c.Config.Labels[k] = v
			}
			return nil
		}, "LABEL " + strings.Join(parts, " "), nil
	case "workdir":
		if len(in.Args) != 1 {
			return nil, "", fmt.Errorf("WORKDIR requires exactly one argument")
		}
		w, err := s.v.word(in.Args[0])
		if err != nil {
			return nil, "", err
		}
		if !path.IsAbs(w) {
			w = path.Join("/", s.cfg.Config.WorkingDir, w)
		}
		w = path.Clean(w)
		return func(c *image.Config) error { c.Config.WorkingDir = w; return nil }, "WORKDIR " + w, nil
	case "user":
		if len(in.Args) != 1 {
			return nil, "", fmt.Errorf("USER requires exactly one argument")
		}
		u, err := s.v.word(in.Args[0])
		if err != nil {
			return nil, "", err
		}
		return func(c *image.Config) error { c.Config.User = u; return nil }, "USER " + u, nil
	case "cmd", "entrypoint":
		argv := s.command(in)
		set := s.cmdSet
		if in.Cmd == "cmd" {
			s.cmdSet = true
		}
		return func(c *image.Config) error {
			if in.Cmd == "cmd" {
				c.Config.Cmd = argv
			} else {
				c.Config.Entrypoint = argv
				if !set {
					c.Config.Cmd = nil // docker: a new ENTRYPOINT drops an inherited CMD
				}
			}
			return nil
		}, name + " " + jsonString(argv), nil
	case "shell":
		if !in.JSON {
			return nil, "", fmt.Errorf("SHELL requires the arguments to be in JSON form")
		}
		sh := append([]string(nil), in.Args...)
		return func(c *image.Config) error { c.Config.Shell = sh; return nil }, "SHELL " + jsonString(sh), nil
	case "expose":
		ports, err := s.v.words(in.Args)
		if err != nil {
			return nil, "", err
		}
		var norm []string
		for _, p := range ports {
			for _, f := range strings.Fields(p) {
				n, err := normPort(f)
				if err != nil {
					return nil, "", err
				}
				norm = append(norm, n)
			}
		}
		return func(c *image.Config) error {
			if c.Config.ExposedPorts == nil {
				c.Config.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range norm {
				c.Config.ExposedPorts[p] = struct{}{}
			}
			return nil
		}, "EXPOSE " + strings.Join(norm, " "), nil
	case "volume":
		vols, err := s.v.words(in.Args)
		if err != nil {
			return nil, "", err
		}
		if !in.JSON {
			var f []string
			for _, v := range vols {
				f = append(f, strings.Fields(v)...)
			}
			vols = f
		}
		for _, v := range vols {
			if strings.TrimSpace(v) == "" {
				return nil, "", fmt.Errorf("VOLUME specified can not be an empty string")
			}
		}
		return func(c *image.Config) error {
			if c.Config.Volumes == nil {
				c.Config.Volumes = map[string]struct{}{}
			}
			for _, v := range vols {
				c.Config.Volumes[v] = struct{}{}
			}
			return nil
		}, "VOLUME " + jsonString(vols), nil
	case "stopsignal":
		sig, err := s.v.word(in.Args[0])
		if err != nil {
			return nil, "", err
		}
		if err := checkSignal(sig); err != nil {
			return nil, "", err
		}
		return func(c *image.Config) error { c.Config.StopSignal = sig; return nil }, "STOPSIGNAL " + sig, nil
	case "healthcheck":
		hc, err := s.healthcheck(in)
		if err != nil {
			return nil, "", err
		}
		return func(c *image.Config) error { c.Config.Healthcheck = hc; return nil }, "HEALTHCHECK " + jsonString(hc.Test), nil
	case "onbuild":
		if in.Sub == nil {
			return nil, "", fmt.Errorf("ONBUILD requires an instruction")
		}
		t := in.Sub.Original
		return func(c *image.Config) error {
			c.Config.OnBuild = append(append([]string(nil), c.Config.OnBuild...), t)
			return nil
		}, "ONBUILD " + t, nil
	}
	return nil, "", fmt.Errorf("instruction %s is not supported", name)
}

// command is a CMD/ENTRYPOINT/RUN argv: exec form as is, shell form
// through the stage's SHELL.
func (s *stage) command(in *Instruction) []string {
	if in.JSON {
		return append([]string{}, in.Args...)
	}
	return append(s.shell(), strings.Join(in.Args, " "))
}

func (s *stage) shell() []string {
	if len(s.cfg.Config.Shell) > 0 {
		return append([]string(nil), s.cfg.Config.Shell...)
	}
	return []string{"/bin/sh", "-c"}
}

func normPort(p string) (string, error) {
	num, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return "", fmt.Errorf("invalid proto %q in EXPOSE %s", proto, p)
	}
	lo, hi, isRange := strings.Cut(num, "-")
	for _, n := range []string{lo, hi} {
		if !isRange && n == hi {
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 65535 {
			return "", fmt.Errorf("invalid port %q in EXPOSE", p)
		}
	}
	return num + "/" + proto, nil
}

func checkSignal(sig string) error {
	if n, err := strconv.Atoi(sig); err == nil {
		if n < 1 || n > 64 {
			return fmt.Errorf("invalid signal %s", sig)
		}
		return nil
	}
	name := strings.TrimPrefix(strings.ToUpper(sig), "SIG")
	if unix.SignalNum("SIG"+name) == 0 && !strings.HasPrefix(name, "RTMIN") && !strings.HasPrefix(name, "RTMAX") {
		return fmt.Errorf("invalid signal %s", sig)
	}
	return nil
}

func (s *stage) healthcheck(in *Instruction) (*dockerspec.HealthcheckConfig, error) {
	flags, err := parseFlags(in, allowedFlags("healthcheck")...)
	if err != nil {
		return nil, err
	}
	kind := strings.ToUpper(in.Args[0])
	hc := &dockerspec.HealthcheckConfig{}
	switch kind {
	case "NONE":
		if len(in.Args) > 1 || len(flags) > 0 {
			return nil, fmt.Errorf("HEALTHCHECK NONE takes no arguments")
		}
		hc.Test = []string{"NONE"}
		return hc, nil
	case "CMD":
	default:
		return nil, fmt.Errorf("HEALTHCHECK: unknown type %q (want CMD or NONE)", in.Args[0])
	}
	rest := in.Args[1:]
	if len(rest) == 0 {
		return nil, fmt.Errorf("HEALTHCHECK CMD requires a command")
	}
	if in.JSON {
		hc.Test = append([]string{"CMD"}, rest...)
	} else {
		hc.Test = []string{"CMD-SHELL", strings.Join(rest, " ")}
	}
	for k, v := range flags {
		switch k {
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("HEALTHCHECK --retries %q: not a count", v)
			}
			hc.Retries = n
		default:
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("HEALTHCHECK --%s %q: not a duration", k, v)
			}
			switch k {
			case "interval":
				hc.Interval = d
			case "timeout":
				hc.Timeout = d
			case "start-period":
				hc.StartPeriod = d
			case "start-interval":
				hc.StartInterval = d
			}
		}
	}
	return hc, nil
}
