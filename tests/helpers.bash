# helpers.bash - loaded by every tests/*.bats file (`load helpers`, or
# `load ../helpers` from tests/capstone/).
#
#   bin LAB PROGRAM      path of a built program: bin 01-namespaces step1_uts
#   require_root         skip the check when not root (these labs need root)
#   defer CMD...         register a clean-up; teardown runs them in reverse
#                        order, also when the test failed halfway
#   ns_ino PID TYPE      the inode of /proc/PID/ns/TYPE
#   mount_snapshot       the host's mount table, for before/after comparisons
#   wait_for CMD...      retry CMD for up to 5 s (for things that start async)
#   wait_done FILE CMD...  the same, but no longer once FILE says "exercise not done"
#   python3 ARGS...      Debian's /usr/bin/python3, whatever PATH says

# bats-support and bats-assert, their files sourced one by one: their
# load.bash runs dirname(1) for each, fifteen processes before every test.
for _podlab_f in /usr/lib/bats/bats-support/src/{output,error,lang}.bash /usr/lib/bats/bats-assert/src/*.bash; do
	# shellcheck disable=SC1090
	source "$_podlab_f"
done
unset _podlab_f

export PODLAB_SRC="${PODLAB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export PODLAB_BUILD="${PODLAB_BUILD:-$PODLAB_SRC/build}"

# The interpreter scripts/deps.sh installs python3-jsonschema and
# python3-yaml for, not the first python3 in PATH: a version manager's shim
# there (pyenv's) costs a third of a second a start, and its python has
# packages of its own.
python3() { /usr/bin/python3 "$@"; }

bin() {
	local p="$PODLAB_BUILD/labs/$1/$2"
	[ "$1" = capstone ] && p="$PODLAB_BUILD/capstone/$2"
	echo "$p"
}

require_root() {
	[ "$EUID" -eq 0 ] || skip "needs root (namespaces, mounts)"
}

PODLAB_DEFERRED=()
defer() {
	PODLAB_DEFERRED+=("$*")
}

run_deferred() {
	local i
	for ((i = ${#PODLAB_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${PODLAB_DEFERRED[i]}" >/dev/null 2>&1 || true
	done
	PODLAB_DEFERRED=()
}

# A file that needs its own teardown defines it and calls run_deferred.
teardown() {
	run_deferred
}

ns_ino() {
	stat -L -c %i "/proc/$1/ns/$2"
}

mount_snapshot() {
	# mount IDs change with every mount, so compare what is mounted where
	awk '{print $5, $9, $10}' /proc/self/mountinfo | sort
}

# wait_for CMD...: until CMD succeeds, for at most 5 s (checked every 50 ms).
# wait_long CMD...: the same for at most 30 s, for what takes long: a relay's
# 10 s connect deadline, a pod coming up on the sanitizer build of a busy
# machine. Not timing assertions: the bound only keeps a broken podrun from
# hanging the test.
wait_for() { wait_tries 100 "$@"; }
wait_long() { wait_tries 600 "$@"; }
wait_tries() { # N CMD...
	local i n=$1 nap=
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && break
		# The 50 ms naps are reads that time out on a pipe no one writes
		# to: sleep(1) would be a process a nap, and on a machine where a
		# process costs milliseconds make test polls thousands of times.
		[ -n "$nap" ] || exec {nap}<> <(:)
		read -rt 0.05 -u "$nap" || true
	done
	[ -z "$nap" ] || exec {nap}>&-
	((i < n))
}

# wait_done FILE CMD...: wait_for CMD, but stop waiting once FILE (what a
# program under test said) holds a stub's "exercise not done": on the
# handout a check then fails at once, not after wait_for's 5 s. Its status
# is CMD's, asked once more.
wait_done() {
	local said=$1
	shift
	stub_said_or() { grep -q "exercise not done" "$said" 2>/dev/null || "$@"; }
	wait_for stub_said_or "$@" || true
	"$@" || {
		grep -h "exercise not done" "$said" 2>/dev/null
		return 1
	}
}

# hold OUTFILE PROGRAM ARGS...: start a step program with --hold in the
# background; it keeps what it made (its pod, its cgroups) until release
# closes its stdin. Returns once it says "holding the pod"; fails, with what
# it said, once it exits without saying so (a stub that is not done yet).
hold() {
	local out=$1
	shift
	mkfifo "$BATS_TEST_TMPDIR/stdin"
	"$@" --hold <"$BATS_TEST_TMPDIR/stdin" >"$out" 2>&1 3>&- &
	HELD=$!
	exec {HOLD_FD}>"$BATS_TEST_TMPDIR/stdin"
	defer release
	holding_or_gone() { grep -q "holding the pod" "$out" || ! kill -0 "$HELD"; }
	wait_for holding_or_gone
	grep -q "holding the pod" "$out" || {
		cat "$out"
		return 1
	}
}

release() {
	if [ -n "${HOLD_FD:-}" ]; then
		exec {HOLD_FD}>&-
		HOLD_FD=
	fi
	wait "$HELD"
}
