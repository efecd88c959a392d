package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// cniCost times the env's CNI network by itself, as containerd runs it for
// every pod whatever the handler: ADD (bridge, then loopback) in a fresh
// network namespace, and DEL (loopback, then bridge), n times each;
// RunPodSandbox runs one ADD, StopPodSandbox and RemovePodSandbox one DEL
// each (the second finds nothing left to remove).
func cniCost(t *testing.T, e *criEnv, n int) (add, del, del2 time.Duration) {
	b, err := os.ReadFile(filepath.Join(e.dir, "cni", "10-jinn.conflist"))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		CNIVersion string           `json:"cniVersion"`
		Name       string           `json:"name"`
		Plugins    []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	run := func(cmd, netns, id string, p map[string]any) error {
		conf := map[string]any{"cniVersion": list.CNIVersion, "name": list.Name}
		for k, v := range p {
			conf[k] = v
		}
		in, _ := json.Marshal(conf)
		c := exec.Command("/usr/lib/cni/" + p["type"].(string))
		c.Env = []string{"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=" + id, "CNI_NETNS=" + netns,
			"CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni"}
		c.Stdin = bytes.NewReader(in)
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v: %s", p["type"], cmd, err, out)
		}
		return nil
	}
	var adds, dels, dels2 []time.Duration
	for i := 0; i < n; i++ {
		name := "jcnib" + randHex(4)
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		netns, id := "/run/netns/"+name, "bench"+randHex(8)
		start := time.Now()
		for _, p := range list.Plugins {
			if err := run("ADD", netns, id, p); err != nil {
				exec.Command("ip", "netns", "del", name).Run()
				t.Fatal(err)
			}
		}
		adds = append(adds, time.Since(start))
		for round, to := range []*[]time.Duration{&dels, &dels2} {
			start = time.Now()
			for j := len(list.Plugins) - 1; j >= 0; j-- {
				if err := run("DEL", netns, id, list.Plugins[j]); err != nil && round == 0 {
					t.Error(err)
				}
			}
			*to = append(*to, time.Since(start))
		}
		exec.Command("ip", "netns", "del", name).Run()
	}
	return median(adds), median(dels), median(dels2)
}
