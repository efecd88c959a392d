package monitor

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jinn-containers/jinn/internal/jsonstr"
)

// jsonLog writes docker's json-file log format, one JSON object per line:
// {"log":"text\n","stream":"stdout","time":"RFC3339Nano"}, rotating the file
// at maxSize into at most maxFiles files (path, path.1, ...).
type jsonLog struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxSize  int64
	maxFiles int
	buf      []byte
}

func openJSONLog(path string, maxSize int64, maxFiles int) (*jsonLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, errors.New("open log " + path + ": " + err.Error())
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if maxFiles < 1 {
		maxFiles = 1
	}
	return &jsonLog{path: path, f: f, size: st.Size(), maxSize: maxSize, maxFiles: maxFiles}, nil
}

// writeLine logs one line (with its newline, if it had one).
func (l *jsonLog) writeLine(stream string, line []byte, t time.Time) {
	l.writeLines(stream, [][]byte{line}, t)
}

// writeLines logs the lines of one read in one write (a fast writer's
// 8 KiB read holds dozens: one syscall instead of one per line), cut
// where the file must rotate.
func (l *jsonLog) writeLines(stream string, lines [][]byte, t time.Time) {
	if l == nil || len(lines) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var ts [40]byte
	stamp := t.UTC().AppendFormat(ts[:0], time.RFC3339Nano)
	b := l.buf[:0]
	for _, line := range lines {
		n := len(b)
		b = append(b, `{"log":"`...)
		b = jsonstr.AppendBody(b, line, true)
		b = append(b, `","stream":"`...)
		b = append(b, stream...)
		b = append(b, `","time":"`...)
		b = append(b, stamp...)
		b = append(b, "\"}\n"...)
		if l.maxSize > 0 && l.size+int64(n) > 0 && l.size+int64(len(b)) > l.maxSize {
			l.write(b[:n])
			l.rotate()
			b = append(b[:0], b[n:]...)
		}
	}
	l.write(b)
	l.buf = b[:0]
}

func (l *jsonLog) write(b []byte) {
	if l.f != nil && len(b) > 0 {
		n, _ := l.f.Write(b)
		l.size += int64(n)
	}
}

func (l *jsonLog) rotate() {
	l.f.Close()
	if l.maxFiles > 1 {
		for i := l.maxFiles - 1; i > 1; i-- {
			os.Rename(l.path+"."+itoa(i-1), l.path+"."+itoa(i))
		}
		os.Rename(l.path, l.path+".1")
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		l.f = nil
		return
	}
	l.f, l.size = f, 0
}

func (l *jsonLog) close() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}

// maxLine is the longest piece of a line in the log (docker's 16 KiB).
const maxLine = 16 * 1024

// lineSplitter turns a stream of chunks into lines for the log; a line
// longer than 16 KiB is cut, like docker's.
type lineSplitter struct {
	stream string
	log    *jsonLog
	part   []byte
	lines  [][]byte // the lines of one read, reused
}

func (s *lineSplitter) write(p []byte) {
	now := time.Now()
	lines := s.lines[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.log.writeLines(s.stream, lines, now)
			s.lines = lines[:0]
			s.part = append(s.part, p...)
			if len(s.part) >= maxLine {
				s.log.writeLine(s.stream, s.part, now)
				s.part = s.part[:0]
			}
			return
		}
		line := p[:i+1]
		if len(s.part) > 0 {
			// The line is handed over with the buffer: a new part
			// must not grow into it before the lines are written.
			line = append(s.part, line...)
			s.part = nil
		}
		// A whole line that came in one read is cut too, as a long
		// line that came in many: docker's pieces are at most 16 KiB
		// whatever the reads were.
		for len(line) > maxLine {
			lines = append(lines, line[:maxLine])
			line = line[maxLine:]
		}
		lines = append(lines, line)
		p = p[i+1:]
	}
	s.log.writeLines(s.stream, lines, now)
	s.lines = lines[:0]
	s.part = s.part[:0]
}

// shrink lets go of the buffers a burst of output grew (the monitor
// lives as long as its container: a burst at start must not be paid for
// in memory all its life).
func (s *lineSplitter) shrink() {
	s.lines = nil
	if s.log != nil {
		s.log.mu.Lock()
		s.log.buf = nil
		s.log.mu.Unlock()
	}
}

func (s *lineSplitter) flush() {
	if len(s.part) > 0 {
		s.log.writeLine(s.stream, s.part, time.Now())
		s.part = s.part[:0]
	}
}

// event appends one docker-style event to the engine's events file (one
// O_APPEND write, atomic for lines this short).
func (m *monitor) event(action string, attrs ...string) {
	if m.cfg.Events == "" {
		return
	}
	now := time.Now()
	b := []byte(`{"Type":"container","Action":"`)
	b = append(b, action...)
	b = append(b, `","Actor":{"ID":"`...)
	b = jsonstr.AppendBody(b, m.cfg.ID, true)
	b = append(b, `","Attributes":{"image":"`...)
	b = jsonstr.AppendBody(b, m.cfg.Image, true)
	b = append(b, `","name":"`...)
	b = jsonstr.AppendBody(b, m.cfg.Name, true)
	b = append(b, '"')
	for _, kv := range m.cfg.EventAttrs {
		k, v, _ := strings.Cut(kv, "=")
		if k == "name" || k == "image" {
			continue
		}
		attrs = append(attrs, k, v)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		b = append(b, `,"`...)
		b = jsonstr.AppendBody(b, attrs[i], true)
		b = append(b, `":"`...)
		b = jsonstr.AppendBody(b, attrs[i+1], true)
		b = append(b, '"')
	}
	b = append(b, `}},"scope":"local","time":`...)
	b = append(b, itoa(int(now.Unix()))...)
	b = append(b, `,"timeNano":`...)
	b = append(b, itoa(int(now.UnixNano()))...)
	b = append(b, "}\n"...)
	f, err := os.OpenFile(m.cfg.Events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	f.Write(b)
	f.Close()
}
