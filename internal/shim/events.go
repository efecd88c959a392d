package shim

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"

	eventsapi "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// publisher forwards task events to containerd's ttrpc Events service, in
// the order they were published (an exit must follow its start), retrying
// while containerd is briefly away. Without a ttrpc address (a containerd
// that sets no TTRPC_ADDRESS) it runs containerd's "publish" command, the
// -publish-binary, with the event on stdin.
type publisher struct {
	address, namespace string
	binary, grpc       string // the fallback: -publish-binary, -address
	log                *slog.Logger
	queue              chan *types.Envelope
	done               chan struct{}
	mu                 sync.Mutex
	closed             bool
}

func newPublisher(ctx context.Context, address, namespace string, log *slog.Logger) *publisher {
	return newPublisherBinary(ctx, address, namespace, "", "", log)
}

func newPublisherBinary(ctx context.Context, address, namespace, binary, grpc string, log *slog.Logger) *publisher {
	p := &publisher{address: strings.TrimPrefix(address, "unix://"), namespace: namespace, log: log,
		binary: binary, grpc: grpc,
		queue: make(chan *types.Envelope, 256), done: make(chan struct{})}
	go p.run(ctx)
	return p
}

// publish queues an event for topic ("/tasks/exit", …).
func (p *publisher) publish(topic string, ev proto.Message) {
	a, err := marshalAny(ev)
	if err != nil {
		p.log.Error("encode event", "topic", topic, "err", err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.queue <- &types.Envelope{Timestamp: timestamppb.Now(), Namespace: p.namespace, Topic: topic, Event: a}
	}
}

func (p *publisher) run(ctx context.Context) {
	defer close(p.done)
	var client *ttrpc.Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	for env := range p.queue {
		for try := 0; ; try++ {
			if client == nil && p.address != "" {
				if c, err := net.Dial("unix", p.address); err == nil {
					client = ttrpc.NewClient(c)
				}
			}
			var err error
			if p.address == "" && p.binary != "" {
				if err = p.forwardByBinary(ctx, env); err == nil {
					break
				}
			}
			if client != nil {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err = eventsapi.NewEventsClient(client).Forward(cctx, &eventsapi.ForwardRequest{Envelope: env})
				cancel()
				if err == nil {
					break
				}
				client.Close()
				client = nil
			}
			if try >= 5 || ctx.Err() != nil {
				p.log.Error("publish event", "topic", env.Topic, "err", err)
				break
			}
			time.Sleep(time.Duration(100<<try) * time.Millisecond)
		}
	}
}

// close sends what is queued, waiting at most d.
func (p *publisher) close(d time.Duration) {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
	case <-time.After(d):
	}
}

// forwardByBinary runs `containerd --address A publish --topic T
// --namespace N` with the event on stdin.
func (p *publisher) forwardByBinary(ctx context.Context, env *types.Envelope) error {
	b, err := proto.Marshal(env.Event)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, p.binary, "--address", p.grpc, "publish", "--topic", env.Topic, "--namespace", env.Namespace)
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s publish: %v: %s", p.binary, err, out)
	}
	return nil
}

// marshalAny wraps m as containerd 1.6 reads an Any: its type URL is the
// bare proto name (gogo's typeurl registry), not type.googleapis.com/….
func marshalAny(m proto.Message) (*anypb.Any, error) {
	a, err := anypb.New(m)
	if err != nil {
		return nil, err
	}
	a.TypeUrl = strings.TrimPrefix(a.TypeUrl, "type.googleapis.com/")
	return a, nil
}
