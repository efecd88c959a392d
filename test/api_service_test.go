package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serviceCmd starts `jinn system service` with args and returns it running.
func (a *apiEnv) serviceCmd(args ...string) (*watched, *lockedBuffer) {
	a.t.Helper()
	c := a.cmd(append([]string{"system", "service"}, args...)...)
	log := &lockedBuffer{}
	c.Stdout, c.Stderr = log, log
	return watch(a.t, c), log
}

// watched is a started command with the one Wait an exec.Cmd allows
// running in the background (a second Wait, while the first is blocked,
// races it for the exit status).
type watched struct {
	*exec.Cmd
	done chan struct{}
}

// watch starts c; the test's cleanup kills it if it still runs.
func watch(t *testing.T, c *exec.Cmd) *watched {
	t.Helper()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w := &watched{Cmd: c, done: make(chan struct{})}
	go func() { c.Wait(); close(w.done) }()
	t.Cleanup(func() {
		c.Process.Signal(syscall.SIGKILL)
		<-w.done
	})
	return w
}

// exited reports whether w's process ended within d.
func exited(w *watched, d time.Duration) bool {
	select {
	case <-w.done:
		return true
	case <-time.After(d):
		return false
	}
}

// TestAPIService: the socket's mode, idle exit (not while a stream is
// open), systemd socket activation, mutual TLS on tcp, and refused
// addresses.
func TestAPIService(t *testing.T) {
	a := newAPI(t)
	cli := dockerCLIs(t)[0]
	if fi, err := os.Stat(a.sock); err != nil || fi.Mode().Perm() != 0o660 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	a.dockerOK(cli, "run", "-d", "--name", "quiet", "busybox", "sleep", "600")

	// Idle exit after --time, not while logs -f streams.
	idleSock := filepath.Join(a.dir, "idle.sock")
	svc, log := a.serviceCmd("--time", "1", "unix://"+idleSock)
	waitFor(t, 10*time.Second, "the idle service's socket", func() bool { _, err := os.Stat(idleSock); return err == nil })
	logs := exec.Command(cli, "-H", "unix://"+idleSock, "logs", "-f", "quiet")
	logs.Env = a.clientEnv()
	if err := logs.Start(); err != nil {
		t.Fatal(err)
	}
	if exited(svc, 2500*time.Millisecond) {
		t.Fatalf("the service exited with a stream open: %s", log)
	}
	logs.Process.Kill()
	logs.Wait()
	if !exited(svc, 5*time.Second) {
		t.Fatalf("the service did not exit when idle: %s", log)
	}
	if _, err := os.Stat(idleSock); err == nil {
		t.Fatalf("the idle service left its socket")
	}
	if out := a.ok("ps", "--format", "{{.Names}} {{.State}}"); out != "quiet running\n" {
		t.Fatalf("after the service's exit: %q", out)
	}

	// systemd socket activation: the socket is passed as fd 3.
	if act, err := exec.LookPath("systemd-socket-activate"); err == nil {
		actSock := filepath.Join(a.dir, "act.sock")
		args := append([]string{"-l", actSock, bin("jinn")}, "--root", a.root, "--runroot", a.runroot, "system", "service", "--time", "2")
		cmd := exec.Command(act, args...)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		c := watch(t, cmd)
		waitFor(t, 10*time.Second, "the activation socket", func() bool { _, err := os.Stat(actSock); return err == nil })
		if out := a.dockerOK(cli, "-H", "unix://"+actSock, "ps", "--format", "{{.Names}}"); out != "quiet\n" {
			t.Fatalf("ps through socket activation: %q", out)
		}
		if !exited(c, 10*time.Second) || !strings.Contains(out.String(), "idle") {
			t.Fatalf("the activated service did not exit when idle: %s", out.String())
		}
	} else {
		t.Log("systemd-socket-activate not installed: socket activation not checked")
	}

	// Mutual TLS on tcp.
	dir := t.TempDir()
	writeTLS(t, dir)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	a.serviceCmd("--time", "0", "--tlsverify", "--tlscacert", filepath.Join(dir, "ca.pem"),
		"--tlscert", filepath.Join(dir, "server-cert.pem"), "--tlskey", filepath.Join(dir, "server-key.pem"), "tcp://"+addr)
	waitFor(t, 10*time.Second, "the TLS service", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	tlsArgs := []string{"--tlsverify", "--tlscacert", filepath.Join(dir, "ca.pem"), "--tlscert", filepath.Join(dir, "cert.pem"),
		"--tlskey", filepath.Join(dir, "key.pem"), "-H", "tcp://" + addr}
	if out := a.dockerOK(cli, append(tlsArgs, "ps", "--format", "{{.Names}}")...); out != "quiet\n" {
		t.Fatalf("ps over mutual TLS: %q", out)
	}
	if out := a.dockerOK(cli, append(tlsArgs, "exec", "quiet", "echo", "tls")...); out != "tls\n" {
		t.Fatalf("exec over mutual TLS: %q", out)
	}
	if _, _, code := a.docker(cli, "", "--tls", "--tlscacert", filepath.Join(dir, "ca.pem"), "-H", "tcp://"+addr, "ps"); code == 0 {
		t.Fatalf("a client without a certificate was served")
	}
	if _, _, code := a.docker(cli, "", "-H", "tcp://"+addr, "ps"); code == 0 {
		t.Fatalf("a plain-http client was served")
	}

	// Refused: unauthenticated tcp off loopback, bad URIs, half a TLS setup.
	for _, args := range [][]string{
		{"tcp://0.0.0.0:0"}, {"bogus://x"}, {"unix://"}, {"--tlsverify", "tcp://127.0.0.1:0"}, {"--time", "-1"}, {"a", "b"},
	} {
		out, errb, code := a.run(append([]string{"system", "service"}, args...)...)
		if code != 125 || len(strings.Split(strings.TrimSpace(errb), "\n")) > 2 || strings.Contains(errb, "panic") {
			t.Errorf("service %v: exit %d\n%s%s", args, code, out, errb)
		}
	}
	a.dockerOK(cli, "rm", "-f", "quiet")
}

// writeTLS makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, in docker's file names.
func writeTLS(t *testing.T, dir string) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, b []byte) {
		os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600)
	}
	now := time.Now()
	caKey := key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jinn test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write("ca.pem", "CERTIFICATE", caDER)
	caCert, _ := x509.ParseCertificate(caDER)
	for i, c := range []struct {
		prefix string
		usage  x509.ExtKeyUsage
	}{{"server-", x509.ExtKeyUsageServerAuth}, {"", x509.ExtKeyUsageClientAuth}} {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: "jinn test " + c.prefix},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{c.usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(k)
		write(c.prefix+"cert.pem", "CERTIFICATE", der)
		write(c.prefix+"key.pem", "EC PRIVATE KEY", kb)
	}
}
