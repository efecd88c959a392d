package engine

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// StepLimits are docker build's limits of the RUN steps' containers
// (--memory, --memory-swap, --cpu-*, --cpuset-*, --ulimit, --security-opt,
// --shm-size), as its classic builder gives them: checked as run's flags
// are, laid over each step's spec as a container's are.
type StepLimits struct {
	Resources
	SecurityOpt []string
	ShmSize     int64
}

// Check refuses what run would refuse, in the same words; seccomp
// profiles named by path are read now.
func (l *StepLimits) Check() error {
	if err := checkLimits(&l.Resources); err != nil {
		return err
	}
	if err := checkResources(&l.Resources); err != nil {
		return invalid("%v", err)
	}
	if err := l.ResourceExtras.Check(l.NanoCpus); err != nil {
		return invalid("%v", err)
	}
	if l.ShmSize < 0 {
		return invalid("SHM size can not be less than 0")
	}
	opts, err := embedSeccompProfiles(l.SecurityOpt)
	if err != nil {
		return invalid("%v", err)
	}
	if err := checkSecurityOpts(opts); err != nil {
		return invalid("%v", err)
	}
	l.SecurityOpt = opts
	return nil
}

// Apply lays the limits over a step's spec (made by the recipe).
func (l *StepLimits) Apply(s *specs.Spec) error {
	if err := applyLimits(s, l.SecurityOpt, &l.Resources); err != nil {
		return err
	}
	setShmSize(s, l.ShmSize)
	return nil
}
