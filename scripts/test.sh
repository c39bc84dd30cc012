#!/usr/bin/env bash
# test.sh - everything `make test` runs, in order, with one summary at the end:
# the unit tests, every lab's graded checks, the capstone's integration tests
# and, where course mode exists, the proof that the handout's checks fail.
# It keeps going after a failing suite so one run shows every failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PODLAB_SRC="$here" PODLAB_BUILD="${PODLAB_BUILD:-$here/build}"

passed=0 failed=0 bad_suites=()
count_tap() { # reads a TAP stream on stdin, echoes it, adds to the counters
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*) failed=$((failed + 1)) ;;
		esac
	done
}

suite() { # suite NAME CMD... : run one suite, remember if it failed
	local name=$1
	shift
	echo
	echo "######## $name"
	if ! "$@"; then bad_suites+=("$name"); fi
}

unit() {
	local t rc=0 out
	for t in "$PODLAB_BUILD"/tests/unit/test_*; do
		[ -x "$t" ] && [ "${t%.d}" = "$t" ] && [ "${t%.o}" = "$t" ] || continue
		out=$("$t" --jobs 1 --tap 2>&1) || rc=1
		count_tap <<<"$out"
	done
	return $rc
}

bats_file() {
	local out rc=0
	out=$(bats --tap "$1" 2>&1) || rc=1
	count_tap <<<"$out"
	return $rc
}

suite "unit tests" unit
for f in tests/lab-*.bats; do
	[ -f "$f" ] && suite "$(basename "$f" .bats)" bats_file "$f"
done
for f in tests/capstone/*.bats; do
	[ -f "$f" ] && suite "capstone $(basename "$f" .bats)" bats_file "$f"
done
[ -f tests/course.bats ] && suite "course tooling" bats_file tests/course.bats
if [ -x scripts/check-handout.sh ]; then
	suite "check-handout" scripts/check-handout.sh
fi

echo
if [ ${#bad_suites[@]} -gt 0 ]; then
	echo "failing suites: ${bad_suites[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#bad_suites[@]} -eq 0 ] && [ "$failed" -eq 0 ]
