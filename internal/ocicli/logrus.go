package ocicli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// logrusHandler writes log records exactly as runc's logrus does, because
// its readers parse them: containerd's shim reads --log's JSON lines
// ({"level":"error","msg":"…","time":"…"}) to report why the runtime
// failed, and shows "unknown" when it cannot.
//   - json: one object per line, keys sorted (logrus marshals a map).
//   - text: time="…" level=error msg="…", then the other keys sorted,
//     each value quoted only where logrus would quote it.
type logrusHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	json  bool
	level slog.Leveler
	attrs []slog.Attr
}

func newLogrusHandler(w io.Writer, jsonFormat bool, level slog.Leveler) *logrusHandler {
	return &logrusHandler{mu: &sync.Mutex{}, w: w, json: jsonFormat, level: level}
}

func (h *logrusHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *logrusHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

// WithGroup is not used by jinn-runtime; logrus has no groups either.
func (h *logrusHandler) WithGroup(string) slog.Handler { return h }

// logrusLevel is logrus's name for a level.
func logrusLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

func (h *logrusHandler) Handle(_ context.Context, r slog.Record) error {
	fields := map[string]string{}
	add := func(a slog.Attr) bool {
		fields[a.Key] = a.Value.Resolve().String()
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	ts := r.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	level, msg, when := logrusLevel(r.Level), r.Message, ts.Format(time.RFC3339)
	var line []byte
	if h.json {
		m := map[string]string{}
		for k, v := range fields {
			if k == "level" || k == "msg" || k == "time" {
				k = "fields." + k // as logrus renames a clashing key
			}
			m[k] = v
		}
		m["level"], m["msg"], m["time"] = level, msg, when
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		line = append(b, '\n')
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "time=%s level=%s msg=%s", logrusQuote(when), level, logrusQuote(msg))
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, logrusQuote(fields[k]))
		}
		b.WriteByte('\n')
		line = []byte(b.String())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(line)
	return err
}

// logrusQuote quotes s as logrus's text formatter does: only when it is
// empty or holds anything but letters, digits and -._/@^+.
func logrusQuote(s string) string {
	if s == "" {
		return `""`
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.ContainsRune("-._/@^+", c)) {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
