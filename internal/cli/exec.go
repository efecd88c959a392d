package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newExecCmd(o *Options) *cobra.Command {
	var interactive, tty, detach, privileged bool
	var env, envFile []string
	var user, workdir, detachKeys string
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  minArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkTTY(tty && !detach, interactive); err != nil {
				return err
			}
			keys, err := engine.ParseDetachKeys(detachKeys)
			if err != nil {
				return usageError{err}
			}
			var vars []string
			for _, file := range envFile {
				fe, err := readEnvFile(file)
				if err != nil {
					return badFlag("%v", err)
				}
				vars = append(vars, fe...)
			}
			vars = append(vars, hostEnv(env)...)
			e, err := o.engine()
			if err != nil {
				return err
			}
			eo := &engine.ExecOptions{Cmd: args[1:], Env: vars, User: user, DetachKeys: keys, WorkingDir: workdir, Tty: tty,
				Detach: detach, Privileged: privileged, Stdout: os.Stdout, Stderr: os.Stderr}
			if interactive {
				eo.Stdin = os.Stdin
			}
			if tty && !detach {
				t := newTerminal(c.Context())
				defer t.restore()
				eo.Resize = t.resize
			}
			code, err := e.Exec(c.Context(), args[0], eo)
			if err != nil {
				return err
			}
			if code != 0 {
				return &engine.ExitError{Code: code}
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fl.BoolVarP(&tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fl.BoolVarP(&detach, "detach", "d", false, "Detached mode: run command in the background")
	fl.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	fl.BoolVar(&privileged, "privileged", false, "Give extended privileges to the command")
	stringArrayVarP(fl, &env, "env", "e", nil, "Set environment variables")
	stringArrayVar(fl, &envFile, "env-file", nil, "Read in a file of environment variables")
	fl.StringVarP(&user, "user", "u", "", `Username or UID (format: "<name|uid>[:<group|gid>]")`)
	fl.StringVarP(&workdir, "workdir", "w", "", "Working directory inside the container")
	return c
}
