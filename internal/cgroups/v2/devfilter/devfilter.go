// Package devfilter compiles a container's device rules into the
// BPF_PROG_TYPE_CGROUP_DEVICE program that cgroup2 enforces them with,
// and attaches it. It is its own package so that only the runtime links
// cilium/ebpf: its 32 packages (debug/elf, debug/dwarf, encoding/xml,
// go/parser among them) would otherwise be initialised at every jinn
// command's start, and the engine never sets device rules.
package devfilter

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The kernel's bpf_cgroup_dev_ctx: access_type is (access << 16) | type.
const (
	devBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devChar  = 2 // BPF_DEVCG_DEV_CHAR
	accMknod = 1 // BPF_DEVCG_ACC_MKNOD
	accRead  = 2 // BPF_DEVCG_ACC_READ
	accWrite = 4 // BPF_DEVCG_ACC_WRITE
)

// DeviceProgram compiles device rules into a program: the last rule that
// matches decides, as with v1's devices.allow/deny; no match denies. An
// allow rule matches when it grants all the access asked for, a deny rule
// when it forbids any of it.
func DeviceProgram(rules []specs.LinuxDeviceCgroup) (asm.Instructions, error) {
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xffff), // type
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),                // access
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word), // major
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word), // minor
	}
	for i := len(rules) - 1; i >= 0; i-- {
		r := rules[i]
		next := "deny"
		if i > 0 {
			next = fmt.Sprintf("rule%d", i-1)
		}
		var block asm.Instructions
		switch r.Type {
		case "", "a":
		case "b":
			block = append(block, asm.JNE.Imm(asm.R2, devBlock, next))
		case "c":
			block = append(block, asm.JNE.Imm(asm.R2, devChar, next))
		default:
			return nil, fmt.Errorf("linux.resources.devices[%d].type %q: must be a, b or c", i, r.Type)
		}
		var mask int32
		access := r.Access
		if access == "" {
			access = "rwm"
		}
		for _, c := range access {
			switch c {
			case 'r':
				mask |= accRead
			case 'w':
				mask |= accWrite
			case 'm':
				mask |= accMknod
			default:
				return nil, fmt.Errorf("linux.resources.devices[%d].access %q: must be letters of rwm", i, r.Access)
			}
		}
		if mask != accRead|accWrite|accMknod || !r.Allow {
			block = append(block, asm.Mov.Reg32(asm.R1, asm.R3), asm.And.Imm32(asm.R1, mask))
			if r.Allow {
				block = append(block, asm.JNE.Reg(asm.R1, asm.R3, next)) // asks for more than granted
			} else {
				block = append(block, asm.JEq.Imm(asm.R1, 0, next)) // asks for nothing forbidden
			}
		}
		if r.Major != nil && *r.Major >= 0 {
			block = append(block, asm.JNE.Imm(asm.R4, int32(*r.Major), next))
		}
		if r.Minor != nil && *r.Minor >= 0 {
			block = append(block, asm.JNE.Imm(asm.R5, int32(*r.Minor), next))
		}
		verdict := int32(0)
		if r.Allow {
			verdict = 1
		}
		block = append(block, asm.Mov.Imm(asm.R0, verdict), asm.Return())
		block[0] = block[0].WithSymbol(fmt.Sprintf("rule%d", i))
		insns = append(insns, block...)
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0).WithSymbol("deny"), asm.Return())
	return insns, nil
}

// Load is the runtime's v2.DeviceFilter: it compiles rules and loads the
// program, which runs the kernel's verifier, so a program it refuses fails
// before any write. The returned attach puts it on the cgroup at dir.
func Load(dir string, rules []specs.LinuxDeviceCgroup) (attach func() error, err error) {
	insns, err := DeviceProgram(rules)
	if err != nil {
		return nil, err
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.CGroupDevice, Instructions: insns, License: "Apache-2.0"})
	if err != nil {
		return nil, fmt.Errorf("linux.resources.devices: load device program: %w", err)
	}
	return func() error {
		defer prog.Close() // the attachment holds the program
		return attachDeviceProgram(dir, prog)
	}, nil
}

// attachDeviceProgram attaches prog to the cgroup and then detaches the
// programs that were there (an update), so there is no moment with no
// filter. The legacy attach outlives jinn-runtime; a bpf_link would not.
func attachDeviceProgram(dir string, prog *ebpf.Program) error {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("attach device program: %w", err)
	}
	defer unix.Close(fd)
	old, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("query device programs of %s: %w", dir, err)
	}
	if err := link.RawAttachProgram(link.RawAttachProgramOptions{Target: fd, Program: prog,
		Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI}); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	var errs []error
	for _, p := range old.Programs {
		op, err := ebpf.NewProgramFromID(p.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: op,
			Attach: ebpf.AttachCGroupDevice}); err != nil {
			errs = append(errs, err)
		}
		op.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach old device programs of %s: %w", dir, err)
	}
	return nil
}
