package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A tiny classic-BPF assembler with forward labels. Conditional jumps in
// cBPF reach at most 255 instructions ahead; assemble starts with every
// jump short and widens the ones that do not reach (a conditional jump over
// one or two unconditional "ja", whose offset is 32 bits) until the layout
// is stable. Widening only moves targets further away, so it terminates.

type label int

const next label = -1 // fall through to the following instruction

type insn struct {
	op     uint16
	k      uint32
	jt, jf label // conditional jumps only
	ja     label // unconditional jump only
	mark   label // a label placed here (before this instruction), or next
	long   bool
}

type asm struct {
	code   []insn
	labels int
	marks  []label // labels waiting for the next instruction
}

func (a *asm) newLabel() label { a.labels++; return label(a.labels - 1) }

// place puts l at the next emitted instruction.
func (a *asm) place(l label) { a.marks = append(a.marks, l) }

func (a *asm) emit(i insn) {
	for _, m := range a.marks {
		a.code = append(a.code, insn{op: opMark, mark: m})
	}
	a.marks = a.marks[:0]
	a.code = append(a.code, i)
}

const opMark = 0xffff // pseudo-instruction: carries a label, takes no space

func (a *asm) ld(off uint32)            { a.emit(insn{op: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, k: off}) }
func (a *asm) and(k uint32)             { a.emit(insn{op: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, k: k}) }
func (a *asm) ret(k uint32)             { a.emit(insn{op: unix.BPF_RET | unix.BPF_K, k: k}) }
func (a *asm) jmp(l label)              { a.emit(insn{op: unix.BPF_JMP | unix.BPF_JA, ja: l}) }
func (a *asm) jeq(k uint32, t, f label) { a.jcond(unix.BPF_JEQ, k, t, f) }
func (a *asm) jgt(k uint32, t, f label) { a.jcond(unix.BPF_JGT, k, t, f) }
func (a *asm) jge(k uint32, t, f label) { a.jcond(unix.BPF_JGE, k, t, f) }

func (a *asm) jcond(op uint16, k uint32, t, f label) {
	a.emit(insn{op: unix.BPF_JMP | op | unix.BPF_K, k: k, jt: t, jf: f})
}

func isCond(i insn) bool {
	return i.op&0x07 == unix.BPF_JMP && i.op&0xf0 != unix.BPF_JA
}

// size is the number of real instructions i takes.
func size(i insn) int {
	switch {
	case i.op == opMark:
		return 0
	case isCond(i) && i.long:
		return 1 + btoi(i.jt != next) + btoi(i.jf != next)
	}
	return 1
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// assemble resolves the labels and returns the program.
func (a *asm) assemble() ([]unix.SockFilter, error) {
	if len(a.marks) > 0 {
		return nil, fmt.Errorf("bpf: label placed after the last instruction")
	}
	pos := make([]int, len(a.code))
	at := make([]int, a.labels)
	for {
		n := 0
		for i, in := range a.code {
			pos[i] = n
			if in.op == opMark {
				at[in.mark] = n
			}
			n += size(in)
		}
		changed := false
		for i, in := range a.code {
			if !isCond(in) || in.long {
				continue
			}
			for _, l := range []label{in.jt, in.jf} {
				if l != next && at[l]-(pos[i]+1) > 255 {
					a.code[i].long, changed = true, true
				}
			}
		}
		if !changed {
			if n > 4096 {
				return nil, fmt.Errorf("bpf: program of %d instructions exceeds the kernel's 4096", n)
			}
			break
		}
	}
	out := make([]unix.SockFilter, 0, len(a.code))
	rel := func(from int, l label) (uint32, error) {
		if l == next {
			return 0, nil
		}
		d := at[l] - from
		if d < 0 {
			return 0, fmt.Errorf("bpf: backward jump")
		}
		return uint32(d), nil
	}
	for i, in := range a.code {
		switch {
		case in.op == opMark:
		case isCond(in) && in.long:
			// jcond to "ja t" / "ja f" placed right after it.
			p := pos[i]
			var jt, jf uint8
			slot := 0
			if in.jt != next {
				slot++
			} else {
				jt = uint8(btoi(in.jf != next)) // skip the "ja f"
			}
			if in.jf != next {
				jf = uint8(slot)
			} else {
				jf = uint8(slot) // past "ja t": fall through to the code after
			}
			out = append(out, unix.SockFilter{Code: in.op, K: in.k, Jt: jt, Jf: jf})
			if in.jt != next {
				d, err := rel(p+2, in.jt)
				if err != nil {
					return nil, err
				}
				out = append(out, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: d})
			}
			if in.jf != next {
				d, err := rel(p+1+slot+1, in.jf)
				if err != nil {
					return nil, err
				}
				out = append(out, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: d})
			}
		case isCond(in):
			jt, err := rel(pos[i]+1, in.jt)
			if err != nil {
				return nil, err
			}
			jf, err := rel(pos[i]+1, in.jf)
			if err != nil {
				return nil, err
			}
			out = append(out, unix.SockFilter{Code: in.op, K: in.k, Jt: uint8(jt), Jf: uint8(jf)})
		case in.op == unix.BPF_JMP|unix.BPF_JA:
			d, err := rel(pos[i]+1, in.ja)
			if err != nil {
				return nil, err
			}
			out = append(out, unix.SockFilter{Code: in.op, K: d})
		default:
			out = append(out, unix.SockFilter{Code: in.op, K: in.k})
		}
	}
	return out, nil
}
