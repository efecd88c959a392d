package network

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Port
	}{
		{"80", []Port{{ContainerPort: 80, Proto: "tcp"}}},
		{"8080:80", []Port{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "udp"}}},
		{"127.0.0.1::80", []Port{{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"}}},
		{"8000-8001:80-81", []Port{{HostPort: 8000, ContainerPort: 80, Proto: "tcp"}, {HostPort: 8001, ContainerPort: 81, Proto: "tcp"}}},
	} {
		got, err := ParsePort(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "70000", "a:b", "1:2:3:4", "80/sctp", "x.y:1:2", "8000-8002:80-81"} {
		if _, err := ParsePort(bad); err == nil {
			t.Errorf("ParsePort(%q) accepted", bad)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"10mbit": 10e6, "512kbit": 512e3, "1gbit": 1e9, "2mbps": 16e6, "100000": 1e5, "1.5mbit": 1.5e6} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "-1mbit", "10", "0mbit"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{
		"": {ModeBridge, DefaultNetwork}, "bridge": {ModeBridge, DefaultNetwork}, "none": {Kind: ModeNone},
		"host": {Kind: ModeHost}, "container:web": {ModeContainer, "web"}, "mynet": {ModeBridge, "mynet"},
	} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"container:", "-x", "a b"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) accepted", bad)
		}
	}
}

func TestAllocateIP(t *testing.T) {
	n := &Network{Name: "n", Subnet: "10.9.0.0/29", Gateway: "10.9.0.1"}
	used := map[string]bool{}
	var got []string
	var last net.IP
	for {
		ip, err := allocateIP(n, used, "", last)
		if err != nil {
			break
		}
		used[ip.String()], last = true, ip
		got = append(got, ip.String())
	}
	if want := []string{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("allocated %v, want %v", got, want)
	}
	for _, bad := range []string{"10.9.0.1", "10.9.0.0", "10.9.0.7", "10.9.1.2", "10.9.0.3", "x"} {
		if _, err := allocateIP(n, used, bad, last); err == nil {
			t.Errorf("allocateIP(%s) accepted", bad)
		}
	}
	delete(used, "10.9.0.4")
	if ip, err := allocateIP(n, used, "10.9.0.4", last); err != nil || !ip.Equal(net.ParseIP("10.9.0.4")) {
		t.Errorf("requested free address: %v %v", ip, err)
	}
}

// TestAllocateIPSequential: as docker's allocator, addresses are given
// out in order after the last one, wrapping around, so that one just
// freed is not handed out again while others are free.
func TestAllocateIPSequential(t *testing.T) {
	n := &Network{Name: "n", Subnet: "10.9.0.0/29", Gateway: "10.9.0.1"}
	used := map[string]bool{"10.9.0.2": true, "10.9.0.3": true}
	next := func(last string) string {
		t.Helper()
		ip, err := allocateIP(n, used, "", net.ParseIP(last))
		if err != nil {
			t.Fatalf("after %s: %v", last, err)
		}
		return ip.String()
	}
	// .3 freed right after it was given out: the next is .4, not .3.
	delete(used, "10.9.0.3")
	if got := next("10.9.0.3"); got != "10.9.0.4" {
		t.Errorf("after .3 (freed): %s, want 10.9.0.4", got)
	}
	// At the end of the range the search wraps around, skipping the
	// gateway and whatever is used.
	if got := next("10.9.0.6"); got != "10.9.0.3" {
		t.Errorf("after .6: %s, want 10.9.0.3 (wrapped)", got)
	}
	// A cursor outside the range (a changed --ip-range, a torn file)
	// starts at the bottom.
	for _, c := range []string{"", "10.9.0.7", "192.168.1.1", "garbage"} {
		if got := next(c); got != "10.9.0.3" {
			t.Errorf("after %q: %s, want 10.9.0.3", c, got)
		}
	}
	// The only free address is given out, even the one just freed.
	used = map[string]bool{"10.9.0.2": true, "10.9.0.4": true, "10.9.0.5": true, "10.9.0.6": true}
	if got := next("10.9.0.3"); got != "10.9.0.3" {
		t.Errorf("full but .3: %s", got)
	}
	used["10.9.0.3"] = true
	if ip, err := allocateIP(n, used, "", net.ParseIP("10.9.0.3")); err == nil {
		t.Errorf("full network gave out %s", ip)
	}
	// --ip-range: the cursor wraps inside the range.
	r := &Network{Name: "r", Subnet: "10.9.0.0/24", Gateway: "10.9.0.1", IPRange: "10.9.0.16/30"}
	used = map[string]bool{}
	var got []string
	last := net.IP(nil)
	for range 5 {
		ip, err := allocateIP(r, used, "", last)
		if err != nil {
			t.Fatal(err)
		}
		got, last = append(got, ip.String()), ip
	}
	if want := []string{"10.9.0.16", "10.9.0.17", "10.9.0.18", "10.9.0.19", "10.9.0.16"}; !reflect.DeepEqual(got, want) {
		t.Errorf("in range: %v, want %v", got, want)
	}
}

// TestAllocationCursor: the cursor file round-trips, survives being
// overwritten by a shorter address, and a damaged one reads as none.
func TestAllocationCursor(t *testing.T) {
	m := &Manager{cfg: Config{StateDir: t.TempDir()}}
	if ip := m.lastIP("n"); ip != nil {
		t.Fatalf("no cursor read as %s", ip)
	}
	os.MkdirAll(filepath.Join(m.cfg.StateDir, "networks"), 0o755)
	for _, a := range []string{"10.88.100.200", "10.88.0.2", "10.88.0.254"} {
		if err := m.setLastIP("n", net.ParseIP(a)); err != nil {
			t.Fatal(err)
		}
		if got := m.lastIP("n"); !got.Equal(net.ParseIP(a)) {
			t.Errorf("cursor %s read as %s", a, got)
		}
	}
	os.WriteFile(m.cursorPath("n"), []byte("10.88.\x00"), 0o644)
	if ip := m.lastIP("n"); ip != nil {
		t.Errorf("torn cursor read as %s", ip)
	}
}

func TestDNSAnswer(t *testing.T) {
	m := &Manager{cfg: Config{StateDir: t.TempDir()}}
	writeJSON(m.ctrPath("c1"), &containerState{ID: "0123456789abcdef", Name: "web", Hostname: "h1",
		Endpoints: []Endpoint{{Network: "app", IP: "10.88.5.2", Aliases: []string{"www"}}, {Network: "other", IP: "10.88.6.2"}}})
	query := func(name string, typ dnsmessage.Type) dnsmessage.Message {
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, RecursionDesired: true})
		b.StartQuestions()
		b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET})
		q, _ := b.Finish()
		resp, err := m.answer("app", q, nil)
		if err != nil {
			t.Fatal(err)
		}
		var msg dnsmessage.Message
		if err := msg.Unpack(resp); err != nil {
			t.Fatal(err)
		}
		return msg
	}
	for _, name := range []string{"web.", "WWW.", "h1.", "0123456789ab.", "web.app."} {
		msg := query(name, dnsmessage.TypeA)
		if msg.ID != 7 || len(msg.Answers) != 1 || msg.Answers[0].Body.(*dnsmessage.AResource).A != [4]byte{10, 88, 5, 2} {
			t.Errorf("%s: %+v", name, msg)
		}
	}
	if msg := query("web.", dnsmessage.TypeAAAA); msg.RCode != dnsmessage.RCodeSuccess || len(msg.Answers) != 0 {
		t.Errorf("AAAA of a known name: %+v", msg.Header)
	}
	if msg := query("nosuch.", dnsmessage.TypeA); msg.RCode != dnsmessage.RCodeNameError {
		t.Errorf("unknown name: %+v", msg.Header)
	}
	if msg := query("web.other.", dnsmessage.TypeA); msg.RCode != dnsmessage.RCodeNameError {
		t.Errorf("a name on another network resolved: %+v", msg.Answers)
	}
}

// A network removed between the listing of the directory and the read of
// its record (a concurrent RemoveNetwork) is skipped, not an error for
// the others: compose's down inspects one network while it removes
// another.
func TestLoadNetworksSkipsRemoved(t *testing.T) {
	m := &Manager{cfg: Config{StateDir: t.TempDir()}}
	dir := filepath.Join(m.cfg.StateDir, "networks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(m.netPath("kept"), &Network{Name: "kept", Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	// What ReadDir saw but the read did not find.
	if err := os.Symlink(filepath.Join(dir, "gone"), m.netPath("removed")); err != nil {
		t.Fatal(err)
	}
	nets, err := m.loadNetworks()
	if err != nil || len(nets) != 1 || nets[0].Name != "kept" {
		t.Fatalf("loadNetworks: %v, %v", nets, err)
	}
	if _, err := m.InspectNetwork("kept"); err != nil {
		t.Fatalf("inspect beside a removed network: %v", err)
	}
}
