package runtime

import (
	"os"

	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sendListener hands the seccomp notify listener to the agent, with the
// process state, as runc does. It runs in the container's process just
// before execve, so listenerPath is resolved in the container's mount
// namespace: the agent's socket must be reachable there (bind-mounted).
// The filter must not notify on connect/sendmsg, or this deadlocks.
func sendListener(sc *specs.LinuxSeccomp, fd int) error {
	st := specs.ContainerProcessState{
		Version:  specs.Version,
		Pid:      os.Getpid(),
		Metadata: sc.ListenerMetadata,
		State:    specs.State{Version: specs.Version, Pid: os.Getpid(), Status: specs.StateCreated},
	}
	return seccomp.SendListener(sc.ListenerPath, fd, st)
}
