// Package seccomp compiles linux.seccomp from an OCI spec into a BPF filter
// and loads it. Compile is pure and unit-tested; Load must run in the
// container's init after everything that needs the syscalls it may forbid.
package seccomp
