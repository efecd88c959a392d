# jinn: `make` builds the binaries into bin/; `make demo` and `make test` are
# the README's two commands and install what they need themselves.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin
FIXTURES ?= /var/lib/jinn-fixtures
# Packages the tests and benchmarks use, all from Debian.
DEBS := busybox-static runc crun podman skopeo iptables nftables iproute2 \
	redis-server nginx-light hyperfine uidmap e2fsprogs xfsprogs curl procps \
	containerd docker.io

CMDS := $(notdir $(wildcard cmd/*))

.PHONY: all build deps fixtures test demo bench clean vet
all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./cmd/,$(CMDS))

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

# End-to-end tests run the real binaries on the real kernel as root.
test: deps build fixtures
	JINN_FIXTURES=$(FIXTURES) JINN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 25m -p 1 ./...

demo: deps build fixtures
	hack/demo.sh

bench: deps build fixtures
	bench/run.sh

clean:
	rm -rf $(BIN)
