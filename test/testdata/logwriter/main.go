// Command logwriter prints numbered lines of 100 bytes ("N 000...0", the
// zeros 93 wide) to stdout for the log soak tests: for SECS seconds or
// COUNT lines (0: no limit), at RATE bytes a second (0: as fast as the
// pipe takes them). It writes 64 KiB at a time, so that the writer, not
// the log pipeline behind it, is never what limits the rate (busybox awk
// into a pipe does ~30 MB/s on this kind of machine).
//
// With a fourth argument GO it first prints "ready" and waits for the
// file GO to exist: a test starts its `logs -f` and sees it print that
// line before the writer fills max-file files.
//
//	logwriter SECS COUNT RATE [GO]
package main

import (
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		os.Stderr.WriteString("usage: logwriter SECS COUNT RATE [GO]\n")
		os.Exit(2)
	}
	secs, _ := strconv.Atoi(os.Args[1])
	count, _ := strconv.Atoi(os.Args[2])
	rate, _ := strconv.ParseFloat(os.Args[3], 64)
	if len(os.Args) == 5 {
		os.Stdout.WriteString("ready\n")
		for {
			if _, err := os.Stat(os.Args[4]); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	start := time.Now()
	end := start.Add(time.Duration(secs) * time.Second)
	var zeros [93]byte
	for i := range zeros {
		zeros[i] = '0'
	}
	buf := make([]byte, 0, 64*1024+128)
	var sent float64
	for i := 1; count == 0 || i <= count; i++ {
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, ' ')
		buf = append(buf, zeros[:]...)
		buf = append(buf, '\n')
		if len(buf) < 64*1024 && i != count {
			continue
		}
		if _, err := os.Stdout.Write(buf); err != nil {
			os.Exit(1)
		}
		sent += float64(len(buf))
		buf = buf[:0]
		now := time.Now()
		if secs > 0 && !now.Before(end) {
			return
		}
		if rate > 0 {
			if ahead := time.Duration(sent/rate*1e9) - now.Sub(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
	os.Stdout.Write(buf)
}
