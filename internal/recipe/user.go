package recipe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/fsroot"
)

// User is a resolved user[:group].
type User struct {
	UID, GID uint32
	Home     string
}

// ResolveUser resolves user[:group] (names or ids; "" is root) with the
// image's /etc/passwd and /etc/group, read inside its root: for --user,
// USER in a Dockerfile, exec -u and COPY --chown.
func ResolveUser(root *fsroot.Root, spec string) (User, error) {
	u := User{Home: "/"}
	if spec == "" {
		spec = "0"
	}
	name, group, hasGroup := strings.Cut(spec, ":")
	found := false
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		u.UID, found = uint32(n), true
	}
	for _, f := range readColonFile(root, "/etc/passwd") {
		if len(f) < 6 {
			continue
		}
		if f[0] == name || (found && f[2] == name) {
			uid, _ := strconv.ParseUint(f[2], 10, 32)
			gid, _ := strconv.ParseUint(f[3], 10, 32)
			u.UID, u.GID, u.Home, found = uint32(uid), uint32(gid), f[5], true
			break
		}
	}
	if !found {
		return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
	}
	if !hasGroup {
		return u, nil
	}
	if n, err := strconv.ParseUint(group, 10, 32); err == nil {
		u.GID = uint32(n)
		return u, nil
	}
	for _, f := range readColonFile(root, "/etc/group") {
		if len(f) >= 3 && f[0] == group {
			gid, _ := strconv.ParseUint(f[2], 10, 32)
			u.GID = uint32(gid)
			return u, nil
		}
	}
	return u, fmt.Errorf("unable to find group %s: no matching entries in group file", group)
}

// readColonFile reads passwd or group as fields; a missing file, or one
// that is not a regular file (a FIFO, a link to /dev/zero), is empty.
func readColonFile(root *fsroot.Root, path string) [][]string {
	data, err := root.ReadRegular(path, maxColonFile)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

// maxColonFile bounds what a container's /etc/passwd or /etc/group costs.
const maxColonFile = 32 << 20
