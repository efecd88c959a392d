package cgroups

import (
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups/cgfs"
)

// DeletePlan appends to b the cgroup part of the plan that jinn-runtime's
// C delete follows (cmd/jinn-runtime/delete.c, which documents the
// format): the container's cgroup on each hierarchy ("rm DIR", each
// removed by one rmdir, which is all Destroy does when nothing is left
// in them), then per mount the parents removeEmptyParents walks ("up"
// starts a chain; "own DIR" is removed if empty, "made DIR" only if it
// bears the "xattr NAME" mark). It says false for what only the Go code
// can remove: a systemd unit, or a path the line format cannot carry.
func DeletePlan(m Manager, b *strings.Builder) bool {
	fm, ok := m.(*manager)
	if !ok {
		return false
	}
	var lines []string
	line := func(kind, dir string) {
		lines = append(lines, kind+" "+dir)
	}
	if fm.v1 != nil {
		for _, d := range fm.v1.Dirs() {
			line("rm", d)
		}
	}
	if fm.v2 != nil {
		line("rm", fm.v2.Dir())
	}
	lines = append(lines, "xattr "+cgfs.MadeXattr)
	for _, chain := range fm.parentChains() {
		lines = append(lines, "up")
		for _, p := range chain {
			if p.Own {
				line("own", p.Dir)
			} else {
				line("made", p.Dir)
			}
		}
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "\n\x00") {
			return false
		}
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return true
}
