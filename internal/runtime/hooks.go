package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runHooks runs hooks in order with the state JSON on stdin, each within
// its timeout. The first failure stops the rest.
func runHooks(name string, hooks []specs.Hook, st any) error {
	if len(hooks) == 0 {
		return nil
	}
	in, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if err := runHook(h, in); err != nil {
			return fmt.Errorf("%s hook %s: %w", name, h.Path, err)
		}
	}
	return nil
}

// runHooksWarn runs poststart or poststop hooks: "If any ... hook fails,
// the runtime MUST log a warning, but the remaining hooks and lifecycle
// continue as if the hook had succeeded" (runtime-spec config.md).
func runHooksWarn(log *slog.Logger, name string, hooks []specs.Hook, st any) {
	if len(hooks) == 0 {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	in, err := json.Marshal(st)
	if err != nil {
		log.Warn(fmt.Sprintf("%s hooks: %v", name, err))
		return
	}
	for _, h := range hooks {
		if err := runHook(h, in); err != nil {
			log.Warn(fmt.Sprintf("%s hook %s: %v", name, h.Path, err))
		}
	}
}

func runHook(h specs.Hook, in []byte) error {
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout must be positive")
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

func hooksOf(s *specs.Spec) *specs.Hooks {
	if s == nil || s.Hooks == nil {
		return &specs.Hooks{}
	}
	return s.Hooks
}
