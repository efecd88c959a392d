package memtrim

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Text drops the mappings of this (test) binary's read-only segments and
// the process runs on: its code faults back in from the page cache.
func TestText(t *testing.T) {
	fileRss := func() int {
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				return n
			}
		}
		return 0
	}
	before := fileRss()
	Text()
	after := fileRss()
	if after >= before {
		t.Errorf("RssFile %d kB before, %d kB after", before, after)
	}
	if s := strconv.Itoa(after); s == "" {
		t.Fatal("no code after Text")
	}
}

func TestSharedLib(t *testing.T) {
	for h, want := range map[string]bool{
		"7f08c9d0a000-7f08c9e60000 r-xp 00026000 fe:00 326269   /usr/lib/x86_64-linux-gnu/libc.so.6":            true,
		"7f08c9eda000-7f08c9f00000 r-xp 00001000 fe:00 325835   /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": true,
		"7f0000000000-7f0000001000 r--p 00000000 fe:00 1   /lib/libfoo.so":                                      true,
		"00402000-00c7e000 r-xp 00002000 fe:00 9987270   /work/bin/jinn":                                        false,
		"7f0000000000-7f0000001000 r--p 00000000 fe:00 1   /data/x.sock":                                        false,
		"7ffd000-7ffe000 r-xp 00000000 00:00 0   [vdso]":                                                        false,
		"2fbbab000000-2fbbabc00000 rw-p 00000000 00:00 0 ":                                                      false,
	} {
		if got := sharedLib([]byte(h)); got != want {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

func TestMapped(t *testing.T) {
	b, _ := os.ReadFile("/proc/self/statm")
	f := strings.Fields(string(b))
	want, _ := strconv.ParseInt(f[2], 10, 64)
	if got := Mapped(); got <= 0 || got/int64(os.Getpagesize()) < want/2 || got/int64(os.Getpagesize()) > want*2 {
		t.Fatalf("Mapped %d bytes, statm says %d pages", got, want)
	}
}
