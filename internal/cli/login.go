package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newLoginCmd(o *Options) *cobra.Command {
	var user, password string
	var passwordStdin, insecure bool
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := image.DockerHubServer
			if len(args) == 1 {
				server = args[0]
			}
			in := bufio.NewReader(cmd.InOrStdin())
			if passwordStdin {
				if password != "" {
					return fmt.Errorf("--password and --password-stdin are mutually exclusive")
				}
				b, err := io.ReadAll(in)
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			if user == "" {
				fmt.Fprint(cmd.OutOrStdout(), "Username: ")
				l, _ := in.ReadString('\n')
				user = strings.TrimSpace(l)
			}
			if password == "" && !passwordStdin {
				fmt.Fprint(cmd.OutOrStdout(), "Password: ")
				l, _ := in.ReadString('\n')
				password = strings.TrimRight(l, "\r\n")
			}
			if user == "" || password == "" {
				return fmt.Errorf("login: username and password are required")
			}
			if err := image.CheckLogin(cmd.Context(), server, user, password, insecure); err != nil {
				return err
			}
			if _, err := image.SaveCredentials(server, user, password); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded")
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&user, "username", "u", "", "Username")
	f.StringVarP(&password, "password", "p", "", "Password or Personal Access Token (PAT)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	f.BoolVar(&insecure, "insecure", false, "Allow plain HTTP to the registry")
	return c
}

func newLogoutCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := image.DockerHubServer
			if len(args) == 1 {
				server = args[0]
			}
			ok, err := image.RemoveCredentials(server)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(cmd.OutOrStdout(), "Not logged in to %s\n", server)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removing login credentials for %s\n", server)
			return nil
		},
	}
}
