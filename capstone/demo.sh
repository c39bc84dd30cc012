#!/usr/bin/env bash
# demo.sh - `make demo`: the study note's javaweb-2 pod, end to end.
#
# Builds the images, shows what podrun says about the note's YAML as written,
# runs the corrected pod (examples/javaweb.yaml), fetches the war through
# hostPort 8001, stops and removes the pod, and shows that nothing is left.
# By hand: PODLAB_BUILD=build bash capstone/demo.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PODLAB_BUILD:-$here/build}
podrun=$build/capstone/podrun

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold='' dim='' off=''; fi
title() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
show() {
	local a line=
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
	done
	printf '%s$%s%s\n' "$bold" "${line//$here\//}" "$off"
	"$@"
}

[ -x "$podrun" ] || { echo "demo: $podrun is missing: run 'make' first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: podrun needs root (run: sudo make demo)" >&2; exit 1; }

# A state root of the demo's own, so it never touches pods you run yourself.
export PODRUN_ROOT PODRUN_DATA
PODRUN_ROOT=$(mktemp -d /tmp/podrun-demo.XXXXXX)
PODRUN_DATA=$PODRUN_ROOT.data
export PODRUN_IMAGES=$build/images
cleanup() {
	"$podrun" rm -f javaweb-2 >/dev/null 2>&1 || true
	rm -rf "$PODRUN_ROOT" "$PODRUN_DATA" "${war:-}"
}
trap cleanup EXIT

title "podrun: the study note's javaweb-2 pod, built from the labs' modules (capstone/README.md)"
say "Building the images: busybox-static OCI images loaded into podrun's store; simple:v2"
say "holds the war, tomcat:7.0 a stand-in Tomcat (busybox httpd serving webapps/ on 8080)."
make -s -C "$here" BUILD="$build" images >/dev/null
show "$podrun" image ls

title "1. The note's YAML exactly as written"
say "It indents with tabs and misaligns 'containers' and 'volumes'. Kubernetes would"
say "answer with a YAML error; podrun says which line, which column and what is wrong:"
show "$podrun" validate "$here/tests/capstone/bad/javaweb-2-as-written.yaml" || true

title "2. The corrected pod"
show "$podrun" validate "$here/examples/javaweb.yaml"
say "run -d: sandbox (pause), emptyDir, the init container copies the war and exits 0,"
say "then tomcat starts; podrun returns once every app container is Running."
show "$podrun" run -d "$here/examples/javaweb.yaml"
say "Running is not serving: tomcat's readinessProbe (a TCP connect to 8080, every"
say "second) makes the pod Ready once httpd listens."
show "$podrun" wait --for=condition=Ready javaweb-2
show "$podrun" ps
say "The namespaces: net, ipc and uts are the pod's (= pause's inode); mnt and pid"
say "are tomcat's own."
show "$podrun" inspect javaweb-2

title "3. The war, through hostPort 8001"
say "podrun listens on 0.0.0.0:8001 and relays each connection to a socket it made"
say "inside the pod's network namespace, connected to the pod's IP, port 8080 (not"
say "its 127.0.0.1: a server there would take every client for a local one; ports.h)."
war=$(mktemp /tmp/podrun-demo-war.XXXXXX)
show busybox wget -q -O "$war" http://127.0.0.1:8001/simple.war
show sha256sum "$war" "$here/labs/03-shared-volume/files/simple.war"
a=$(sha256sum <"$war") b=$(sha256sum <"$here/labs/03-shared-volume/files/simple.war")
[ "$a" = "$b" ] && say "same bytes: the init container's copy, served by tomcat, through the hostPort"
show "$podrun" exec javaweb-2 -- ls -l /root/apache-tomcat-7.0.42-v2/webapps

title "4. Stop and remove"
say "stop sends SIGTERM to every container's PID 1, and SIGKILL after the grace period"
say "(30 s by default). The kernel delivers to a pid namespace's init only the signals"
say "it handles: tomcat's start.sh traps SIGTERM and stops httpd, so the stop is prompt."
show "$podrun" stop javaweb-2
show "$podrun" rm javaweb-2

title "5. Nothing is left"
show ls -A "$PODRUN_ROOT/pods"
say "mounts under the state root:"
grep -c "$PODRUN_ROOT" /proc/self/mountinfo || true
say "the pod network (bridge podrun0 and its veths; the last pod takes the bridge along):"
ip -o link show podrun0 2>/dev/null | sed 's/^/  /' | grep . || echo "  none"
say "pause processes of this build:"
pgrep -af "^$build/labs/02-pause/pause" || echo "  none"
