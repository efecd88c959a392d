// Package seccomp compiles linux.seccomp from an OCI spec into a classic BPF
// filter and loads it. Compile is pure and unit-tested; Load must run in the
// container's init after everything that needs the syscalls it may forbid.
//
// The filter, per architecture listed (the native one is always added):
//
//	ld arch; jeq AUDIT_ARCH_* → that arch's block; ...; ret KILL (bad arch)
//	block: ld nr; [x86_64: nr >= x32 bit → x32 block or bad arch]
//	       binary search over ranges of syscall numbers → an action, or
//	       the syscall's argument checks (each rule in order, then the
//	       syscall's unconditional action, else the default action)
//
// Semantics follow runc with libseccomp: unknown syscall names are skipped
// (profiles list syscalls of every kernel), conditions of one rule are
// ANDed, except that several conditions on the same argument become
// separate rules (ORed); 64-bit arguments are compared as two 32-bit halves.
package seccomp

//go:generate sh -c "go run ./internal/mktables -o ztables.go -xsys $(go list -m -f '{{.Dir}}' golang.org/x/sys)/unix"

import (
	"fmt"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Return values of a filter (linux/seccomp.h).
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000
)

// seccomp_data offsets.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

const x32Bit = 0x40000000

// archs maps the spec's architectures to their audit arch. x32 shares
// x86_64's audit arch and is told apart by the x32 bit in the number.
var archs = map[specs.Arch]uint32{
	specs.ArchX86_64:  unix.AUDIT_ARCH_X86_64,
	specs.ArchX86:     unix.AUDIT_ARCH_I386,
	specs.ArchX32:     unix.AUDIT_ARCH_X86_64,
	specs.ArchAARCH64: unix.AUDIT_ARCH_AARCH64,
	specs.ArchARM:     unix.AUDIT_ARCH_ARM,
}

// Architectures libseccomp knows but this compiler has no table for: a
// profile may list them (Docker's does, per host arch); they are skipped,
// and a process of such an arch gets the bad-arch action.
var foreignArchs = map[specs.Arch]bool{
	specs.ArchMIPS: true, specs.ArchMIPSEL: true, specs.ArchMIPS64: true, specs.ArchMIPS64N32: true,
	specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true, specs.ArchPPC: true, specs.ArchPPC64: true,
	specs.ArchPPC64LE: true, specs.ArchS390: true, specs.ArchS390X: true, specs.ArchPARISC: true,
	specs.ArchPARISC64: true, specs.ArchRISCV64: true, specs.ArchLOONGARCH64: true,
}

// Filter flags by name, and whether the kernel knows them as such.
var filterFlags = map[specs.LinuxSeccompFlag]uint{
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: 1 << 5, // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
	"SECCOMP_FILTER_FLAG_TSYNC_ESRCH":      1 << 4,
	"SECCOMP_FILTER_FLAG_NEW_LISTENER":     unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
}

// Program is a compiled filter and how to load it.
type Program struct {
	Filter []unix.SockFilter
	Flags  uint // SECCOMP_FILTER_FLAG_*, NEW_LISTENER when Notify
	Notify bool // some action is SCMP_ACT_NOTIFY: loading returns a listener fd
}

// action turns a spec action into a filter return value.
func action(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	errno := uint32(unix.EPERM)
	if errnoRet != nil {
		if *errnoRet > 0xffff {
			return 0, fmt.Errorf("errnoRet %d out of range", *errnoRet)
		}
		errno = uint32(*errnoRet)
	}
	if errnoRet != nil && a != specs.ActErrno && a != specs.ActTrace {
		return 0, fmt.Errorf("errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", a)
	}
	switch a {
	case specs.ActAllow:
		return retAllow, nil
	case specs.ActErrno:
		return retErrno | errno, nil
	case specs.ActKill, specs.ActKillThread:
		return retKillThread, nil
	case specs.ActKillProcess:
		return retKillProcess, nil
	case specs.ActTrap:
		return retTrap, nil
	case specs.ActTrace:
		return retTrace | errno, nil
	case specs.ActLog:
		return retLog, nil
	case specs.ActNotify:
		return retUserNotif, nil
	case "":
		return 0, fmt.Errorf("missing action")
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

// cond is one argument comparison.
type cond struct {
	index    uint
	op       specs.LinuxSeccompOperator
	val, two uint64
}

type rule struct {
	conds []cond
	ret   uint32
}

// sysRules are the rules of one syscall number in one arch, in order.
type sysRules struct {
	conditional []rule
	uncond      *uint32
}

// Compile turns cfg into a filter for the architectures it lists plus the
// native one. It never panics, whatever cfg holds.
func Compile(cfg *specs.LinuxSeccomp) (*Program, error) {
	if cfg == nil {
		return nil, fmt.Errorf("seccomp: no configuration")
	}
	def, err := action(cfg.DefaultAction, cfg.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp: default action: %w", err)
	}
	p := &Program{Notify: def == retUserNotif}
	for _, f := range cfg.Flags {
		v, ok := filterFlags[f]
		if !ok {
			return nil, fmt.Errorf("seccomp: unknown flag %q", f)
		}
		p.Flags |= v
	}
	if cfg.ListenerPath == "" && cfg.ListenerMetadata != "" {
		return nil, fmt.Errorf("seccomp: listenerMetadata without listenerPath")
	}

	// The architectures, in a fixed order: native first.
	arches := []specs.Arch{nativeArch}
	seen := map[specs.Arch]bool{nativeArch: true}
	for _, a := range cfg.Architectures {
		if _, ok := archs[a]; !ok {
			if foreignArchs[a] {
				continue
			}
			return nil, fmt.Errorf("seccomp: unknown architecture %q", a)
		}
		if !seen[a] {
			seen[a] = true
			arches = append(arches, a)
		}
	}

	// Rules per arch and syscall number.
	rules := map[specs.Arch]map[uint32]*sysRules{}
	for _, a := range arches {
		rules[a] = map[uint32]*sysRules{}
	}
	for i, sc := range cfg.Syscalls {
		ret, err := action(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("seccomp: syscalls[%d] %v: %w", i, sc.Names, err)
		}
		if ret == retUserNotif {
			p.Notify = true
		}
		if len(sc.Names) == 0 {
			return nil, fmt.Errorf("seccomp: syscalls[%d]: no names", i)
		}
		rs, err := splitArgs(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("seccomp: syscalls[%d] %v: %w", i, sc.Names, err)
		}
		for _, name := range sc.Names {
			if name == "" {
				return nil, fmt.Errorf("seccomp: syscalls[%d]: empty syscall name", i)
			}
			for _, a := range arches {
				nr, ok := syscallTables()[string(a)][name]
				if !ok {
					continue
				}
				sr := rules[a][nr]
				if sr == nil {
					sr = &sysRules{}
					rules[a][nr] = sr
				}
				if rs == nil {
					if sr.uncond == nil { // the first unconditional rule wins
						r := ret
						sr.uncond = &r
					}
					continue
				}
				for _, c := range rs {
					sr.conditional = append(sr.conditional, rule{conds: c, ret: ret})
				}
			}
		}
	}
	if p.Notify {
		if cfg.ListenerPath == "" {
			return nil, fmt.Errorf("seccomp: SCMP_ACT_NOTIFY needs listenerPath")
		}
		if def == retUserNotif {
			return nil, fmt.Errorf("seccomp: SCMP_ACT_NOTIFY cannot be the default action")
		}
		p.Flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	} else {
		// Only meaningful with a listener, and the kernel refuses it
		// without one.
		p.Flags &^= filterFlags[specs.LinuxSeccompFlagWaitKillableRecv]
	}

	var a asm
	bad := a.newLabel()
	blocks := map[uint32]label{} // audit arch → block
	var order []uint32
	for _, ar := range arches {
		au := archs[ar]
		if _, ok := blocks[au]; !ok {
			blocks[au] = a.newLabel()
			order = append(order, au)
		}
	}
	rets := map[uint32]label{}
	retLabel := func(v uint32) label {
		if l, ok := rets[v]; ok {
			return l
		}
		l := a.newLabel()
		rets[v] = l
		return l
	}
	a.ld(offArch)
	for _, au := range order {
		a.jeq(au, blocks[au], next)
	}
	a.jmp(bad)
	var argBlocks []func()
	for _, au := range order {
		a.place(blocks[au])
		a.ld(offNr)
		switch au {
		case unix.AUDIT_ARCH_X86_64:
			x64, x32 := seen[specs.ArchX86_64], seen[specs.ArchX32]
			x32Block := bad
			if x32 {
				x32Block = a.newLabel()
			}
			a.jge(x32Bit, x32Block, next)
			if x64 {
				argBlocks = append(argBlocks, a.tree(rules[specs.ArchX86_64], 0, x32Bit-1, def, false, retLabel)...)
			} else {
				a.jmp(bad)
			}
			if x32 {
				a.place(x32Block)
				argBlocks = append(argBlocks, a.tree(rules[specs.ArchX32], x32Bit, 0xffffffff, def, true, retLabel)...)
			}
		default:
			for _, ar := range arches {
				if archs[ar] == au {
					argBlocks = append(argBlocks, a.tree(rules[ar], 0, 0xffffffff, def, arch32[ar], retLabel)...)
				}
			}
		}
	}
	for _, f := range argBlocks {
		f()
	}
	a.place(bad)
	a.ret(retKillThread)
	vals := make([]uint32, 0, len(rets))
	for v := range rets {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, v := range vals {
		a.place(rets[v])
		a.ret(v)
	}
	p.Filter, err = a.assemble()
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	return p, nil
}

// splitArgs returns the condition sets of a syscall entry, each ANDed, the
// sets ORed; nil means unconditional.
func splitArgs(args []specs.LinuxSeccompArg) ([][]cond, error) {
	if len(args) == 0 {
		return nil, nil
	}
	cs := make([]cond, len(args))
	perIndex := map[uint]int{}
	for i, arg := range args {
		if arg.Index > 5 {
			return nil, fmt.Errorf("argument index %d out of range (0-5)", arg.Index)
		}
		switch arg.Op {
		case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
			specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		case "":
			return nil, fmt.Errorf("argument %d: missing operator", i)
		default:
			return nil, fmt.Errorf("argument %d: unknown operator %q", i, arg.Op)
		}
		cs[i] = cond{index: arg.Index, op: arg.Op, val: arg.Value, two: arg.ValueTwo}
		perIndex[arg.Index]++
	}
	for _, n := range perIndex {
		if n > 1 {
			out := make([][]cond, len(cs))
			for i := range cs {
				out[i] = cs[i : i+1]
			}
			return out, nil
		}
	}
	return [][]cond{cs}, nil
}

// segment is a range of syscall numbers [lo, hi] sent to one place.
type segment struct {
	lo, hi uint32
	to     label
}

// tree emits a binary search over the numbers [lo, hi] of one arch, with
// the accumulator holding the syscall number; it returns emitters for the
// argument blocks, to be laid out after all the trees.
func (a *asm) tree(rs map[uint32]*sysRules, lo, hi uint32, def uint32, bits32 bool, retLabel func(uint32) label) []func() {
	nrs := make([]uint32, 0, len(rs))
	for nr := range rs {
		if nr >= lo && nr <= hi {
			nrs = append(nrs, nr)
		}
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	var segs []segment
	var blocks []func()
	add := func(l, h uint32, to label) {
		if n := len(segs); n > 0 && segs[n-1].to == to && segs[n-1].hi+1 == l {
			segs[n-1].hi = h
			return
		}
		segs = append(segs, segment{l, h, to})
	}
	cur := lo
	for _, nr := range nrs {
		if nr > cur {
			add(cur, nr-1, retLabel(def))
		}
		sr := rs[nr]
		fallback := def
		if sr.uncond != nil {
			fallback = *sr.uncond
		}
		if len(sr.conditional) == 0 {
			add(nr, nr, retLabel(fallback))
		} else {
			l := a.newLabel()
			add(nr, nr, l)
			blocks = append(blocks, func() { a.argBlock(l, sr.conditional, retLabel(fallback), bits32, retLabel) })
		}
		cur = nr + 1
		if nr == hi {
			break
		}
	}
	if len(nrs) == 0 || nrs[len(nrs)-1] < hi {
		add(cur, hi, retLabel(def))
	}
	a.search(segs)
	return blocks
}

// search emits the decision tree over contiguous segments.
func (a *asm) search(segs []segment) {
	if len(segs) == 1 {
		a.jmp(segs[0].to)
		return
	}
	if len(segs) == 2 {
		a.jge(segs[1].lo, segs[1].to, segs[0].to)
		return
	}
	mid := len(segs) / 2
	right := a.newLabel()
	a.jge(segs[mid].lo, right, next)
	a.search(segs[:mid])
	a.place(right)
	a.search(segs[mid:])
}

// argBlock emits the conditional rules of one syscall: the first rule whose
// conditions all hold decides; if none does, fallback.
func (a *asm) argBlock(at label, rs []rule, fallback label, bits32 bool, retLabel func(uint32) label) {
	a.place(at)
	for _, r := range rs {
		fail := a.newLabel()
		for _, c := range r.conds {
			if bits32 {
				a.compare32(c, fail)
			} else {
				a.compare(c, fail)
			}
		}
		a.jmp(retLabel(r.ret))
		a.place(fail)
	}
	a.jmp(fallback)
}

// arch32 are the architectures whose arguments are 32 bits: libseccomp
// compares only the low word there (a value of -1 given as 64 bits still
// matches 0xffffffff), and so does this compiler. x32 counts as 32-bit too.
var arch32 = map[specs.Arch]bool{specs.ArchX86: true, specs.ArchX32: true, specs.ArchARM: true}

// compare32 is compare on the low word only.
func (a *asm) compare32(c cond, fail label) {
	lo := uint32(offArgs + 8*c.index)
	v := uint32(c.val)
	a.ld(lo)
	switch c.op {
	case specs.OpEqualTo:
		a.jeq(v, next, fail)
	case specs.OpNotEqual:
		a.jeq(v, fail, next)
	case specs.OpMaskedEqual:
		a.and(v)
		a.jeq(uint32(c.two), next, fail)
	case specs.OpGreaterThan:
		a.jgt(v, next, fail)
	case specs.OpGreaterEqual:
		a.jge(v, next, fail)
	case specs.OpLessThan:
		a.jge(v, fail, next)
	case specs.OpLessEqual:
		a.jgt(v, fail, next)
	}
}

// compare emits one condition: falls through when it holds, jumps to fail
// when it does not. The argument is compared high half first.
func (a *asm) compare(c cond, fail label) {
	lo := uint32(offArgs + 8*c.index) // little endian: low word first
	hi := lo + 4
	vhi, vlo := uint32(c.val>>32), uint32(c.val)
	ok := a.newLabel()
	switch c.op {
	case specs.OpEqualTo:
		a.ld(hi)
		a.jeq(vhi, next, fail)
		a.ld(lo)
		a.jeq(vlo, next, fail)
	case specs.OpNotEqual:
		a.ld(hi)
		a.jeq(vhi, next, ok)
		a.ld(lo)
		a.jeq(vlo, fail, next)
	case specs.OpMaskedEqual:
		// arg & value == valueTwo
		thi, tlo := uint32(c.two>>32), uint32(c.two)
		a.ld(hi)
		a.and(vhi)
		a.jeq(thi, next, fail)
		a.ld(lo)
		a.and(vlo)
		a.jeq(tlo, next, fail)
	case specs.OpGreaterThan:
		a.ld(hi)
		a.jgt(vhi, ok, next)
		a.jeq(vhi, next, fail)
		a.ld(lo)
		a.jgt(vlo, next, fail)
	case specs.OpGreaterEqual:
		a.ld(hi)
		a.jgt(vhi, ok, next)
		a.jeq(vhi, next, fail)
		a.ld(lo)
		a.jge(vlo, next, fail)
	case specs.OpLessThan:
		a.ld(hi)
		a.jgt(vhi, fail, next)
		a.jeq(vhi, next, ok)
		a.ld(lo)
		a.jge(vlo, fail, next)
	case specs.OpLessEqual:
		a.ld(hi)
		a.jgt(vhi, fail, next)
		a.jeq(vhi, next, ok)
		a.ld(lo)
		a.jgt(vlo, fail, next)
	}
	a.place(ok)
}

// UsesNotify says whether cfg has a SCMP_ACT_NOTIFY rule.
func UsesNotify(cfg *specs.LinuxSeccomp) bool {
	for _, s := range cfg.Syscalls {
		if s.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
