package cliplan

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/plandir"
)

// Plans live in a directory of root's that nobody else may write:
// DirEnv names it (DirDefault if unset; a relative value, "" too, turns
// plans off). One file per command line and environment, at most Kept in
// all.
const (
	Magic      = "jinn-cli-plan 1"
	DirEnv     = "JINN_CLI_PLAN_DIR"
	DirDefault = "/run/jinn-cli-plans"
	Kept       = 64
	// TraceEnv, set to a file's path, makes every eligible Go run append
	// what it recorded and what became of the plan (tests prove by it
	// which path ran and what the plan holds).
	TraceEnv = "JINN_CLI_PLAN_TRACE"
)

// Dir is the plan directory, "" if plans are off.
func Dir() string {
	d, ok := os.LookupEnv(DirEnv)
	if !ok {
		d = DirDefault
	}
	if !filepath.IsAbs(d) {
		return ""
	}
	return filepath.Clean(d)
}

// File is the plan of the command line args (everything after argv[0])
// in the environment env (KeyEnv's), "" if plans are off: one plan per
// both, so that a command run in two environments (`perf stat` adds to
// PATH) keeps a plan for each.
func File(args []string, env []byte) string {
	d := Dir()
	if d == "" {
		return ""
	}
	h := fnv.New64a()
	for _, a := range args {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	h.Write(env)
	return filepath.Join(d, fmt.Sprintf("run-%016x", h.Sum64()))
}

// Plan is what a file holds: the key (checks that all must hold) and the
// ops with their holes, each encoded; Proved once a second Go run
// rendered the same bytes.
type Plan struct {
	Key, Ops []byte
	Proved   bool
}

func (p *Plan) encode() []byte {
	state := "candidate"
	if p.Proved {
		state = "proved"
	}
	b := fmt.Appendf(nil, "%s\n%s\nkey %d\n", Magic, state, len(p.Key))
	b = append(b, p.Key...)
	b = fmt.Appendf(b, "ops %d\n", len(p.Ops))
	return append(b, p.Ops...)
}

func decode(b []byte) (*Plan, error) {
	var p Plan
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(head) != Magic {
		return nil, errors.New("not a plan")
	}
	state, rest, _ := bytes.Cut(rest, []byte("\n"))
	p.Proved = string(state) == "proved"
	var err error
	if p.Key, rest, err = section(rest, "key"); err != nil {
		return nil, err
	}
	if p.Ops, _, err = section(rest, "ops"); err != nil {
		return nil, err
	}
	return &p, nil
}

func section(b []byte, name string) (body, rest []byte, err error) {
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	var n int
	if _, err := fmt.Sscanf(string(line), name+" %d", &n); err != nil || n < 0 || n > len(rest) {
		return nil, nil, fmt.Errorf("plan: bad %s section", name)
	}
	return rest[:n], rest[n:], nil
}

// Trusted says whether only root may have written dir (the C side checks
// the same before it reads a plan).
func Trusted(dir string) bool { return os.Geteuid() == 0 && plandir.Trusted(dir) }

// Offer is what a Go run of an eligible command line leaves: the plan
// file is written as a candidate the first time, promoted to proved when
// this run rendered the same key and ops, and replaced by this run's
// candidate when they differ. It says what it did, for the trace.
func Offer(file string, p *Plan) string {
	if file == "" {
		return "off"
	}
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil || !Trusted(dir) {
		return "untrusted dir"
	}
	if old, err := readPlan(file); err == nil && bytes.Equal(old.Key, p.Key) && bytes.Equal(old.Ops, p.Ops) {
		if old.Proved {
			return "same"
		}
		p.Proved = true
	} else if err != nil {
		plandir.Prune(dir, "run-", Kept)
	}
	if err := atomicfile.WriteFile(file, p.encode(), 0o600); err != nil {
		return "write: " + err.Error()
	}
	if p.Proved {
		return "proved"
	}
	return "candidate"
}

// readPlan reads a plan file that is a regular file of root's, not
// written by others, through no symlink.
func readPlan(file string) (*Plan, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != 0 || st.Mode&0o022 != 0 {
		return nil, errors.New("plan: not root's regular file")
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return nil, err
	}
	return decode(b.Bytes())
}

// Read is the plan at file, for tests and the trace.
func Read(file string) (*Plan, error) { return readPlan(file) }
