package seccomp

import (
	"encoding/binary"
	"math/rand"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// data is a synthetic seccomp_data.
type data struct {
	nr, arch uint32
	args     [6]uint64
}

// bytes lays data out for x/net/bpf's VM, whose word loads are big endian:
// each 32-bit word is stored big endian at the offset the kernel's native
// (little endian) layout gives it, so the filter sees the same values.
func (d data) bytes() []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], d.nr)
	binary.BigEndian.PutUint32(b[4:], d.arch)
	for i, a := range d.args {
		binary.BigEndian.PutUint32(b[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(b[20+8*i:], uint32(a>>32))
	}
	return b
}

func vm(t testing.TB, p *Program) *bpf.VM {
	t.Helper()
	raw := make([]bpf.RawInstruction, len(p.Filter))
	for i, f := range p.Filter {
		raw[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("program does not disassemble")
	}
	v, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("program rejected by the VM: %v", err)
	}
	return v
}

func run(t testing.TB, v *bpf.VM, d data) uint32 {
	t.Helper()
	r, err := v.Run(d.bytes())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return uint32(r)
}

func compile(t testing.TB, cfg *specs.LinuxSeccomp) *bpf.VM {
	t.Helper()
	p, err := Compile(cfg)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return vm(t, p)
}

func u(v uint) *uint { return &v }

const x86_64 = unix.AUDIT_ARCH_X86_64

func nr(arch specs.Arch, name string) uint32 {
	n, ok := syscallTables()[string(arch)][name]
	if !ok {
		panic("no syscall " + name)
	}
	return n
}

func TestActions(t *testing.T) {
	cases := []struct {
		act   specs.LinuxSeccompAction
		errno *uint
		want  uint32
	}{
		{specs.ActAllow, nil, retAllow},
		{specs.ActErrno, nil, retErrno | uint32(unix.EPERM)},
		{specs.ActErrno, u(38), retErrno | 38},
		{specs.ActKill, nil, retKillThread},
		{specs.ActKillThread, nil, retKillThread},
		{specs.ActKillProcess, nil, retKillProcess},
		{specs.ActTrap, nil, retTrap},
		{specs.ActTrace, nil, retTrace | uint32(unix.EPERM)},
		{specs.ActTrace, u(7), retTrace | 7},
		{specs.ActLog, nil, retLog},
	}
	for _, c := range cases {
		v := compile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: c.act, ErrnoRet: c.errno}},
		})
		if got := run(t, v, data{nr: nr(specs.ArchX86_64, "getpid"), arch: x86_64}); got != c.want {
			t.Errorf("%s: got %#x want %#x", c.act, got, c.want)
		}
		if got := run(t, v, data{nr: nr(specs.ArchX86_64, "getppid"), arch: x86_64}); got != retAllow {
			t.Errorf("%s: other syscall got %#x", c.act, got)
		}
		// and as the default action
		v = compile(t, &specs.LinuxSeccomp{DefaultAction: c.act, DefaultErrnoRet: c.errno})
		if got := run(t, v, data{nr: 0, arch: x86_64}); got != c.want {
			t.Errorf("default %s: got %#x want %#x", c.act, got, c.want)
		}
	}
}

func TestNotify(t *testing.T) {
	cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Notify || p.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		t.Fatalf("notify not flagged: %+v", p.Flags)
	}
	if got := run(t, vm(t, p), data{nr: nr(specs.ArchX86_64, "mkdir"), arch: x86_64}); got != retUserNotif {
		t.Fatalf("got %#x", got)
	}
	cfg.ListenerPath = ""
	if _, err := Compile(cfg); err == nil {
		t.Fatal("NOTIFY without listenerPath accepted")
	}
}

func TestFlags(t *testing.T) {
	p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{
		specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv,
		"SECCOMP_FILTER_FLAG_TSYNC"}})
	if err != nil {
		t.Fatal(err)
	}
	// WAIT_KILLABLE_RECV is dropped without a listener.
	want := uint(unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW | unix.SECCOMP_FILTER_FLAG_TSYNC)
	if p.Flags != want {
		t.Fatalf("flags %#x want %#x", p.Flags, want)
	}
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"BOGUS"}}); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestArches(t *testing.T) {
	cfg := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mount", "socketcall"}, Action: specs.ActErrno}},
	}
	v := compile(t, cfg)
	eperm := retErrno | uint32(unix.EPERM)
	for _, c := range []struct {
		name string
		d    data
		want uint32
	}{
		{"x86_64 mount", data{nr: 165, arch: x86_64}, eperm},
		{"x86_64 nr 165 is not x86 mount", data{nr: 165, arch: unix.AUDIT_ARCH_I386}, retAllow},
		{"x86 mount", data{nr: 21, arch: unix.AUDIT_ARCH_I386}, eperm},
		{"x86 socketcall", data{nr: 102, arch: unix.AUDIT_ARCH_I386}, eperm},
		{"x86_64 102 is getuid", data{nr: 102, arch: x86_64}, retAllow},
		{"x32 mount", data{nr: x32Bit | 165, arch: x86_64}, eperm},
		{"x32 read", data{nr: x32Bit | 0, arch: x86_64}, retAllow},
		{"arm is a bad arch", data{nr: 21, arch: unix.AUDIT_ARCH_ARM}, retKillThread},
		{"garbage arch", data{nr: 0, arch: 0x1234}, retKillThread},
	} {
		if got := run(t, v, c.d); got != c.want {
			t.Errorf("%s: got %#x want %#x", c.name, got, c.want)
		}
	}
	// Without x32 listed, the x32 bit is a bad arch: no way around the filter.
	v = compile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mount"}, Action: specs.ActErrno}}})
	if got := run(t, v, data{nr: x32Bit | 165, arch: x86_64}); got != retKillThread {
		t.Errorf("x32 bypass: got %#x", got)
	}
	if got := run(t, v, data{nr: 21, arch: unix.AUDIT_ARCH_I386}); got != retKillThread {
		t.Errorf("unlisted x86: got %#x", got)
	}
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}}); err == nil {
		t.Error("unknown arch accepted")
	}
	// Foreign archs of a multi-arch profile are skipped.
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchS390X}}); err != nil {
		t.Error(err)
	}
}

// holds is the reference semantics of one condition.
func holds(c specs.LinuxSeccompArg, arg uint64) bool {
	switch c.Op {
	case specs.OpEqualTo:
		return arg == c.Value
	case specs.OpNotEqual:
		return arg != c.Value
	case specs.OpLessThan:
		return arg < c.Value
	case specs.OpLessEqual:
		return arg <= c.Value
	case specs.OpGreaterThan:
		return arg > c.Value
	case specs.OpGreaterEqual:
		return arg >= c.Value
	case specs.OpMaskedEqual:
		return arg&c.Value == c.ValueTwo
	}
	panic(c.Op)
}

var ops = []specs.LinuxSeccompOperator{specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
	specs.OpEqualTo, specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual}

// interesting values: around the 32-bit halves' boundaries.
var edges = []uint64{0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 1 << 32, 1<<32 + 1,
	1<<32 - 1, 0x100000002, 0x200000000, 0x1ffffffff, 0x7fffffffffffffff, 0x8000000000000000, ^uint64(0) - 1, ^uint64(0)}

func TestOperators(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pick := func() uint64 {
		if rng.Intn(3) == 0 {
			return rng.Uint64() >> uint(rng.Intn(64))
		}
		return edges[rng.Intn(len(edges))]
	}
	for _, op := range ops {
		for i := 0; i < 40; i++ {
			c := specs.LinuxSeccompArg{Index: uint(rng.Intn(6)), Op: op, Value: pick(), ValueTwo: pick()}
			if op == specs.OpMaskedEqual && rng.Intn(2) == 0 {
				c.ValueTwo &= c.Value // make a match possible
			}
			v := compile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"ioctl"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{c}}}})
			for j := 0; j < 60; j++ {
				arg := pick()
				switch j % 4 {
				case 0:
					arg = c.Value
				case 1:
					arg = c.Value + 1
				case 2:
					arg = c.Value - 1
				}
				d := data{nr: nr(specs.ArchX86_64, "ioctl"), arch: x86_64}
				d.args[c.Index] = arg
				want := uint32(retAllow)
				if holds(c, arg) {
					want = retErrno | uint32(unix.EPERM)
				}
				if got := run(t, v, d); got != want {
					t.Fatalf("%s %#x (two %#x) on arg %#x: got %#x want %#x", op, c.Value, c.ValueTwo, arg, got, want)
				}
			}
		}
	}
}

// Conditions on different arguments are ANDed; several on one argument
// become separate rules, ORed (runc's reading of the spec).
func TestAndOr(t *testing.T) {
	v := compile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 16, Op: specs.OpEqualTo}, {Index: 2, Value: 9, Op: specs.OpEqualTo}}},
		{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo}}},
	}})
	sock, pers := nr(specs.ArchX86_64, "socket"), nr(specs.ArchX86_64, "personality")
	deny := retErrno | uint32(unix.EPERM)
	for _, c := range []struct {
		d    data
		want uint32
	}{
		{data{nr: sock, arch: x86_64, args: [6]uint64{16, 0, 9}}, deny},
		{data{nr: sock, arch: x86_64, args: [6]uint64{16, 0, 0}}, retAllow},
		{data{nr: sock, arch: x86_64, args: [6]uint64{2, 0, 9}}, retAllow},
		{data{nr: pers, arch: x86_64, args: [6]uint64{1}}, deny},
		{data{nr: pers, arch: x86_64, args: [6]uint64{2}}, deny},
		{data{nr: pers, arch: x86_64, args: [6]uint64{3}}, retAllow},
	} {
		if got := run(t, v, c.d); got != c.want {
			t.Errorf("%v: got %#x want %#x", c.d, got, c.want)
		}
	}
}

// A conditional rule beats an unconditional one for the same syscall; the
// unconditional one replaces the default for that syscall.
func TestConditionalThenUnconditional(t *testing.T) {
	v := compile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"clone"}, Action: specs.ActAllow},
		{Names: []string{"clone"}, Action: specs.ActTrap, Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.CLONE_NEWUSER, ValueTwo: unix.CLONE_NEWUSER, Op: specs.OpMaskedEqual}}},
	}})
	clone := nr(specs.ArchX86_64, "clone")
	if got := run(t, v, data{nr: clone, arch: x86_64, args: [6]uint64{unix.CLONE_NEWUSER | 17}}); got != retTrap {
		t.Errorf("got %#x", got)
	}
	if got := run(t, v, data{nr: clone, arch: x86_64, args: [6]uint64{17}}); got != retAllow {
		t.Errorf("got %#x", got)
	}
	if got := run(t, v, data{nr: 0, arch: x86_64}); got != retErrno|uint32(unix.EPERM) {
		t.Errorf("got %#x", got)
	}
}

// Every syscall with its own rule, so the program is long and most jumps
// need the wide form; every number still lands right.
func TestLongProgram(t *testing.T) {
	var scs []specs.LinuxSyscall
	tab := syscallTables()[string(specs.ArchX86_64)]
	for name, n := range tab {
		scs = append(scs, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActErrno, ErrnoRet: u(uint(n%4000) + 1),
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: uint64(n), Op: specs.OpEqualTo}}})
	}
	p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: scs})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Filter) < 1000 {
		t.Fatalf("expected a long program, got %d", len(p.Filter))
	}
	v := vm(t, p)
	for _, n := range tab {
		if got := run(t, v, data{nr: n, arch: x86_64, args: [6]uint64{0, uint64(n)}}); got != retErrno|(n%4000+1) {
			t.Fatalf("nr %d: got %#x", n, got)
		}
		if got := run(t, v, data{nr: n, arch: x86_64, args: [6]uint64{0, uint64(n) + 1}}); got != retAllow {
			t.Fatalf("nr %d other arg: got %#x", n, got)
		}
	}
	// Too big for the kernel: a clear error, not a bad program.
	for i := range scs {
		scs[i].Args = append(scs[i].Args, specs.LinuxSeccompArg{Index: 2, Value: 1, Op: specs.OpLessThan},
			specs.LinuxSeccompArg{Index: 3, Value: 1, Op: specs.OpGreaterThan})
	}
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32}, Syscalls: scs}); err == nil {
		t.Fatal("oversized program accepted")
	}
}

func TestBadInput(t *testing.T) {
	for name, cfg := range map[string]*specs.LinuxSeccomp{
		"no default":      {},
		"unknown default": {DefaultAction: "SCMP_ACT_MAYBE"},
		"errno on allow":  {DefaultAction: specs.ActAllow, DefaultErrnoRet: u(1)},
		"no names":        {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}},
		"empty name":      {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{""}, Action: specs.ActErrno}}},
		"index 6":         {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
		"bad op":          {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Op: "SCMP_CMP_APPROX"}}}}},
		"huge errno":      {DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1 << 20)},
		"notify default":  {DefaultAction: specs.ActNotify, ListenerPath: "/x"},
	} {
		if _, err := Compile(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := Compile(nil); err == nil {
		t.Error("nil accepted")
	}
	// Unknown syscall names are skipped, as runc does.
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"no_such_syscall"}, Action: specs.ActErrno}}}); err != nil {
		t.Error(err)
	}
}

// dockerDefault is moby's default profile for a process with Docker's
// default capabilities, as the engine would put in config.json.
func dockerDefault(t testing.TB, caps []string) *specs.LinuxSeccomp {
	s := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}}}
	cfg, err := mobyseccomp.GetDefaultProfile(s)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

func TestDockerDefault(t *testing.T) {
	cfg := dockerDefault(t, dockerCaps)
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("docker default profile: %d instructions", len(p.Filter))
	v := vm(t, p)
	eperm := retErrno | uint32(unix.EPERM)
	x := func(name string, args ...uint64) data {
		d := data{nr: nr(specs.ArchX86_64, name), arch: x86_64}
		copy(d.args[:], args)
		return d
	}
	for _, c := range []struct {
		name string
		d    data
		want uint32
	}{
		{"read", x("read"), retAllow},
		{"execve", x("execve"), retAllow},
		{"clone thread", x("clone", unix.CLONE_VM|unix.CLONE_THREAD|unix.CLONE_SIGHAND), retAllow},
		{"clone newuser", x("clone", unix.CLONE_NEWUSER), eperm},
		{"clone3", x("clone3"), retErrno | uint32(unix.ENOSYS)},
		{"unshare", x("unshare", unix.CLONE_NEWNS), eperm},
		{"mount", x("mount"), eperm},
		{"keyctl", x("keyctl"), eperm},
		{"add_key", x("add_key"), eperm},
		{"reboot", x("reboot"), eperm},
		{"personality 0", x("personality", 0), retAllow},
		{"personality 8", x("personality", 8), retAllow},
		{"personality weird", x("personality", 0x4000000), eperm},
		{"socket vsock", x("socket", unix.AF_VSOCK), eperm},
		{"socket inet", x("socket", unix.AF_INET), retAllow},
		{"x86 mount", data{nr: nr(specs.ArchX86, "mount"), arch: unix.AUDIT_ARCH_I386}, eperm},
		{"x86 read", data{nr: nr(specs.ArchX86, "read"), arch: unix.AUDIT_ARCH_I386}, retAllow},
		{"x32 mount", data{nr: nr(specs.ArchX32, "mount"), arch: x86_64}, eperm},
		{"x32 read", data{nr: nr(specs.ArchX32, "read"), arch: x86_64}, retAllow},
	} {
		if got := run(t, v, c.d); got != c.want {
			t.Errorf("%s: got %#x want %#x", c.name, got, c.want)
		}
	}
	// With CAP_SYS_ADMIN, mount is allowed, as under Docker.
	v = compile(t, dockerDefault(t, append(dockerCaps, "CAP_SYS_ADMIN")))
	if got := run(t, v, x("mount")); got != retAllow {
		t.Errorf("mount with CAP_SYS_ADMIN: got %#x", got)
	}
}

func BenchmarkCompileDocker(b *testing.B) {
	cfg := dockerDefault(b, dockerCaps)
	for i := 0; i < b.N; i++ {
		if _, err := Compile(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// On 32-bit architectures only the low word of an argument is compared, as
// libseccomp does.
func TestOperators32(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, op := range ops {
		for i := 0; i < 30; i++ {
			c := specs.LinuxSeccompArg{Index: uint(rng.Intn(6)), Op: op, Value: edges[rng.Intn(len(edges))], ValueTwo: edges[rng.Intn(len(edges))]}
			v := compile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"ioctl"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{c}}}})
			low := c
			low.Value, low.ValueTwo = uint64(uint32(c.Value)), uint64(uint32(c.ValueTwo))
			for j := 0; j < 30; j++ {
				arg := uint64(uint32(edges[rng.Intn(len(edges))] + uint64(j%3) - 1))
				want := uint32(retAllow)
				if holds(low, arg) {
					want = retErrno | uint32(unix.EPERM)
				}
				for _, d := range []data{{nr: nr(specs.ArchX86, "ioctl"), arch: unix.AUDIT_ARCH_I386}, {nr: nr(specs.ArchX32, "ioctl"), arch: x86_64}} {
					d.args[c.Index] = arg
					if got := run(t, v, d); got != want {
						t.Fatalf("%s %#x on %#x (arch %#x): got %#x want %#x", op, c.Value, arg, d.arch, got, want)
					}
				}
			}
		}
	}
}
