// Package cliplan is the engine's run plan: what `jinn run --rm` of an
// eligible command line did to the store, recorded at the engine's write
// seams while the Go path ran it, turned into a plan with holes for what
// differs per run, for C code in jinn's ELF constructor to replay before
// the Go runtime starts (issue 17; the runtime's own plan,
// internal/runtime/runplan.go, is the model one layer down).
//
// One owner per fact: the Go path decides and renders every byte (records,
// spec, monitor config, events); the recorder only sees the results at
// the seams (a directory made, a file written, a rename, a mount), so
// neither the store's layout nor a record format has a second copy. The
// plan is a list of ops in the order the Go path did them (recording runs
// the path's goroutines one after another, so the order is one the
// concurrent path can have: each point where a kill -9 lands is one the Go
// path already has).
//
// Holes: the values that differ per run are registered by the seams that
// make them (Hole) and written as one marker byte each wherever they
// occur (markers are control bytes that neither JSON nor the line records
// hold). The holes are proved, not assumed: a plan is only served once two
// Go runs of the same key rendered it byte for byte (Prove): every value
// that differed between the two runs was a hole, and a value that was a
// hole by accident (the name inside the user's argv, a pid that is also a
// number elsewhere) makes the two renders differ.
package cliplan

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Hole markers: bytes that no record holds. The C replay (cmd/jinn/
// cliplan.c) fills each with the run's own value.
const (
	HoleID      = 0x01 // the container id, 64 hex
	HoleID12    = 0x02 // its 12-byte prefix
	HoleName    = 0x03 // the container's name
	HolePid     = 0x04 // the CLI's pid
	HoleCreated = 0x05 // the created time, RFC 3339 with nanoseconds (Go's trimmed form)
	HoleSnap    = 0x06 // the active snapshot's number
	HoleMonPid  = 0x07 // the monitor's pid
	HoleMonBoot = 0x08 // the monitor's start time (clock ticks since boot)
	HoleEvSec   = 0x0e // an event's time, seconds
	HoleEvNano  = 0x0f // an event's time, nanoseconds
	HoleSnapTm  = 0x11 // the snapshot's created time (RFC 3339 nano)
	HoleSig     = 0x13 // a signal's number (sig-proxy's kill)
)

// SignalSlot stands for the signal in a recorded command line (Hole
// makes it HoleSig): the recorder takes no marker bytes from a seam.
const SignalSlot = "<<signal>>"

// Op is one write the path did: its kind and its arguments, in order.
type Op struct {
	Kind string
	Args [][]byte
}

// Recorder collects the ops of one run. A nil *Recorder records nothing:
// every seam calls it unconditionally.
type Recorder struct {
	mu    sync.Mutex
	ops   []Op
	key   []Op
	holes []hole
	bad   string // why this run cannot be a plan, "" if it can
}

type hole struct {
	prefix, val string // val where it follows prefix (and no digit follows it)
	mark        byte
}

// New is a recorder for one run.
func New() *Recorder { return &Recorder{} }

// Active says whether r records (the seams that would do work only to
// record check it).
func (r *Recorder) Active() bool { return r != nil }

// Op records an op; string and []byte arguments, ints in decimal.
func (r *Recorder) Op(kind string, args ...any) {
	if r == nil {
		return
	}
	op := Op{Kind: kind}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			op.Args = append(op.Args, []byte(v))
		case []byte:
			op.Args = append(op.Args, bytes.Clone(v))
		case int:
			op.Args = append(op.Args, []byte(strconv.Itoa(v)))
		case uint32:
			op.Args = append(op.Args, []byte(strconv.FormatUint(uint64(v), 10)))
		default:
			panic(fmt.Sprintf("cliplan: argument %T", a))
		}
	}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Hole registers val as the run's value of the hole mark.
func (r *Recorder) Hole(mark byte, val string) {
	if r == nil || val == "" {
		return
	}
	r.mu.Lock()
	r.holes = append(r.holes, hole{val: val, mark: mark})
	r.mu.Unlock()
}

// HoleAt registers val as the hole mark where it follows prefix and no
// digit follows it: a small number (the snapshot's) is a hole only where
// it stands for what it numbers.
func (r *Recorder) HoleAt(prefix, val string, mark byte) {
	if r == nil || val == "" {
		return
	}
	r.mu.Lock()
	r.holes = append(r.holes, hole{prefix: prefix, val: val, mark: mark})
	r.mu.Unlock()
}

// fill is a with h's value written as its marker. A number is a hole only
// as a whole number: not where a digit follows it, nor, without a prefix,
// where one precedes it (a pid inside a larger constant of the spec: the
// two runs' renders would differ, and the plan would wait for two runs
// whose pids happen not to).
func (h hole) fill(a []byte) []byte {
	pat := []byte(h.prefix + h.val)
	bounded := h.prefix != "" || isNumber(h.val)
	var out []byte
	last := 0
	for from := 0; ; {
		j := bytes.Index(a[from:], pat)
		if j < 0 {
			return append(out, a[last:]...)
		}
		i := from + j
		end := i + len(pat)
		from = end
		if bounded && (end < len(a) && isDigit(a[end]) || h.prefix == "" && i > 0 && isDigit(a[i-1])) {
			continue
		}
		out = append(append(out, a[last:i+len(h.prefix)]...), h.mark)
		last = end
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// Refuse says this run cannot be replayed (a seam met a case the C
// replay does not cover); no plan is written.
func (r *Recorder) Refuse(why string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.bad == "" {
		r.bad = why
	}
	r.mu.Unlock()
}

// Refused is why the run cannot be a plan, "" if it can.
func (r *Recorder) Refused() string {
	if r == nil {
		return "no recorder"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}

// Ops is what was recorded so far.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Op(nil), r.ops...)
}

// Template is the ops with every hole value written as its marker, the
// longest values first (the id before its prefix); false if a value
// already holds a marker byte (it could not be told from a hole).
func (r *Recorder) Template() ([]Op, bool) {
	r.mu.Lock()
	holes := append([]hole(nil), r.holes...)
	ops := append([]Op(nil), r.ops...)
	r.mu.Unlock()
	sort.SliceStable(holes, func(i, j int) bool {
		return len(holes[i].prefix+holes[i].val) > len(holes[j].prefix+holes[j].val)
	})
	out := make([]Op, len(ops))
	for i, op := range ops {
		out[i].Kind = op.Kind
		for _, a := range op.Args {
			if hasMarker(a) {
				return nil, false
			}
			for _, h := range holes {
				a = h.fill(a)
			}
			out[i].Args = append(out[i].Args, a)
		}
	}
	return out, true
}

func hasMarker(b []byte) bool {
	for _, c := range b {
		if _, ok := holeNames[c]; ok {
			return true
		}
	}
	return false
}

// Encode is the ops as the C replay reads them: per op a line "KIND N"
// and N arguments, each a line of its length and its bytes and a newline.
// Lengths, not quoting: the C side parses nothing but decimal numbers.
func Encode(ops []Op) []byte {
	var b []byte
	for _, op := range ops {
		b = fmt.Appendf(b, "%s %d\n", op.Kind, len(op.Args))
		for _, a := range op.Args {
			b = fmt.Appendf(b, "%d\n", len(a))
			b = append(append(b, a...), '\n')
		}
	}
	return b
}

// Key records a fact the plan holds only while it holds: kinds "argv"
// (the args after argv[0], each an argument), "env" (the whole
// environment: it flows into the monitor's and runtime's), "stat" (a
// path's device, inode, size and modification time, as stat(2) sees
// them), "file" (a file's exact bytes), "link" (a symlink's target, as
// /proc/self/ns/mnt). The C replay checks them all before any side
// effect; one fails, and the run is Go's.
func (r *Recorder) Key(kind string, args ...any) {
	if r == nil {
		return
	}
	k := New()
	k.Op(kind, args...)
	r.mu.Lock()
	r.key = append(r.key, k.ops[0])
	r.mu.Unlock()
}

// KeyStat records path's identity (stat: dev, ino, size, mtime in ns); a
// path that cannot be stat'ed refuses the plan.
func (r *Recorder) KeyStat(path string) {
	if r == nil {
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		r.Refuse("key: stat " + path)
		return
	}
	r.Key("stat", path, strconv.FormatUint(st.Dev, 10), strconv.FormatUint(st.Ino, 10),
		strconv.FormatInt(st.Size, 10), strconv.FormatInt(st.Mtim.Nano(), 10))
}

// KeyFile records path's exact bytes.
func (r *Recorder) KeyFile(path string) {
	if r == nil {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.Refuse("key: read " + path)
		return
	}
	r.Key("file", path, b)
}

// KeyLink records a symlink's target.
func (r *Recorder) KeyLink(path string) {
	if r == nil {
		return
	}
	t, err := os.Readlink(path)
	if err != nil {
		r.Refuse("key: readlink " + path)
		return
	}
	r.Key("link", path, t)
}

// KeyOps is the key as recorded (it has no holes).
func (r *Recorder) KeyOps() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Op(nil), r.key...)
}

var holeNames = map[byte]string{HoleID: "<ID>", HoleID12: "<ID12>", HoleName: "<NAME>", HolePid: "<PID>",
	HoleCreated: "<CREATED>", HoleSnap: "<SNAP>", HoleMonPid: "<MONPID>", HoleMonBoot: "<MONSTART>",
	HoleEvSec: "<EVSEC>", HoleEvNano: "<EVNANO>", HoleSnapTm: "<SNAPTIME>",
	HoleSig: "<SIG>"}

// Dump is an encoded op list for people: one op a line, holes by name,
// long arguments cut.
func Dump(enc []byte) []byte {
	var out []byte
	for len(enc) > 0 {
		line, rest, _ := bytes.Cut(enc, []byte("\n"))
		var kind string
		var n int
		fmt.Sscanf(string(line), "%s %d", &kind, &n)
		out = append(out, "  "+kind...)
		enc = rest
		for i := 0; i < n && len(enc) > 0; i++ {
			l, rest, _ := bytes.Cut(enc, []byte("\n"))
			m, _ := strconv.Atoi(string(l))
			if m > len(rest) {
				return out
			}
			a := rest[:m]
			enc = rest[m:]
			if len(enc) > 0 {
				enc = enc[1:]
			}
			var s []byte
			for _, c := range a {
				if h, ok := holeNames[c]; ok {
					s = append(s, h...)
				} else if c == '\n' || c == 0 {
					s = append(s, `\n`...)
				} else {
					s = append(s, c)
				}
			}
			if len(s) > 160 {
				s = append(s[:160:160], "..."...)
			}
			out = append(append(out, ' '), s...)
		}
		out = append(out, '\n')
	}
	return out
}

// KeyEnv is the environment as the key holds it: every variable but "_",
// the shell's note of the command it ran (`perf stat jinn` and `jinn`
// differ in it alone); the runtime's commands do not get it either
// (recipe.Runtime.Environ).
func KeyEnv(env [][]byte) []byte {
	var out [][]byte
	for _, e := range env {
		if !bytes.HasPrefix(e, []byte("_=")) {
			out = append(out, e)
		}
	}
	return bytes.Join(out, []byte{0})
}
