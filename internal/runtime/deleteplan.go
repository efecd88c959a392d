package runtime

import (
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deletePlanXattr names the extended attribute of a container's directory
// that holds its delete plan. In the trusted namespace: only a process
// with CAP_SYS_ADMIN can write one, and the C delete runs only as root.
const deletePlanXattr = "trusted.jinn.delete"

// deletePlanMagic is the plan's first line; the C delete knows this
// version only (cmd/jinn-runtime/delete.c).
const deletePlanMagic = "jinn-delete 1"

// writeDeletePlan records on the container's directory, in a few text
// lines, what its delete does once the init is gone: the init's pid and
// start time, so the C delete knows it is gone, and the cgroups to remove
// (cgroups.DeletePlan). Then `delete` of a stopped container runs in the
// runtime binary's ELF constructor, before the Go runtime starts (~2-3 ms
// of every delete). What only Go does writes no plan, and the Go delete
// runs as before: poststop hooks, mounts made in the runtime's own mount
// namespace, a systemd unit. A file system without trusted xattrs keeps
// no plan either. Any state of the directory the C delete does not expect
// falls through to Go too.
func writeDeletePlan(c *Container, mgr cgroups.Manager) {
	plan, ok := deletePlanText(c, mgr, strconv.Itoa(c.State.Pid), strconv.FormatUint(c.State.StartTime, 10))
	if ok {
		unix.Setxattr(c.Dir, deletePlanXattr, []byte(plan), 0)
	}
}

// deletePlanText is the delete plan, with pid and start as given (the run
// plan's holes, runplan.go); false where Go must delete.
func deletePlanText(c *Container, mgr cgroups.Manager, pid, start string) (string, bool) {
	s := c.State.Spec
	if len(hooksOf(s).Poststop) > 0 {
		return "", false
	}
	if _, ok := nsOf(s, specs.MountNamespace); !ok && c.State.Rootfs != "" {
		return "", false
	}
	var b strings.Builder
	b.WriteString(deletePlanMagic + "\n")
	b.WriteString("init " + pid + " " + start + "\n")
	if mgr != nil && !cgroups.DeletePlan(mgr, &b) {
		return "", false
	}
	b.WriteString("end\n") // a plan cut short is no plan
	return b.String(), true
}
