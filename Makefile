# jinn: `make` builds the binaries into bin/; `make demo` and `make test` are
# the README's two commands and install what they need themselves.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin
FIXTURES ?= /var/lib/jinn-fixtures
# Packages the tests and benchmarks use, all from Debian.
DEBS := gcc libc6-dev busybox-static runc crun podman skopeo iptables nftables iproute2 \
	redis-server nginx-light hyperfine uidmap e2fsprogs xfsprogs curl procps \
	containerd docker.io containernetworking-plugins python3-docker docker-compose \
	dbus-daemon

CMDS := $(notdir $(patsubst %/main.go,%,$(wildcard cmd/*/main.go)))
# jinn-monitor-c, the C monitor most containers get (internal/engine/
# monitorpick.go); without a C compiler every container gets jinn-monitor.
# Linked statically where libc.a is there: no ld.so and no relocated libc
# data, ~45 KiB less private memory per container.
CMON_SRC := $(wildcard cmd/jinn-monitor-c/*.[ch])
CMON_FLAGS := -O2 -s -Wall -Wextra -Wno-sign-compare -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-format-truncation -D_FORTIFY_SOURCE=2

.PHONY: all build deps fixtures test demo bench clean vet crictl critest fuzz compose-v2
all: build

# jinn has C: its `run --rm` of an eligible command line, served before Go
# starts from the plan Go runs left (cmd/jinn/cliplan.c). It is linked
# statically as the runtime is (below): no dynamic loader, no libc
# relocations at each of its starts.
#
# jinn-runtime has C (its stage before the Go runtime) and is linked
# statically where libc.a is there: each of its processes (the command and
# the container's init, which re-executes it) then starts without ld.so
# resolving libc's symbols and mapping it, ~0.3-0.5 ms of each. osusergo and
# netgo keep glibc's NSS (dlopen in a static binary) out; the runtime looks
# up neither users nor hosts through libc.
RT_STATIC := -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static'
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./cmd/,$(filter-out jinn jinn-runtime containerd-shim-jinn-v2,$(CMDS)))
	@# The shim re-executes itself as each container's init: linked as the runtime is.
	for c in jinn jinn-runtime containerd-shim-jinn-v2; do \
		$(GO) build -trimpath $(RT_STATIC) -o $(BIN)/ ./cmd/$$c 2>/dev/null || \
		$(GO) build -trimpath -o $(BIN)/ ./cmd/$$c || exit 1; \
	done
	@$(MAKE) --no-print-directory $(BIN)/jinn-monitor-c
	@# The binaries Go's own linker wrote are written again into new files.
	@# The linker writes through a shared mapping, which leaves the file's
	@# page cache in 4 KiB pages (ext4, Linux 6.18: 2-8% of bin/jinn's
	@# pages in large folios, against 100% for a copy, 68% read back from
	@# disk); a binary installed by cp, install or dpkg is cached in large
	@# folios, which every exec maps and every exit unmaps in batches:
	@# `jinn --version`'s exit (exit_group to the parent's wakeup) 0.48 ->
	@# 0.24 ms, `run --rm`'s 1.07 -> 0.57 ms. bin/ is what the tests, the
	@# demo and the benchmarks run: as installed. (jinn-runtime and the
	@# shim, written by the external linker, are 58-87% large folios
	@# already: a copy of jinn-runtime measured no gain.)
	@for f in $(addprefix $(BIN)/,$(filter-out jinn-runtime containerd-shim-jinn-v2,$(CMDS))); do \
		cp $$f $$f.tmp && mv -f $$f.tmp $$f || exit 1; \
	done

$(BIN)/jinn-monitor-c: $(CMON_SRC)
	@if command -v $(CC) >/dev/null; then \
		echo "$(CC) -static -o $@ cmd/jinn-monitor-c/*.c"; \
		$(CC) $(CMON_FLAGS) -static -o $@ cmd/jinn-monitor-c/*.c 2>/dev/null || \
			$(CC) $(CMON_FLAGS) -o $@ cmd/jinn-monitor-c/*.c; \
	else echo "no C compiler ($(CC)): every container gets the Go monitor"; fi

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		hack/install-debs.sh $$missing; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go 1.24 or newer is needed (/usr/local/go/bin/go)"; exit 1; }
	$(GO) mod download

fixtures: deps
	@mkdir -p $(FIXTURES)
	@[ -x $(FIXTURES)/busybox/bin/busybox ] || hack/mkrootfs-busybox.sh $(FIXTURES)/busybox
	@JINN_FIXTURES=$(FIXTURES) hack/mkimage-busybox.sh
	@JINN_FIXTURES=$(FIXTURES) hack/mkimage-debian-app.sh nginx
	@JINN_FIXTURES=$(FIXTURES) hack/mkimage-debian-app.sh redis

vet:
	$(GO) vet ./...

# End-to-end tests run the real binaries on the real kernel as root;
# then every fuzzer runs for a few seconds past its seeds.
test: deps build fixtures
	JINN_FIXTURES=$(FIXTURES) JINN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 25m -p 1 ./...
	$(MAKE) fuzz

# Go native fuzzers of every parser of untrusted input, FUZZTIME each
# (seeds, and the inputs that found bugs, are in each package's
# testdata/fuzz/<Fuzzer>; `go test ./...` replays them).
FUZZTIME ?= 4s
FUZZERS := internal/runtime:FuzzConfig internal/jsonlite:FuzzDifferential internal/jsonlite:FuzzEncode internal/image/reference:FuzzDifferential internal/seccomp:FuzzCompile \
	internal/image:FuzzLoadOCI internal/image:FuzzLoadDocker internal/image/archive:FuzzApply \
	internal/build:FuzzDockerfile internal/build:FuzzDockerignore internal/cli:FuzzFormat \
	internal/network:FuzzParsePort internal/engine:FuzzMountSpec
fuzz:
	@hack/fuzz.sh $(GO) $(FUZZTIME) $(FUZZERS)

demo: deps build fixtures
	hack/demo.sh

bench: deps build fixtures
	bench/run.sh

# Kubernetes' CRI tools (cri-tools), built through the Go module proxy into a
# cache outside the clone; test/cri_test.go and bench/cri.sh use them.
CRI_CACHE ?= /var/cache/jinn-test
CRI_TOOLS := v1.37.0
crictl: $(CRI_CACHE)/bin/crictl
critest: $(CRI_CACHE)/bin/critest
$(CRI_CACHE)/bin/crictl:
	@mkdir -p $(@D)
	cd $(CRI_CACHE) && GOBIN=$(@D) $(GO) install sigs.k8s.io/cri-tools/cmd/crictl@$(CRI_TOOLS)
# critest is a Go test binary: compiled inside a writable copy of the module.
$(CRI_CACHE)/bin/critest:
	@mkdir -p $(@D)
	set -e; cd $(CRI_CACHE); \
	mod=$$($(GO) mod download -json sigs.k8s.io/cri-tools@$(CRI_TOOLS) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	[ -d "$$mod" ] || { echo "go mod download sigs.k8s.io/cri-tools@$(CRI_TOOLS) failed" >&2; exit 1; }; \
	src=$(CRI_CACHE)/src/cri-tools-$(CRI_TOOLS); rm -rf $$src; mkdir -p $$src; \
	cp -r $$mod/. $$src/; chmod -R u+w $$src; \
	cd $$src && $(GO) test -c -o $@.tmp ./cmd/critest && mv $@.tmp $@

# docker compose v2, built from its Go module (it has no Debian package) into
# the same cache; test/api_compose_v2_test.go uses it. Its go.mod is not
# tidy for a build outside its own tree, hence -mod=mod in a writable copy.
COMPOSE_V2 := v2.40.3
compose-v2: $(CRI_CACHE)/bin/docker-compose-$(COMPOSE_V2)
$(CRI_CACHE)/bin/docker-compose-$(COMPOSE_V2):
	@mkdir -p $(@D)
	set -e; cd $(CRI_CACHE); \
	mod=$$($(GO) mod download -json github.com/docker/compose/v2@$(COMPOSE_V2) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	[ -d "$$mod" ] || { echo "go mod download github.com/docker/compose/v2@$(COMPOSE_V2) failed" >&2; exit 1; }; \
	src=$(CRI_CACHE)/src/compose-$(COMPOSE_V2); rm -rf $$src; mkdir -p $$src; \
	cp -r $$mod/. $$src/; chmod -R u+w $$src; \
	cd $$src && GOFLAGS=-mod=mod $(GO) build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$(COMPOSE_V2)" -o $@.tmp ./cmd && mv $@.tmp $@

clean:
	rm -rf $(BIN)
