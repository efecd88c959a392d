#!/usr/bin/env bash
# The demo: run a container from the local busybox fixture and show that it
# is isolated. Filled in as the runtime and engine land.
set -euo pipefail
echo "demo: not ready yet"
