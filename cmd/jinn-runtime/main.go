// Command jinn-runtime is an OCI runtime with runc's command line.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "jinn-runtime: not built yet")
	os.Exit(1)
}
