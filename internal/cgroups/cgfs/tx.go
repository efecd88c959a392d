package cgfs

import (
	"errors"
	"fmt"
	"strings"
)

// Plan is a checked list of cgroup writes. Commit runs them in order and,
// if one fails, undoes the ones done, newest first: Set is all or nothing.
type Plan struct {
	steps []step
	done  []step
	// writes are the plan's effects as plain writes, in order, for a
	// replay without Go (the C run, cmd/jinn-runtime/run.c); opaque: a
	// step that is not one (Func, WriteDevice) makes them unusable.
	writes []WriteOp
	opaque bool
}

// WriteOp is one write of a plan: data to dir/file.
type WriteOp struct{ Dir, File, Data string }

// Writes returns the plan's effects as plain writes, in order; false if
// a step is more than a write.
func (p *Plan) Writes() ([]WriteOp, bool) { return p.writes, !p.opaque }

type step struct {
	do   func() error
	undo func() error // nil: nothing to undo
}

// Write plans writing data to dir/file; undo writes back what the file
// held just before.
func (p *Plan) Write(dir, file, data string) {
	p.writes = append(p.writes, WriteOp{dir, file, data})
	var old string
	p.steps = append(p.steps, step{
		do: func() error {
			var err error
			if old, err = Read(dir, file); err != nil {
				return fmt.Errorf("write %q to %s/%s: %w", data, dir, file, err)
			}
			return Write(dir, file, data)
		},
		undo: func() error { return Write(dir, file, old) },
	})
}

// WriteDevice plans writing "maj:min value" to a per-device list file
// (blkio.throttle.*, io.max, ...). Undo restores the device's old line, or
// writes "maj:min none" when it had none.
func (p *Plan) WriteDevice(dir, file, dev, value, none string) {
	p.opaque = true
	var old string
	p.steps = append(p.steps, step{
		do: func() error {
			cur, err := Read(dir, file)
			if err != nil {
				return fmt.Errorf("write %s to %s/%s: %w", dev, dir, file, err)
			}
			old = dev + " " + none
			for _, line := range strings.Split(cur, "\n") {
				if strings.HasPrefix(line, dev+" ") {
					old = line
				}
			}
			return Write(dir, file, dev+" "+value)
		},
		undo: func() error { return Write(dir, file, old) },
	})
}

// Func plans an arbitrary step with its undo (either may be nil).
func (p *Plan) Func(do, undo func() error) {
	p.opaque = true
	p.steps = append(p.steps, step{do: do, undo: undo})
}

// Save plans a step that only reads what undo needs: no effect.
func (p *Plan) Save(read, undo func() error) {
	p.steps = append(p.steps, step{do: read, undo: undo})
}

// WriteOnly plans writing data to dir/file with nothing to undo.
func (p *Plan) WriteOnly(dir, file, data string) {
	p.writes = append(p.writes, WriteOp{dir, file, data})
	p.steps = append(p.steps, step{do: func() error { return Write(dir, file, data) }})
}

// Len is the number of planned steps.
func (p *Plan) Len() int { return len(p.steps) }

// Commit runs the steps; on failure it rolls back and returns the error.
func (p *Plan) Commit() error {
	for _, s := range p.steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				return p.Rollback(err)
			}
		}
		p.done = append(p.done, s)
	}
	return nil
}

// Rollback undoes the committed steps, newest first, and returns err
// joined with any failure to restore.
func (p *Plan) Rollback(err error) error {
	errs := []error{err}
	for i := len(p.done) - 1; i >= 0; i-- {
		if u := p.done[i].undo; u != nil {
			if e := u(); e != nil {
				errs = append(errs, fmt.Errorf("roll back: %w", e))
			}
		}
	}
	p.done = nil
	return errors.Join(errs...)
}
