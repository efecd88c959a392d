package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Content is the blob store: each blob lives at blobs/sha256/<hex>, is
// written to a temporary file, checked against its digest and renamed into
// place, and is verified again when read to the end.
type Content struct {
	dir string
}

func openContent(dir string) (*Content, error) {
	for _, d := range []string{filepath.Join(dir, "sha256"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create blob store: %w", err)
		}
	}
	return &Content{dir: dir}, nil
}

func (c *Content) path(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("invalid digest %q", d)
	}
	return filepath.Join(c.dir, "sha256", d.Encoded()), nil
}

// Has tells whether the blob is present.
func (c *Content) Has(d digest.Digest) bool {
	p, err := c.path(d)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Size returns the size of a stored blob.
func (c *Content) Size(d digest.Digest) (int64, error) {
	p, err := c.path(d)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return fi.Size(), nil
}

// Open returns a reader of the blob that fails at EOF if the content does
// not match its digest (a blob corrupted on disk).
func (c *Content) Open(d digest.Digest) (io.ReadCloser, error) {
	p, err := c.path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
		}
		return nil, err
	}
	return &verifyReader{f: f, v: d.Verifier(), d: d}, nil
}

type verifyReader struct {
	f *os.File
	v digest.Verifier
	d digest.Digest
}

func (r *verifyReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.v.Write(p[:n])
	if err == io.EOF && !r.v.Verified() {
		return n, fmt.Errorf("blob %s is corrupted on disk: content does not match its digest", r.d)
	}
	return n, err
}

func (r *verifyReader) Close() error { return r.f.Close() }

// ReadAll reads a whole (small) verified blob.
func (c *Content) ReadAll(d digest.Digest) ([]byte, error) {
	r, err := c.Open(d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Put stores bytes and returns their digest.
func (c *Content) Put(b []byte) (digest.Digest, error) {
	d := digest.FromBytes(b)
	if c.Has(d) {
		return d, nil
	}
	w, err := c.Writer()
	if err != nil {
		return "", err
	}
	defer w.Abort()
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	return w.Commit(d, int64(len(b)))
}

// BlobWriter writes one blob; Commit checks and publishes it, Abort (safe
// after Commit) discards it.
type BlobWriter struct {
	c    *Content
	f    *os.File
	dg   digest.Digester
	n    int64
	done bool
}

// Writer starts a new blob.
func (c *Content) Writer() (*BlobWriter, error) {
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "blob-")
	if err != nil {
		return nil, fmt.Errorf("create blob: %w", err)
	}
	return &BlobWriter{c: c, f: f, dg: digest.SHA256.Digester()}, nil
}

func (w *BlobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.dg.Hash().Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Digest is the digest of what was written so far.
func (w *BlobWriter) Digest() digest.Digest { return w.dg.Digest() }

// Size is the number of bytes written so far.
func (w *BlobWriter) Size() int64 { return w.n }

// Commit publishes the blob. If expected is set, the content must match it
// (and size, if >= 0): a mismatch discards the blob and is an error.
func (w *BlobWriter) Commit(expected digest.Digest, size int64) (digest.Digest, error) {
	got := w.dg.Digest()
	if expected != "" && got != expected {
		w.Abort()
		return "", fmt.Errorf("digest mismatch: expected %s, got %s", expected, got)
	}
	if size >= 0 && expected != "" && size != w.n {
		w.Abort()
		return "", fmt.Errorf("size mismatch for %s: expected %d, got %d", expected, size, w.n)
	}
	if err := w.f.Sync(); err != nil {
		w.Abort()
		return "", err
	}
	if err := w.f.Close(); err != nil {
		w.Abort()
		return "", err
	}
	p, _ := w.c.path(got)
	if err := os.Rename(w.f.Name(), p); err != nil {
		w.Abort()
		return "", fmt.Errorf("store blob %s: %w", got, err)
	}
	w.done = true
	return got, nil
}

// Abort discards an uncommitted blob.
func (w *BlobWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// Delete removes a blob.
func (c *Content) Delete(d digest.Digest) error {
	p, err := c.path(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Walk lists every stored blob.
func (c *Content) Walk(fn func(d digest.Digest, size int64) error) error {
	ents, err := os.ReadDir(filepath.Join(c.dir, "sha256"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if err := fn(digest.NewDigestFromEncoded(digest.SHA256, e.Name()), fi.Size()); err != nil {
			return err
		}
	}
	return nil
}

// old tells whether a blob was written long enough ago that no write in
// progress can be about to reference it.
func (c *Content) old(d digest.Digest) bool {
	p, err := c.path(d)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && time.Since(fi.ModTime()) > 10*time.Minute
}
