package shim

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// steps times a call's steps for the debug log (nil when it is off).
type steps struct {
	last time.Time
	b    strings.Builder
}

func (s *service) steps() *steps { return startSteps(s.log.Enabled(s.ctx, slog.LevelDebug)) }

func startSteps(on bool) *steps {
	if !on {
		return nil
	}
	return &steps{last: time.Now()}
}

func (st *steps) String() string {
	if st == nil {
		return ""
	}
	return st.b.String()
}

func (st *steps) mark(name string) {
	if st == nil {
		return
	}
	now := time.Now()
	fmt.Fprintf(&st.b, "%s=%s ", name, now.Sub(st.last).Round(time.Microsecond))
	st.last = now
}

// log logs the steps of call.
func (st *steps) log(l *slog.Logger, call string) {
	if st != nil {
		l.Debug(call+" steps", "steps", st.b.String())
	}
}
