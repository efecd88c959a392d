package engine

import "testing"

func TestMergeUpdate(t *testing.T) {
	lim := int64(50)
	h := &HostConfig{}
	h.Memory, h.MemorySwap, h.NanoCpus = 100<<20, 200<<20, 1e9
	u := &UpdateConfig{}
	u.Memory, u.PidsLimit, u.CPUQuota, u.CPUPeriod = 150<<20, &lim, 30000, 60000
	u.RestartPolicy = &RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}
	if err := mergeUpdate(h, u); err != nil {
		t.Fatal(err)
	}
	if h.Memory != 150<<20 || h.MemorySwap != 200<<20 || *h.PidsLimit != 50 || h.NanoCpus != 0 || h.CPUQuota != 30000 || h.RestartPolicy.Name != "on-failure" {
		t.Errorf("merged: %+v", h.Resources)
	}
	// Memory above the swap limit without a new swap limit: docker's refusal.
	u = &UpdateConfig{}
	u.Memory = 300 << 20
	if err := mergeUpdate(h, u); err == nil {
		t.Error("memory above memoryswap accepted")
	}
	// --rm containers keep restart policy "no".
	h = &HostConfig{AutoRemove: true}
	if err := mergeUpdate(h, &UpdateConfig{RestartPolicy: &RestartPolicy{Name: "always"}}); err == nil {
		t.Error("restart policy on an --rm container accepted")
	}
	// -1 lifts the pids limit.
	off := int64(-1)
	h = &HostConfig{}
	h.PidsLimit = &lim
	mergeUpdate(h, &UpdateConfig{Resources: Resources{PidsLimit: &off}})
	if r := updateResources(h, &UpdateConfig{Resources: Resources{PidsLimit: &off}}); *r.Pids.Limit != -1 || *h.PidsLimit != 0 {
		t.Errorf("lifted pids limit: runtime %d, config %d", *r.Pids.Limit, *h.PidsLimit)
	}
}

func TestParseDeviceCgroupRule(t *testing.T) {
	for _, ok := range []string{"c 1:3 mr", "b *:* m", "a 7:* rwm", "c 10:200 rwm"} {
		if _, err := ParseDeviceCgroupRule(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "c 1:3", "x 1:3 r", "c 1 r", "c 1:3 rx", "c -1:3 r", "c a:3 r"} {
		if _, err := ParseDeviceCgroupRule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	r, _ := ParseDeviceCgroupRule("c *:5 rw")
	if r.Major != nil || *r.Minor != 5 || r.Access != "rw" || r.Type != "c" || !r.Allow {
		t.Errorf("parsed %+v", r)
	}
}
