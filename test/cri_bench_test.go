package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCRIBench is bench/cri.sh's engine: critest's benchmark mode (pod
// lifecycle: RunPodSandbox, PodSandboxStatus, StopPodSandbox,
// RemovePodSandbox; container lifecycle: create, start, status, stop,
// remove) through one containerd with handlers runc, jinn (jinn-runtime
// under runc's shim) and jinn-shim (containerd-shim-jinn-v2), in rounds
// that rotate which handler goes first, and the medians side by side.
// Only with JINN_CRI_BENCH=1; JINN_CRI_BENCH_ROUNDS and _N size it.
func TestCRIBench(t *testing.T) {
	if os.Getenv("JINN_CRI_BENCH") != "1" {
		t.Skip("benchmark: run bench/cri.sh (JINN_CRI_BENCH=1)")
	}
	rounds, n := envInt("JINN_CRI_BENCH_ROUNDS", 2), envInt("JINN_CRI_BENCH_N", 10)
	e := startCRI(t)
	critest := criTool(t, "critest")
	images := criImageFile(t, e.dir, e.registry)
	params := filepath.Join(e.dir, "bench.yaml")
	os.WriteFile(params, []byte(fmt.Sprintf("podsNumber: %d\npodsNumberParallel: 1\ncontainersNumber: %d\ncontainersNumberParallel: 1\npodContainerStartBenchmarkTimeoutSeconds: 120\ncontainerBenchmarkTimeoutSeconds: 120\npodBenchmarkTimeoutSeconds: 120\n", n, n)), 0o644)

	// The images are pulled first: the first sample would time the pull.
	e.crictlOK("pull", e.registry+"/"+criPause)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox")
	handlers := []string{"runc", "jinn", "jinn-shim"}
	if h := os.Getenv("JINN_CRI_BENCH_HANDLERS"); h != "" {
		// A development run of fewer handlers (e.g. "runc,jinn-shim");
		// the table shows 0 for the others.
		handlers = strings.Split(h, ",")
	}
	// op name → handler → durations
	samples := map[string]map[string][]time.Duration{}
	var ops []string
	add := func(op, h string, d time.Duration) {
		if samples[op] == nil {
			samples[op] = map[string][]time.Duration{}
			ops = append(ops, op)
		}
		samples[op][h] = append(samples[op][h], d)
	}
	for r := 0; r < rounds; r++ {
		k := r % len(handlers)
		order := append(append([]string(nil), handlers[k:]...), handlers[:k]...)
		for _, h := range order {
			out := filepath.Join(e.dir, fmt.Sprintf("bench-%s-%d", h, r))
			os.MkdirAll(out, 0o755)
			c := exec.Command(critest, "-benchmark", "-runtime-endpoint", "unix://"+e.sock, "-image-endpoint", "unix://"+e.sock,
				"-runtime-handler", h, "-registry-prefix", e.registry, "-test-images-file", images,
				"-benchmarking-params-file", params, "-benchmarking-output-dir", out, "-ginkgo.no-color",
				// One sample, kept only in ginkgo's report; the two
				// lifecycles above time the same calls N times.
				"-ginkgo.skip", "from scratch")
			c.Dir = e.dir
			if b, err := c.CombinedOutput(); err != nil {
				t.Fatalf("critest -benchmark --runtime-handler=%s: %v\n%s", h, err, lastLines(string(b), 40))
			}
			for _, f := range []string{"pod", "container"} {
				var res struct {
					OperationsNames []string `json:"operationsNames"`
					Datapoints      []struct {
						StartTime, EndTime    int64
						OperationsDurationsNs []int64 `json:"operationsDurationsNs"`
					} `json:"datapoints"`
				}
				b, err := os.ReadFile(filepath.Join(out, f+"_benchmark_data.json"))
				if err == nil {
					err = json.Unmarshal(b, &res)
				}
				if err != nil {
					t.Fatalf("%s benchmark data of %s: %v", f, h, err)
				}
				for _, d := range res.Datapoints {
					add(f+" lifecycle (total)", h, time.Duration(d.EndTime-d.StartTime))
					for i, op := range res.OperationsNames {
						if i < len(d.OperationsDurationsNs) {
							add(op, h, time.Duration(d.OperationsDurationsNs[i]))
						}
					}
				}
			}
		}
	}
	cniAdd, cniDel, cniDel2 := cniCost(t, e, n)
	fmt.Printf("critest -benchmark through containerd %s, %d rounds x %d pods and %d containers per handler (medians)\n",
		"1.6", rounds, n, n)
	fmt.Printf("| operation | runc | jinn | jinn-shim | jinn/runc | jinn-shim/runc |\n|---|---|---|---|---|---|\n")
	for _, op := range ops {
		r, j, js := median(samples[op]["runc"]), median(samples[op]["jinn"]), median(samples[op]["jinn-shim"])
		us := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
		fmt.Printf("| %s | %s | %s | %s | %.2fx | %.2fx |\n", op, us(r), us(j), us(js),
			float64(j)/float64(r), float64(js)/float64(r))
	}
	if samples["pod lifecycle (total)"]["jinn-base"] != nil {
		fmt.Printf("jinn-base (JINN_CRI_BASE_SHIM) against jinn-shim, medians:\n| operation | jinn-base | jinn-shim | jinn-base/runc | jinn-shim/runc |\n|---|---|---|---|---|\n")
		for _, op := range ops {
			r, b, js := median(samples[op]["runc"]), median(samples[op]["jinn-base"]), median(samples[op]["jinn-shim"])
			fmt.Printf("| %s | %s | %s | %.2fx | %.2fx |\n", op, b.Round(10*time.Microsecond), js.Round(10*time.Microsecond),
				float64(b)/float64(r), float64(js)/float64(r))
		}
		fmt.Println()
	}
	// The pod lifecycle without its CNI calls, the same for every handler:
	// how far a runtime can take it.
	cni := cniAdd + cniDel + cniDel2
	fmt.Printf("\nCNI (bridge + loopback, timed alone, medians): ADD %s, DEL %s, DEL again %s: %s of every pod lifecycle\n",
		cniAdd.Round(10*time.Microsecond), cniDel.Round(10*time.Microsecond), cniDel2.Round(10*time.Microsecond), cni.Round(10*time.Microsecond))
	r, j, js := median(samples["pod lifecycle (total)"]["runc"])-cni, median(samples["pod lifecycle (total)"]["jinn"])-cni,
		median(samples["pod lifecycle (total)"]["jinn-shim"])-cni
	fmt.Printf("| pod lifecycle without CNI | %s | %s | %s | %.2fx | %.2fx |\n", r.Round(10*time.Microsecond),
		j.Round(10*time.Microsecond), js.Round(10*time.Microsecond), float64(j)/float64(r), float64(js)/float64(r))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
