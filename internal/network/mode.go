package network

import (
	"fmt"
	"strings"
)

// ModeKind is the kind of --network a container asked for.
type ModeKind string

const (
	ModeBridge    ModeKind = "bridge"    // a network managed here (default or user-defined)
	ModeNone      ModeKind = "none"      // own namespace with only lo
	ModeHost      ModeKind = "host"      // the host's namespace, no isolation
	ModeContainer ModeKind = "container" // another container's namespace
)

// Mode is a parsed --network value.
type Mode struct {
	Kind ModeKind
	// Network is the network name for ModeBridge, the container name or id
	// for ModeContainer.
	Network string
}

// ParseMode parses docker's --network values: "", bridge, none, host,
// container:NAME or the name of a user-defined network.
func ParseMode(s string) (Mode, error) {
	switch {
	case s == "" || s == "default" || s == DefaultNetwork:
		return Mode{Kind: ModeBridge, Network: DefaultNetwork}, nil
	case s == "none":
		return Mode{Kind: ModeNone}, nil
	case s == "host":
		return Mode{Kind: ModeHost}, nil
	case strings.HasPrefix(s, "container:"):
		name := strings.TrimPrefix(s, "container:")
		if name == "" {
			return Mode{}, fmt.Errorf("--network %q: container name is empty", s)
		}
		return Mode{Kind: ModeContainer, Network: name}, nil
	}
	if err := validName(s); err != nil {
		return Mode{}, fmt.Errorf("--network %q: %w", s, err)
	}
	return Mode{Kind: ModeBridge, Network: s}, nil
}

// OwnNetns reports whether the container needs a namespace of its own.
func (m Mode) OwnNetns() bool { return m.Kind == ModeBridge || m.Kind == ModeNone }

func validName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("network name must be 1 to 64 characters")
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return fmt.Errorf("network name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-]* is allowed", s)
		}
	}
	return nil
}
