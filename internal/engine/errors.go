package engine

import (
	"errors"
	"fmt"
)

// Docker's exit codes for errors of the engine itself.
const (
	ExitEngine    = 125 // the engine failed (bad flag, no such image, runtime error)
	ExitCannotRun = 126 // the command cannot be invoked (not executable)
	ExitNotFound  = 127 // the command was not found
)

// ErrNotFound is returned for an unknown container.
var ErrNotFound = errors.New("no such container")

// ExitError carries the exit code the CLI must exit with.
type ExitError struct {
	Code int
	Err  error // nil: exit silently with Code (a container's own exit code)
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func exitErr(code int, format string, a ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, a...)}
}

// ExitCode maps an error to the CLI's exit status.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitEngine
}

// ErrInvalid marks a request the engine refuses for its values (an API
// server answers 400): errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("invalid argument")

type invalidArg struct{ msg string }

func (e invalidArg) Error() string        { return e.msg }
func (e invalidArg) Is(target error) bool { return target == ErrInvalid }

// invalid is a refused value: exit 125, docker's message as is.
func invalid(format string, a ...any) error {
	return &ExitError{Code: ExitEngine, Err: invalidArg{fmt.Sprintf(format, a...)}}
}
