package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func (s *Store) importTar(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	var cfg Config
	if err := ApplyChanges(&cfg.Config.ImageConfig, opts.Changes); err != nil {
		return nil, err
	}
	if opts.Ref != "" {
		if _, err := ParseRef(opts.Ref); err != nil {
			return nil, err
		}
	}
	done := s.writing()
	l, err := s.AddLayer(ctx, "", r)
	if err != nil {
		done()
		s.GC() // the blob of a layer that did not unpack
		return nil, fmt.Errorf("import: %w", err)
	}
	defer done()
	now := time.Now().UTC()
	cfg.Created = &now
	if opts.Platform.OS != "" {
		cfg.OS, cfg.Architecture, cfg.Variant = opts.Platform.OS, opts.Platform.Architecture, opts.Platform.Variant
	}
	comment := opts.Message
	if comment == "" {
		comment = "Imported from tarball"
	}
	cfg.History = []ocispec.History{{Created: &now, CreatedBy: "jinn import", Comment: comment}}
	var tags []string
	if opts.Ref != "" {
		tags = []string{opts.Ref}
	}
	return s.AddImage(ctx, cfg, []Layer{l}, AddOptions{Tags: tags})
}

// ApplyChanges applies Dockerfile instructions given as --change to a
// config: CMD, ENTRYPOINT, ENV, WORKDIR, EXPOSE, USER, LABEL, VOLUME,
// STOPSIGNAL.
func ApplyChanges(c *ocispec.ImageConfig, changes []string) error {
	for _, ch := range changes {
		ch = strings.TrimSpace(ch)
		instr, arg, _ := strings.Cut(ch, " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "CMD":
			c.Cmd = cmdForm(arg)
		case "ENTRYPOINT":
			c.Entrypoint = cmdForm(arg)
		case "ENV":
			for _, kv := range keyValues(arg) {
				c.Env = setEnv(c.Env, kv[0], kv[1])
			}
		case "LABEL":
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			for _, kv := range keyValues(arg) {
				c.Labels[kv[0]] = kv[1]
			}
		case "WORKDIR":
			c.WorkingDir = arg
		case "USER":
			c.User = arg
		case "STOPSIGNAL":
			c.StopSignal = arg
		case "EXPOSE":
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(arg) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				c.ExposedPorts[p] = struct{}{}
			}
		case "VOLUME":
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			for _, v := range cmdFormList(arg) {
				c.Volumes[v] = struct{}{}
			}
		default:
			return fmt.Errorf("invalid --change %q: %s is not supported (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME)", ch, instr)
		}
		if arg == "" {
			return fmt.Errorf("invalid --change %q: missing argument", ch)
		}
	}
	return nil
}

// cmdForm parses the JSON (exec) form or wraps the shell form in /bin/sh -c.
func cmdForm(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	return []string{"/bin/sh", "-c", arg}
}

func cmdFormList(arg string) []string {
	var v []string
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &v) == nil {
		return v
	}
	return strings.Fields(arg)
}

// keyValues parses "k=v k2=\"v 2\"" or the legacy "k v".
func keyValues(arg string) [][2]string {
	if !strings.Contains(strings.SplitN(arg, " ", 2)[0], "=") {
		k, v, _ := strings.Cut(arg, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}
	}
	var out [][2]string
	for _, f := range splitQuoted(arg) {
		k, v, _ := strings.Cut(f, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote, in = r, true
		case quote == 0 && (r == ' ' || r == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
