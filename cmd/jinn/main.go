// Command jinn is a daemonless container engine with docker's command line.
package main

import (
	"fmt"
	"os"

	"github.com/jinn-containers/jinn/internal/cli"
)

func main() {
	if err := cli.NewRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "jinn:", err)
		os.Exit(125)
	}
}
