package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/apiserver"
	"github.com/jinn-containers/jinn/internal/build"
	"github.com/jinn-containers/jinn/internal/image"
)

// serviceFlags are `jinn system service`'s, named as dockerd's.
type serviceFlags struct {
	idle      int
	tlsVerify bool
	tlsCA     string
	tlsCert   string
	tlsKey    string
}

func newServiceCmd(o *Options) *cobra.Command {
	f := &serviceFlags{}
	c := &cobra.Command{
		Use:   "service [OPTIONS] [URI]",
		Short: "Serve Docker's Engine API (unix:// or tcp://) for docker clients, compose and the SDKs",
		Long: "Serve Docker's Engine API on URI (default unix://" + "<runroot>/docker.sock, i.e. /run/jinn/docker.sock).\n" +
			"Under systemd socket activation (LISTEN_FDS) the passed socket is used instead.\n" +
			"tcp:// listens on loopback only, unless --tlsverify requires client certificates.",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("\"%s\" accepts at most 1 argument.\nSee '%s --help'.", c.CommandPath(), c.CommandPath())}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			uri := ""
			if len(args) == 1 {
				uri = args[0]
			}
			return runService(c, o, f, uri)
		},
	}
	fl := c.Flags()
	fl.IntVarP(&f.idle, "time", "t", 5, "Seconds without requests before the service exits (0: never)")
	fl.BoolVar(&f.tlsVerify, "tlsverify", false, "Require and verify client certificates (mutual TLS) on tcp://")
	fl.StringVar(&f.tlsCA, "tlscacert", "", "CA certificate that client certificates must be signed by")
	fl.StringVar(&f.tlsCert, "tlscert", "", "Server TLS certificate")
	fl.StringVar(&f.tlsKey, "tlskey", "", "Server TLS key")
	return c
}

func runService(c *cobra.Command, o *Options, f *serviceFlags, uri string) error {
	if f.idle < 0 {
		return usageError{fmt.Errorf("invalid --time %d: must be 0 or more seconds", f.idle)}
	}
	l, err := serviceListener(o, f, uri)
	if err != nil {
		return err
	}
	defer l.Close()
	e, err := o.engine()
	if err != nil {
		return err
	}
	var imgOnce sync.Once
	var store *image.Store
	var storeErr error
	images := func() (*image.Store, error) {
		imgOnce.Do(func() { store, storeErr = openImageStore(o) })
		return store, storeErr
	}
	level := slog.LevelInfo
	if d, _ := c.Flags().GetBool("debug"); d {
		level = slog.LevelDebug // every refused request too
	}
	log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	srv := apiserver.New(apiserver.Config{
		Engine: e, Images: images, Version: Version, Root: o.Root, RunRoot: o.RunRoot, Runtime: o.Runtime,
		Build: build.Options{Root: o.Root, RunRoot: o.RunRoot, Runtime: buildRuntime(c, o), CgroupParent: o.CgroupParent},
		Idle:  time.Duration(f.idle) * time.Second, Log: log,
	})
	ctx, stop := interruptible(c)
	defer stop()
	log.Info("serving the Docker API", "addr", l.Addr().String(), "idle", f.idle)
	return srv.Serve(ctx, l)
}

// serviceListener opens the service's socket: systemd's (LISTEN_FDS),
// a unix socket (0660, root's group), or tcp on loopback or with mutual TLS.
func serviceListener(o *Options, f *serviceFlags, uri string) (net.Listener, error) {
	if uri == "" {
		if ls, err := activation.Listeners(); err == nil && len(ls) > 0 {
			for _, extra := range ls[1:] {
				extra.Close()
			}
			return ls[0], nil
		}
		uri = "unix://" + filepath.Join(o.RunRoot, "docker.sock")
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "unix" && u.Scheme != "tcp") {
		return nil, usageError{fmt.Errorf("invalid URI %q: use unix:///path or tcp://host:port", uri)}
	}
	if f.tlsVerify && u.Scheme != "tcp" {
		return nil, usageError{errors.New("--tlsverify needs a tcp:// URI")}
	}
	if u.Scheme == "unix" {
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		if path == "" {
			return nil, usageError{fmt.Errorf("invalid URI %q: no socket path", uri)}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		// A socket left by a killed service: remove it, but never a live one.
		if conn, err := net.Dial("unix", path); err == nil {
			conn.Close()
			return nil, fmt.Errorf("%s: a service is already listening there", path)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(path, 0o660); err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	}
	host, _, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, usageError{fmt.Errorf("invalid URI %q: %v", uri, err)}
	}
	if !f.tlsVerify {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, usageError{fmt.Errorf("refusing to serve the API unauthenticated on %s: use a loopback address, or --tlsverify with --tlscacert, --tlscert and --tlskey", u.Host)}
		}
		return net.Listen("tcp", u.Host)
	}
	cfg, err := mutualTLS(f)
	if err != nil {
		return nil, err
	}
	return tls.Listen("tcp", u.Host, cfg)
}

func mutualTLS(f *serviceFlags) (*tls.Config, error) {
	if f.tlsCA == "" || f.tlsCert == "" || f.tlsKey == "" {
		return nil, usageError{errors.New("--tlsverify needs --tlscacert, --tlscert and --tlskey")}
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("load --tlscert/--tlskey: %w", err)
	}
	ca, err := os.ReadFile(f.tlsCA)
	if err != nil {
		return nil, fmt.Errorf("read --tlscacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("--tlscacert %s: no PEM certificate", f.tlsCA)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}, nil
}
