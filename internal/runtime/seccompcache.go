package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/atomicfile"
	"github.com/jinn-containers/jinn/internal/plandir"
	"github.com/jinn-containers/jinn/internal/recipe"
	"github.com/jinn-containers/jinn/internal/seccomp"
)

// The last seccomp profile compiled can be remembered in a file that the
// caller names in recipe.SeccompCacheEnv (the engine: one in its run root).
// Docker's profile, in every container the engine makes, takes 0.5-0.8 ms
// to compile at each create, on the path to the init's fork. The file is
// used only if it and its directory are ours and nobody else may write
// them, and only for the same profile (its JSON) and the same
// jinn-runtime binary (device, inode, size and time of /proc/self/exe),
// whose compiler made it. Not in the runtime's --root: a root whose
// containers are all deleted is left empty.
const (
	seccompCacheMagic = "jinn-seccomp-cache 1\n"
	seccompCacheMax   = 1 << 20
)

// SeccompCache is the file where r's creates remember their last compiled
// seccomp profile (CreateOpts.SeccompCache): recipe.SeccompCacheEnv's if it is
// an absolute path, else none.
func (r *Runtime) SeccompCache() string {
	if f := os.Getenv(recipe.SeccompCacheEnv); filepath.IsAbs(f) {
		return f
	}
	return ""
}

// compileSeccomp is seccomp.Compile, remembered in file if it is not "".
func compileSeccomp(sc *specs.LinuxSeccomp, file string) (*seccomp.Program, error) {
	if file == "" {
		return seccomp.Compile(sc)
	}
	dir, err := unix.Open(filepath.Dir(file), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return seccomp.Compile(sc)
	}
	trusted := plandir.Owned(dir, unix.S_IFDIR)
	unix.Close(dir)
	key, ok := seccompKey(sc)
	if !trusted || !ok {
		return seccomp.Compile(sc)
	}
	if p := readSeccompCache(file, key); p != nil {
		return p, nil
	}
	p, err := seccomp.Compile(sc)
	if err != nil {
		return nil, err
	}
	// Best effort: the root may not exist yet (the first container).
	_ = atomicfile.WriteFile(file, encodeSeccompCache(key, p), 0o600)
	return p, nil
}

func seccompKey(sc *specs.LinuxSeccomp) (key [sha256.Size]byte, ok bool) {
	var st unix.Stat_t
	if unix.Stat("/proc/self/exe", &st) != nil {
		return key, false
	}
	j, err := json.Marshal(sc)
	if err != nil {
		return key, false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s%d %d %d %d.%d\n", seccompCacheMagic, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	h.Write(j)
	copy(key[:], h.Sum(nil))
	return key, true
}

// encodeSeccompCache: magic, key, flags (u32), notify (u8), the count of
// instructions (u32), then each as code (u16), jt, jf (u8), k (u32).
func encodeSeccompCache(key [sha256.Size]byte, p *seccomp.Program) []byte {
	b := append([]byte(seccompCacheMagic), key[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Flags))
	notify := byte(0)
	if p.Notify {
		notify = 1
	}
	b = append(b, notify)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Filter)))
	for _, f := range p.Filter {
		b = binary.LittleEndian.AppendUint16(b, f.Code)
		b = append(b, f.Jt, f.Jf)
		b = binary.LittleEndian.AppendUint32(b, f.K)
	}
	return b
}

// readSeccompCache returns the program remembered for key, nil if there
// is none or the file is not to be trusted.
func readSeccompCache(file string, key [sha256.Size]byte) *seccomp.Program {
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if !plandir.Owned(fd, unix.S_IFREG) || unix.Fstat(fd, &st) != nil || st.Size > seccompCacheMax {
		return nil
	}
	b := make([]byte, st.Size)
	if n, err := unix.Read(fd, b); err != nil || n != len(b) {
		return nil
	}
	return decodeSeccompCache(b, key)
}

func decodeSeccompCache(b []byte, key [sha256.Size]byte) *seccomp.Program {
	head := len(seccompCacheMagic) + sha256.Size
	if len(b) < head+9 || string(b[:len(seccompCacheMagic)]) != seccompCacheMagic ||
		!bytes.Equal(b[len(seccompCacheMagic):head], key[:]) {
		return nil
	}
	b = b[head:]
	p := &seccomp.Program{Flags: uint(binary.LittleEndian.Uint32(b)), Notify: b[4] == 1}
	n := binary.LittleEndian.Uint32(b[5:])
	b = b[9:]
	if n == 0 || uint64(len(b)) != uint64(n)*8 {
		return nil
	}
	p.Filter = make([]unix.SockFilter, n)
	for i := range p.Filter {
		f := b[i*8:]
		p.Filter[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(f), Jt: f[2], Jf: f[3], K: binary.LittleEndian.Uint32(f[4:])}
	}
	return p
}
