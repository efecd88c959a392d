// Command nonewprivs stands in for Kubernetes' e2e-test-images/nonewprivs:
// installed set-user-ID root, it prints the effective uid it runs with, so
// that critest's NoNewPrivs specs see whether no_new_privs kept the
// set-uid bit from taking effect.
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("Effective uid: %d\n", os.Geteuid()) }
