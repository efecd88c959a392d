#!/usr/bin/env bash
# hack/install-debs.sh PKG...: installs Debian packages for the tests and
# benchmarks without changing anything else on the host. Debian's docker.io
# and containerd start (and enable) their daemons when installed: dockerd
# would make docker0 and iptables rules. So the install runs under a
# policy-rc.d that forbids starting services (removed afterwards, even on
# failure; an existing one is left as it is), and on a systemd host the
# docker and containerd units that this install started or enabled are
# stopped and disabled again; a daemon the user already ran is not touched.
# The tests start private instances of their own.
set -euo pipefail
[ $# -gt 0 ] || exit 0

policy=/usr/sbin/policy-rc.d
made_policy=""
units=(docker.socket docker.service containerd.service)
declare -A was_active=() was_enabled=()
systemd=""
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && command -v systemctl >/dev/null; then
	systemd=1
	for u in "${units[@]}"; do
		systemctl -q is-active "$u" 2>/dev/null && was_active[$u]=1
		systemctl -q is-enabled "$u" 2>/dev/null && was_enabled[$u]=1
	done
fi

restore() {
	if [ -n "$made_policy" ]; then
		rm -f "$policy"
	fi
	if [ -n "$systemd" ]; then
		for u in "${units[@]}"; do
			if [ -z "${was_active[$u]:-}" ] && systemctl -q is-active "$u" 2>/dev/null; then
				echo "install-debs: stopping $u, which the install started"
				systemctl stop "$u" || true
			fi
			if [ -z "${was_enabled[$u]:-}" ] && systemctl -q is-enabled "$u" 2>/dev/null; then
				echo "install-debs: disabling $u, which the install enabled"
				systemctl disable -q "$u" || true
			fi
		done
	fi
}
trap restore EXIT

if [ ! -e "$policy" ]; then
	made_policy=1
	printf '#!/bin/sh\n# made by jinn hack/install-debs.sh for one install: start no service\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi

apt-get -o DPkg::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$@" >/dev/null
