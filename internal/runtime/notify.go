package runtime

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/jinn-containers/jinn/internal/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The seccomp notify listener exists only once the filter is loaded, just
// before execve, in the container's process: by then the process cannot
// reach the host's listenerPath and, after `create`, no runtime process is
// left to hand it over. So the runtime connects to the agent on the host
// beforehand and gives the connected socket to the init (its fd number in
// agentEnv); the init sends the process state and the listener on it, as
// runc's protocol has it. The variables live in the init's environment
// only: the container's process gets the spec's environment.
const (
	agentEnv      = "_JINN_SECCOMP_AGENT"
	agentStateEnv = "_JINN_SECCOMP_STATE"
)

// dialAgent connects to the spec's seccomp agent when the profile notifies;
// nil when it does not.
func dialAgent(s *specs.Spec) (*os.File, error) {
	if s.Linux == nil || s.Linux.Seccomp == nil || !seccomp.UsesNotify(s.Linux.Seccomp) {
		return nil, nil
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: s.Linux.Seccomp.ListenerPath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("connect to seccomp agent: %w", err)
	}
	defer c.Close()
	f, err := c.File() // a dup, blocking, close-on-exec (ExtraFiles clears it in the child)
	if err != nil {
		return nil, fmt.Errorf("seccomp agent socket: %w", err)
	}
	return f, nil
}

// agentEnvVar is the init's environment entry naming the agent socket.
func agentEnvVar(fd int) string { return agentEnv + "=" + strconv.Itoa(fd) }

// keepAgentState records the container state for the message to the
// agent; the init calls it once it knows the state.
func keepAgentState(st specs.State) {
	if os.Getenv(agentEnv) == "" {
		return
	}
	os.Setenv(agentStateEnv, string(appendOCIState(nil, &st)))
}

// sendListener hands the listener to the agent with the process state.
// Without a socket from the runtime (a spec edited under a running
// container), listenerPath is dialled from inside the container.
func sendListener(sc *specs.LinuxSeccomp, fd int) error {
	st := specs.ContainerProcessState{Version: specs.Version, Pid: os.Getpid(), Metadata: sc.ListenerMetadata,
		Fds: []string{specs.SeccompFdName}}
	if s := os.Getenv(agentStateEnv); s != "" {
		json.Unmarshal([]byte(s), &st.State)
		if st.State.Pid > 0 {
			st.Pid = st.State.Pid
		}
	}
	sock, err := strconv.Atoi(os.Getenv(agentEnv))
	if err != nil {
		return seccomp.SendListener(sc.ListenerPath, fd, st)
	}
	defer unix.Close(sock)
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := unix.Sendmsg(sock, b, unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send seccomp listener to the agent: %w", err)
	}
	return nil
}
