// Package archive moves layers between tar streams and directories: it
// unpacks a layer into a snapshot's directory in overlayfs's whiteout
// format (Apply), writes a directory or an overlay upper dir back as a tar
// (WriteDir, WriteDiff) and lists an upper dir's changes (Changes).
//
// Apply never follows a symlink while unpacking: parents are opened with
// openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so no entry, link or
// whiteout can touch anything outside the target directory.
package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ErrUnsafe marks an archive entry that would escape the target or is
// malformed; the caller discards everything unpacked so far.
var ErrUnsafe = errors.New("unsafe archive entry")

// Compression of a layer blob.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
	Bzip2
)

func (c Compression) String() string {
	return [...]string{"none", "gzip", "zstd", "bzip2"}[c]
}

// Detect tells the compression of a stream from its first bytes.
func Detect(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(head, []byte("BZh")):
		return Bzip2
	}
	return Uncompressed
}

// Decompress returns the uncompressed stream of r, whatever its compression
// (gzip, zstd, bzip2 or none), and which it was.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	c := Detect(head)
	switch c {
	case Gzip:
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("gzip: %w", err)
		}
		return z, c, nil
	case Zstd:
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, c, fmt.Errorf("zstd: %w", err)
		}
		return z.IOReadCloser(), c, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), c, nil
	}
	return io.NopCloser(br), c, nil
}

// Change is one line of `jinn diff`.
type Change struct {
	Kind ChangeKind
	Path string // absolute, inside the container
}

// ChangeKind is docker's A, C or D.
type ChangeKind int

const (
	Modified ChangeKind = iota // C
	Added                      // A
	Deleted                    // D
)

func (k ChangeKind) String() string { return [...]string{"C", "A", "D"}[k] }

func (c Change) String() string { return c.Kind.String() + " " + c.Path }
