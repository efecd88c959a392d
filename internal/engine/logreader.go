package engine

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// logReader reads a json-file log that the monitor rotates while it is
// read (path, path.1, ... path.N, renamed one step on at each rotation,
// the last one deleted). It holds every file it has seen open, oldest
// first, so neither a rename nor a deletion takes unread lines; a scan
// finds the files newer than the newest it holds by their inodes. While
// following, a scanner of its own (watch) keeps opening new files even
// when printing blocks on a slow client: a reader behind the writer by
// more than the kept files would otherwise find lines deleted unread.
type logReader struct {
	path   string
	mu     sync.Mutex // guards files: the scanner appends, drain takes
	scanMu sync.Mutex // one scan at a time
	poll   bool       // watch by polling even where inotify works (tests)
	// files[0] is being read.
	files   []*heldLog
	r       *bufio.Reader // reads files[0] once reading is set
	reading bool          // r is set up on files[0]
	part    []byte        // a line not yet complete at the end of the file
	off     int64         // bytes consumed of files[0]
	dec     logDecoder
}

type heldLog struct {
	f        *os.File
	dev, ino uint64
}

type logName struct {
	name     string
	dev, ino uint64
}

// names lists the log's files, oldest first, with their inodes.
func (l *logReader) names() []logName {
	rotated, _ := filepath.Glob(l.path + ".*")
	type numbered struct {
		n    int
		name string
	}
	var nums []numbered
	for _, p := range rotated {
		if n, err := strconv.Atoi(strings.TrimPrefix(p, l.path+".")); err == nil && n > 0 {
			nums = append(nums, numbered{n, p})
		}
	}
	sort.Slice(nums, func(a, b int) bool { return nums[a].n > nums[b].n })
	var out []logName
	for _, p := range append(nums, numbered{0, l.path}) {
		var st syscall.Stat_t
		if syscall.Stat(p.name, &st) == nil {
			out = append(out, logName{p.name, uint64(st.Dev), st.Ino})
		}
	}
	return out
}

func sameNames(a, b []logName) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// scan opens the files newer than the newest one held. A listing is only
// trusted when two in a row agree and each file opened is still the
// inode listed (a rotation between them moves the names on: try again).
func (l *logReader) scan() {
	// Two scans at once (the follower's and the watcher's) would both
	// open and append the same new files: lines read twice, and a file
	// left before its end.
	l.scanMu.Lock()
	defer l.scanMu.Unlock()
	for try := 0; try < 10; try++ {
		list := l.names()
		if !sameNames(list, l.names()) {
			continue
		}
		start := 0
		l.mu.Lock()
		if n := len(l.files); n > 0 {
			last := l.files[n-1]
			for i, nm := range list {
				if nm.dev == last.dev && nm.ino == last.ino {
					start = i + 1
				}
			}
			// Not listed: deleted, everything listed is newer.
		}
		l.mu.Unlock()
		var opened []*heldLog
		ok := true
		for _, nm := range list[start:] {
			f, err := os.Open(nm.name)
			if err != nil {
				ok = false
				break
			}
			var st syscall.Stat_t
			if syscall.Fstat(int(f.Fd()), &st) != nil || uint64(st.Dev) != nm.dev || st.Ino != nm.ino {
				f.Close()
				ok = false
				break
			}
			opened = append(opened, &heldLog{f, nm.dev, nm.ino})
		}
		if !ok {
			for _, h := range opened {
				h.f.Close()
			}
			continue
		}
		// Only a scan appends, so the newest held is still the one this
		// scan started from.
		l.mu.Lock()
		l.files = append(l.files, opened...)
		l.mu.Unlock()
		return
	}
}

// held returns the file being read, the count held, and sets up the
// reader on a file drain has not read from yet.
func (l *logReader) held() (*heldLog, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.files) == 0 {
		return nil, 0
	}
	if !l.reading {
		if l.r == nil {
			l.r = bufio.NewReaderSize(l.files[0].f, 256*1024)
		}
		l.r.Reset(l.files[0].f)
		l.reading, l.off, l.part = true, 0, l.part[:0]
	}
	return l.files[0], len(l.files)
}

// next drops the file read to its end and moves on to the next one held.
func (l *logReader) next() {
	l.mu.Lock()
	l.files[0].f.Close()
	l.files = l.files[1:]
	l.reading = false
	l.mu.Unlock()
}

// drain hands every complete entry to fn, moving on to newer files held;
// it returns at the end of the newest one. The entry is fn's only during
// the call: its bytes are reused for the next line.
func (l *logReader) drain(fn func(*logEntry)) {
	var en logEntry
	for {
		cur, n := l.held()
		if cur == nil {
			return
		}
		line, err := l.r.ReadSlice('\n')
		l.off += int64(len(line))
		if err == nil {
			if len(l.part) > 0 {
				line = append(l.part, line...)
				l.part = l.part[:0]
			}
			if l.dec.decode(line, &en) {
				fn(&en)
			}
			continue
		}
		if err == bufio.ErrBufferFull {
			l.part = append(l.part, line...)
			continue
		}
		if err != io.EOF {
			return
		}
		l.part = append(l.part, line...)
		if n > 1 {
			// A rotated file ends with a whole line: a part left is a
			// torn write, not the start of the next file's first line.
			l.part = l.part[:0]
			l.next()
			continue
		}
		// With max-file 1 the file is truncated in place: start over.
		if fi, err := cur.f.Stat(); err == nil && fi.Size() < l.off {
			cur.f.Seek(0, io.SeekStart)
			l.r.Reset(cur.f)
			l.off, l.part = 0, l.part[:0]
		}
		return
	}
}

func (l *logReader) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.files {
		h.f.Close()
	}
	l.files = nil
}
