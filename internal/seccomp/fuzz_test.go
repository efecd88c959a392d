package seccomp

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzCompile: whatever linux.seccomp holds, Compile returns a clear error
// or a program the BPF verifier-like VM accepts and that always returns.
func FuzzCompile(f *testing.F) {
	b, _ := json.Marshal(dockerDefault(f, dockerCaps))
	f.Add(b, uint32(165), uint32(x86_64), uint64(0))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],
		"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967296,"op":"SCMP_CMP_GT"}]}]}`),
		uint32(0), uint32(x86_64), uint64(1<<33))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/a","flags":["SECCOMP_FILTER_FLAG_LOG"],
		"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"},{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":255,"valueTwo":7,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_LE"}]}]}`),
		uint32(16), uint32(x86_64), uint64(7))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":[""],"action":"SCMP_ACT_LOG"}]}`), uint32(1), uint32(3), uint64(0))
	f.Fuzz(func(t *testing.T, js []byte, nr, arch uint32, arg uint64) {
		var cfg specs.LinuxSeccomp
		if json.Unmarshal(js, &cfg) != nil {
			return
		}
		p, err := Compile(&cfg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		v := vm(t, p)
		for i := uint(0); i < 6; i++ {
			d := data{nr: nr, arch: arch}
			d.args[i] = arg
			run(t, v, d)
		}
	})
}
