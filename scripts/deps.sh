#!/usr/bin/env bash
# deps.sh - install the Debian packages podlab needs, only those missing.
# Idempotent: with everything present it prints nothing and exits 0.
# As non-root it prints the command to run instead of running it.
set -euo pipefail

PACKAGES=(
	gcc make pkg-config
	libcap-dev      # capabilities: drop them as a container runtime does
	libyaml-dev     # the capstone parses Kubernetes Pod YAML
	libcriterion-dev # unit tests
	bats bats-assert bats-support # lab checks and integration tests
	busybox-static  # the container images
	iproute2        # tests look at links and addresses from outside
	musl-tools      # the C pause holder, static and small (glibc static is ~700 KB)
	procps psmisc   # pgrep, ps, fuser in tests
	strace          # a lab-5 check watches logship fsync and rename its checkpoint
	libseccomp-dev  # containers get the RuntimeDefault seccomp filter
	libarchive-dev libjson-c-dev # OCI images: tar layers (libarchive, dlopen'd) and JSON manifests
	nettle-dev      # OCI images: every blob's sha256 is checked
	python3-jsonschema python3-yaml # examples/ checked against the Kubernetes v1 Pod schema (YAML read by PyYAML)
	jq              # tests read podrun's JSON output field by field
	clang           # libFuzzer targets for every parser
	cppcheck        # make lint
	clang-format    # make lint checks the formatting (.clang-format)
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "podlab needs these Debian packages: ${missing[*]}" >&2
	echo "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "=> installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An empty package list means apt-get update never ran on this machine.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] ||
	! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
