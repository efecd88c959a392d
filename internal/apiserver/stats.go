package apiserver

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/jinn-containers/jinn/internal/engine"
)

// hostCPUNanos is /proc/stat's total CPU time in nanoseconds: docker's
// system_cpu_usage, against which clients compute CPU %.
func hostCPUNanos() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var ticks uint64
	for _, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseUint(f, 10, 64)
		ticks += n
	}
	return ticks * 1e9 / 100 // USER_HZ
}

func statsOf(v *engine.View, st *engine.Stats) container.StatsResponse {
	r := container.StatsResponse{ID: v.ID, Name: "/" + v.Name, OSType: "linux", Read: st.Read, NumProcs: 0}
	r.CPUStats = container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: st.CPUNanos},
		SystemUsage: hostCPUNanos(), OnlineCPUs: uint32(runtime.NumCPU())}
	r.MemoryStats = container.MemoryStats{Usage: st.MemUsage, Limit: st.MemLimit, Stats: map[string]uint64{}}
	r.PidsStats = container.PidsStats{Current: st.Pids}
	r.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: st.NetRx, TxBytes: st.NetTx}}
	r.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{{Op: "read", Value: st.BlkRead}, {Op: "write", Value: st.BlkWrite}}
	return r
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := s.eng.Inspect(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	stream := r.URL.Query().Get("stream") == "" || boolParam(r, "stream")
	oneShot := boolParam(r, "one-shot")
	var prev container.StatsResponse
	first := true
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	fl, _ := w.(http.Flusher)
	for {
		var cur container.StatsResponse
		if running(v.State) {
			st, err := s.eng.Stats(ctx, v.ID)
			if err != nil && first {
				return err
			}
			if st != nil {
				cur = statsOf(v, st)
			}
		} else {
			cur = container.StatsResponse{ID: v.ID, Name: "/" + v.Name, OSType: "linux"}
		}
		if first && !stream && !oneShot && running(v.State) {
			// docker stats --no-stream wants two samples for a CPU %.
			prev = cur
			first = false
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		cur.PreCPUStats, cur.PreRead = prev.CPUStats, prev.Read
		if err := enc.Encode(cur); err != nil {
			return nil
		}
		if fl != nil {
			fl.Flush()
		}
		if !stream {
			return nil
		}
		prev, first = cur, false
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		if v, err = s.eng.Inspect(ctx, v.ID); err != nil {
			return nil
		}
	}
}
