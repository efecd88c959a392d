package monitor

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// The line format: one "key value" per line; strings are Go-quoted; a
// repeated key is a list. Unknown keys are ignored, so fields can be added.

type kvWriter struct{ b []byte }

func (w *kvWriter) str(k, v string) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ' ')
	w.b = strconv.AppendQuote(w.b, v)
	w.b = append(w.b, '\n')
}

func (w *kvWriter) int(k string, v int64) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ' ')
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, '\n')
}

func (w *kvWriter) bool(k string, v bool) {
	if v {
		w.int(k, 1)
	} else {
		w.int(k, 0)
	}
}

func (w *kvWriter) time(k string, t time.Time) {
	if !t.IsZero() {
		w.int(k, t.UnixNano())
	}
}

type kv struct {
	k, v string
}

func parseKV(b []byte) ([]kv, error) {
	var out []kv
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			return nil, errors.New("bad line " + strconv.Quote(line))
		}
		out = append(out, kv{k, v})
	}
	return out, nil
}

func unq(v string) string {
	s, err := strconv.Unquote(v)
	if err != nil {
		return v
	}
	return s
}

func atoi(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func atime(v string) time.Time {
	n := atoi(v)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encodeConfig(c *Config) []byte {
	w := &kvWriter{}
	w.str("id", c.ID)
	w.str("name", c.Name)
	w.str("image", c.Image)
	w.str("events", c.Events)
	w.str("runtime", c.Runtime)
	for _, a := range c.RuntimeArgs {
		w.str("runtime_arg", a)
	}
	w.str("bundle", c.Bundle)
	w.str("state_dir", c.StateDir)
	w.str("log_path", c.LogPath)
	w.int("log_max_size", c.LogMaxSize)
	w.int("log_max_files", int64(c.LogMaxFiles))
	w.bool("tty", c.Tty)
	w.bool("stdin", c.Stdin)
	w.bool("start", c.Start)
	w.str("restart", c.Restart.Name)
	w.int("restart_max", int64(c.Restart.Max))
	if h := c.Health; h != nil {
		for _, t := range h.Test {
			w.str("health_test", t)
		}
		w.int("health_interval", int64(h.Interval))
		w.int("health_timeout", int64(h.Timeout))
		w.int("health_start_period", int64(h.StartPeriod))
		w.int("health_retries", int64(h.Retries))
		if h.StartInterval > 0 {
			w.int("health_start_interval", int64(h.StartInterval))
		}
	}
	for _, f := range c.OOMFiles {
		w.str("oom_file", f)
	}
	for _, a := range c.Cleanup {
		w.str("cleanup", a)
	}
	for _, a := range c.OnExit {
		w.str("on_exit", a)
	}
	for _, a := range c.EventAttrs {
		w.str("event_attr", a)
	}
	return w.b
}

func decodeConfig(b []byte) (*Config, error) {
	kvs, err := parseKV(b)
	if err != nil {
		return nil, errors.New("parse monitor config: " + err.Error())
	}
	c := &Config{}
	health := func() *Health {
		if c.Health == nil {
			c.Health = &Health{}
		}
		return c.Health
	}
	for _, p := range kvs {
		switch p.k {
		case "id":
			c.ID = unq(p.v)
		case "name":
			c.Name = unq(p.v)
		case "image":
			c.Image = unq(p.v)
		case "events":
			c.Events = unq(p.v)
		case "runtime":
			c.Runtime = unq(p.v)
		case "runtime_arg":
			c.RuntimeArgs = append(c.RuntimeArgs, unq(p.v))
		case "bundle":
			c.Bundle = unq(p.v)
		case "state_dir":
			c.StateDir = unq(p.v)
		case "log_path":
			c.LogPath = unq(p.v)
		case "log_max_size":
			c.LogMaxSize = atoi(p.v)
		case "log_max_files":
			c.LogMaxFiles = int(atoi(p.v))
		case "tty":
			c.Tty = p.v == "1"
		case "stdin":
			c.Stdin = p.v == "1"
		case "start":
			c.Start = p.v == "1"
		case "restart":
			c.Restart.Name = unq(p.v)
		case "restart_max":
			c.Restart.Max = int(atoi(p.v))
		case "health_test":
			health().Test = append(health().Test, unq(p.v))
		case "health_interval":
			health().Interval = time.Duration(atoi(p.v))
		case "health_timeout":
			health().Timeout = time.Duration(atoi(p.v))
		case "health_start_period":
			health().StartPeriod = time.Duration(atoi(p.v))
		case "health_retries":
			health().Retries = int(atoi(p.v))
		case "health_start_interval":
			health().StartInterval = time.Duration(atoi(p.v))
		case "oom_file":
			c.OOMFiles = append(c.OOMFiles, unq(p.v))
		case "cleanup":
			c.Cleanup = append(c.Cleanup, unq(p.v))
		case "on_exit":
			c.OnExit = append(c.OnExit, unq(p.v))
		case "event_attr":
			c.EventAttrs = append(c.EventAttrs, unq(p.v))
		}
	}
	return c, nil
}

// stateFormat opens every state file written since states could be told
// from damaged ones; such a file must end with the "end" line, so one cut
// short at a line boundary is noticed too.
const stateFormat = "format 2"

func encodeState(s *State) []byte {
	w := &kvWriter{}
	w.b = append(w.b, stateFormat+"\n"...)
	w.str("status", s.Status)
	w.int("pid", int64(s.Pid))
	w.int("monitor_pid", int64(s.MonitorPid))
	w.int("monitor_start", int64(s.MonitorStart))
	w.int("exit_code", int64(s.ExitCode))
	w.bool("oom_killed", s.OOMKilled)
	if s.Error != "" {
		w.str("error", s.Error)
	}
	w.time("started_at", s.StartedAt)
	w.time("finished_at", s.FinishedAt)
	w.int("restart_count", int64(s.RestartCount))
	w.bool("deleted", s.Deleted)
	if h := s.Health; h != nil {
		w.str("health_status", h.Status)
		w.int("health_failing_streak", int64(h.FailingStreak))
		for _, l := range h.Log {
			w.str("health_log", strconv.FormatInt(l.Start.UnixNano(), 10)+" "+strconv.FormatInt(l.End.UnixNano(), 10)+" "+
				strconv.Itoa(l.ExitCode)+" "+l.Output)
		}
	}
	w.int("end", 1)
	return w.b
}

func decodeState(b []byte) (*State, error) {
	kvs, err := parseKV(b)
	if err != nil {
		return nil, errors.New("parse state: " + err.Error())
	}
	s := &State{}
	health := func() *HealthState {
		if s.Health == nil {
			s.Health = &HealthState{Log: []HealthLog{}}
		}
		return s.Health
	}
	for _, p := range kvs {
		switch p.k {
		case "status":
			s.Status = unq(p.v)
		case "pid":
			s.Pid = int(atoi(p.v))
		case "monitor_pid":
			s.MonitorPid = int(atoi(p.v))
		case "monitor_start":
			s.MonitorStart = uint64(atoi(p.v))
		case "exit_code":
			s.ExitCode = int(atoi(p.v))
		case "oom_killed":
			s.OOMKilled = p.v == "1"
		case "error":
			s.Error = unq(p.v)
		case "started_at":
			s.StartedAt = atime(p.v)
		case "finished_at":
			s.FinishedAt = atime(p.v)
		case "restart_count":
			s.RestartCount = int(atoi(p.v))
		case "deleted":
			s.Deleted = p.v == "1"
		case "health_status":
			health().Status = unq(p.v)
		case "health_failing_streak":
			health().FailingStreak = int(atoi(p.v))
		case "health_log":
			f := strings.SplitN(unq(p.v), " ", 4)
			if len(f) == 4 {
				code, _ := strconv.Atoi(f[2])
				health().Log = append(health().Log, HealthLog{Start: atime(f[0]), End: atime(f[1]), ExitCode: code, Output: f[3]})
			}
		}
	}
	if err := checkState(b, kvs, s); err != nil {
		return nil, errors.New("damaged state: " + err.Error())
	}
	return s, nil
}

// checkState tells a state file cut short or overwritten from a whole
// one: the engine reports such a container as dead instead of guessing.
func checkState(b []byte, kvs []kv, s *State) error {
	if len(b) == 0 {
		return errors.New("empty file")
	}
	if b[len(b)-1] != '\n' {
		return errors.New("truncated (no final newline)")
	}
	if strings.HasPrefix(string(b), stateFormat+"\n") && (len(kvs) == 0 || kvs[len(kvs)-1].k != "end") {
		return errors.New("truncated (no end line)")
	}
	switch s.Status {
	case "created", "running", "paused", "restarting", "exited":
	default:
		return errors.New("bad status " + strconv.Quote(s.Status))
	}
	return nil
}
