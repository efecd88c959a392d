package engine

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// HumanDuration is docker's (go-units') HumanDuration: "2 hours", as ps
// and images print ages.
func HumanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	switch m := int(d.Minutes()); {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	h := int(d.Hours() + 0.5)
	switch {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", h/24/365)
}

// StatusText is docker's STATUS column of ps: "Up 3 seconds (healthy)",
// "Exited (0) 2 minutes ago".
func StatusText(v *View) string {
	st := v.State
	switch st.Status {
	case monitor.StatusRunning:
		s := "Up " + HumanDuration(time.Since(st.StartedAt))
		if st.Health != nil {
			if st.Health.Status == "starting" {
				return s + " (health: starting)"
			}
			s += " (" + st.Health.Status + ")"
		}
		return s
	case monitor.StatusPaused:
		return "Up " + HumanDuration(time.Since(st.StartedAt)) + " (Paused)"
	case monitor.StatusRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, HumanDuration(time.Since(st.FinishedAt)))
	case monitor.StatusExited:
		if st.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", st.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, HumanDuration(time.Since(st.FinishedAt)))
	case StatusDead:
		return "Dead"
	}
	return "Created"
}

// ParseDetachKeys parses docker's --detach-keys ("ctrl-p,ctrl-q" when
// empty) into the bytes that detach.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return []byte{16, 17}, nil // ctrl-p ctrl-q
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6:
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				out = append(out, c-'a'+1)
			case c == '@':
				out = append(out, 0)
			case c >= '[' && c <= '_':
				out = append(out, c-'['+27)
			default:
				return nil, fmt.Errorf("invalid detach keys (%s) provided", s)
			}
		case len(k) == 1:
			out = append(out, k[0])
		default:
			return nil, fmt.Errorf("invalid detach keys (%s) provided", s)
		}
	}
	return out, nil
}

// PsRows runs the host's ps with psArgs (docker's -ef when none) and
// keeps its header and the lines of pids, as docker top shows them;
// pidCol is the PID column.
func PsRows(ctx context.Context, pids []int, psArgs []string) (header string, rows []string, pidCol int, err error) {
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.CommandContext(ctx, "ps", psArgs...).Output()
	if err != nil {
		return "", nil, 0, invalid("Error running ps: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	pidCol = -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			pidCol = i
		}
	}
	if pidCol < 0 {
		return "", nil, 0, invalid("Couldn't find PID field in ps output")
	}
	want := map[string]bool{}
	for _, p := range pids {
		want[strconv.Itoa(p)] = true
	}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > pidCol && want[f[pidCol]] {
			rows = append(rows, l)
		}
	}
	return lines[0], rows, pidCol, nil
}
