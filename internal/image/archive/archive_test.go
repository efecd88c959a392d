package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

type ent struct {
	name, link string
	typ        byte
	body       string
	mode       int64
	uid        int
	xattrs     map[string]string
	major      int64
}

func mktar(t *testing.T, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.uid, Format: tar.FormatPAX, Devmajor: e.major}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

func apply(t *testing.T, data []byte) (string, error) {
	dir := t.TempDir()
	_, err := Apply(context.Background(), dir, bytes.NewReader(data), ApplyOptions{})
	return dir, err
}

func TestApplyUnsafe(t *testing.T) {
	outside := t.TempDir()
	cases := map[string][]ent{
		"dotdot":        {{name: "../evil", typ: tar.TypeReg, body: "x"}},
		"dotdot-inside": {{name: "a/../../evil", typ: tar.TypeReg, body: "x"}},
		"absolute":      {{name: "/etc/evil", typ: tar.TypeReg, body: "x"}},
		"through-link":  {{name: "l", typ: tar.TypeSymlink, link: outside}, {name: "l/evil", typ: tar.TypeReg, body: "x"}},
		"through-rel":   {{name: "l", typ: tar.TypeSymlink, link: "../../../../.."}, {name: "l/tmp/evil", typ: tar.TypeReg, body: "x"}},
		"hardlink-out":  {{name: "h", typ: tar.TypeLink, link: "../../../etc/passwd"}},
		"hardlink-abs":  {{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}},
		"hardlink-link": {{name: "l", typ: tar.TypeSymlink, link: "/etc"}, {name: "h", typ: tar.TypeLink, link: "l/passwd"}},
		"whiteout-link": {{name: "l", typ: tar.TypeSymlink, link: outside}, {name: "l/.wh.x", typ: tar.TypeReg}},
	}
	os.WriteFile(filepath.Join(outside, "x"), []byte("keep"), 0o644)
	for name, ents := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := apply(t, mktar(t, ents...))
			if !errors.Is(err, ErrUnsafe) {
				t.Fatalf("want ErrUnsafe, got %v", err)
			}
			if _, err := os.Stat(filepath.Join(outside, "evil")); err == nil {
				t.Fatal("wrote outside")
			}
			if b, _ := os.ReadFile(filepath.Join(outside, "x")); string(b) != "keep" {
				t.Fatal("whiteout removed a file outside")
			}
		})
	}
}

func TestApplyTruncatedAndOversized(t *testing.T) {
	data := mktar(t, ent{name: "big", typ: tar.TypeReg, body: strings.Repeat("a", 5000)})
	if _, err := apply(t, data[:2048]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated: got %v", err)
	}
	dir := t.TempDir()
	_, err := Apply(context.Background(), dir, bytes.NewReader(data), ApplyOptions{MaxSize: 1000})
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("oversized: got %v", err)
	}
}

func TestApplyKinds(t *testing.T) {
	data := mktar(t,
		ent{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		ent{name: "etc/passwd", typ: tar.TypeReg, body: "root", mode: 0o600, uid: 1000},
		ent{name: "etc/hl", typ: tar.TypeLink, link: "etc/passwd"},
		ent{name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"},
		ent{name: "dev/null", typ: tar.TypeChar, major: 1, mode: 0o666},
		ent{name: "ping", typ: tar.TypeReg, body: "x", mode: 0o755, xattrs: map[string]string{
			"security.capability":      "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
			"user.note":                "hi",
			"trusted.overlay.redirect": "/etc",
		}},
		ent{name: "gone/.wh..wh..opq", typ: tar.TypeReg},
		ent{name: ".wh.removed", typ: tar.TypeReg},
	)
	dir, err := apply(t, data)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Stat(filepath.Join(dir, "etc/passwd"), &st)
	if st.Uid != 1000 || st.Mode&0o777 != 0o600 || st.Nlink != 2 {
		t.Fatalf("passwd: uid %d mode %o nlink %d", st.Uid, st.Mode&0o777, st.Nlink)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "bin/sh")); l != "/bin/busybox" {
		t.Fatalf("symlink %q", l)
	}
	unix.Lstat(filepath.Join(dir, "dev/null"), &st)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 {
		t.Fatalf("dev/null mode %o", st.Mode)
	}
	unix.Lstat(filepath.Join(dir, "removed"), &st)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatal("whiteout is not a 0/0 char device")
	}
	buf := make([]byte, 64)
	if n, err := unix.Getxattr(filepath.Join(dir, "gone"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
		t.Fatalf("opaque xattr: %v", err)
	}
	if _, err := unix.Getxattr(filepath.Join(dir, "ping"), "security.capability", buf); err != nil {
		t.Fatalf("file capability: %v", err)
	}
	if _, err := unix.Getxattr(filepath.Join(dir, "ping"), "trusted.overlay.redirect", buf); err == nil {
		t.Fatal("a layer forged an overlay xattr")
	}

	// Round trip: the upper dir written back as a diff keeps whiteouts.
	var out bytes.Buffer
	if err := WriteDiff(context.Background(), dir, &out); err != nil {
		t.Fatal(err)
	}
	names := map[string]*tar.Header{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[h.Name] = h
	}
	for _, n := range []string{".wh.removed", "gone/.wh..wh..opq", "etc/passwd", "bin/sh", "dev/null", "ping"} {
		if names[n] == nil {
			t.Errorf("diff lacks %s", n)
		}
	}
	if a, b := names["etc/passwd"], names["etc/hl"]; a == nil || b == nil || (a.Typeflag == tar.TypeLink) == (b.Typeflag == tar.TypeLink) {
		t.Error("hardlink pair not written as one file and one link")
	}
	if h := names["ping"]; h == nil || h.PAXRecords["SCHILY.xattr.security.capability"] == "" {
		t.Error("capability lost")
	}
	_ = syscall.Stat_t{}
}

func TestChanges(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(lower, "etc"), 0o755)
	os.WriteFile(filepath.Join(lower, "etc/hosts"), nil, 0o644)
	os.WriteFile(filepath.Join(lower, "old"), nil, 0o644)
	os.MkdirAll(filepath.Join(upper, "etc"), 0o755)
	os.WriteFile(filepath.Join(upper, "etc/hosts"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(upper, "etc/new"), []byte("x"), 0o644)
	unix.Mknod(filepath.Join(upper, "old"), unix.S_IFCHR, 0)
	ch, err := Changes(upper, []string{lower})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.String())
	}
	want := "C /etc,C /etc/hosts,A /etc/new,D /old"
	if strings.Join(got, ",") != want {
		t.Fatalf("got %v want %s", got, want)
	}
}

func TestDetect(t *testing.T) {
	if Detect([]byte{0x1f, 0x8b, 8, 0}) != Gzip || Detect([]byte{0x28, 0xb5, 0x2f, 0xfd}) != Zstd || Detect([]byte("ustar")) != Uncompressed {
		t.Fatal("detect")
	}
}
