module github.com/jinn-containers/jinn

go 1.24

require (
	github.com/cilium/ebpf v0.19.0
	github.com/moby/profiles/seccomp v0.3.0
	github.com/moby/sys/capability v0.5.0
	github.com/opencontainers/runtime-spec v1.3.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	golang.org/x/net v0.38.0
	golang.org/x/sys v0.33.0
)

require github.com/inconshreveable/mousetrap v1.1.0 // indirect
