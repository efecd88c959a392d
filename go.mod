module github.com/jinn-containers/jinn

go 1.24

require (
	github.com/opencontainers/runtime-spec v1.3.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	golang.org/x/sys v0.33.0
	golang.org/x/term v0.32.0
)

require github.com/inconshreveable/mousetrap v1.1.0 // indirect
