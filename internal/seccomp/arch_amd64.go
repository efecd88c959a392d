package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

const nativeArch = specs.ArchX86_64
