#!/usr/bin/env bash
# test.sh - everything `make test` runs, in order, with one summary at the end:
# the lint (format, cppcheck, gcc -fanalyzer), the unit tests, every lab's graded checks, the capstone's integration tests,
# the fuzzers' regression runs, the unit tests and the capstone's tests again
# on the sanitizer build (ASan, UBSan, fault points) and, where course mode
# exists, the proof that the handout's checks fail.
# It keeps going after a failing suite so one run shows every failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PODLAB_SRC="$here" PODLAB_BUILD="${PODLAB_BUILD:-$here/build}"

passed=0 failed=0 bad_suites=() timings=()
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

suite() { # suite NAME CMD... : run one suite, remember if it failed and how long it took
	local name=$1 start=$SECONDS
	shift
	echo
	echo "######## $name"
	if ! "$@"; then bad_suites+=("$name"); fi
	timings+=("$((SECONDS - start)) $name")
}

unit() { # [BUILD]
	local t rc=0 out
	for t in "${1:-$PODLAB_BUILD}"/tests/unit/test_*; do
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

# Static analysis first: it needs no build and says the most per second.
suite "lint (clang-format, cppcheck, gcc -fanalyzer)" make --no-print-directory lint
suite "unit tests" unit
for f in tests/lab-*.bats; do
	[ -f "$f" ] && suite "$(basename "$f" .bats)" bats_file "$f"
done
for f in tests/capstone/*.bats; do
	[ -f "$f" ] && suite "capstone $(basename "$f" .bats)" bats_file "$f"
done
# One check per defence that keeps a pod off the host, one per CVE class.
for f in tests/security/*.bats; do
	[ -f "$f" ] && suite "security $(basename "$f" .bats)" bats_file "$f"
done

# ---- the fuzzers: their corpora, a fixed number of runs from a fixed seed,
# and every crash found once (mk/fuzz.mk)
suite "fuzz regressions" make --no-print-directory BUILD="$PODLAB_BUILD" fuzz-regress

# ---- the sanitizer build (mk/san.mk): the unit tests and the capstone's
# tests again. A sanitizer's report goes to a file, not to stderr: a detached
# supervisor's stderr is /dev/null, and a test that expects podrun to fail
# would take an ASan abort for the failure it wanted. Any report fails the
# suite. Leaks are checked in the unit tests only: podrun exits through
# die() and _exit() with memory the kernel takes back, by design.
san="$PODLAB_BUILD/san" san_logs="$PODLAB_BUILD/san/logs"
with_san() { # LEAKS CMD...: CMD on the sanitizer build; fails on any report
	local -x PODLAB_BUILD=$san
	local -x ASAN_OPTIONS="detect_leaks=$1:log_path=$san_logs/asan"
	local -x UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$san_logs/ubsan"
	local rc=0 f
	shift
	rm -rf "$san_logs" && mkdir -p "$san_logs"
	"$@" || rc=1
	# only errors: a clone(2) onto a stack of our own makes ASan warn that
	# it ignores __asan_handle_no_return, which is harmless
	for f in "$san_logs"/*; do
		[ -f "$f" ] && grep -qE 'ERROR: |runtime error:' "$f" || continue
		echo "sanitizer report $(basename "$f"):"
		head -n 40 "$f"
		rc=1
	done
	return $rc
}
if suite "sanitizer build" make --no-print-directory BUILD="$PODLAB_BUILD" san-build; then
	suite "unit tests (ASan+UBSan)" with_san 1 unit "$san"
	for f in tests/capstone/*.bats; do
		[ -f "$f" ] && suite "capstone $(basename "$f" .bats) (ASan+UBSan)" \
			with_san 0 bats_file "$f"
	done
fi

[ -f tests/course.bats ] && suite "course tooling" bats_file tests/course.bats
if [ -x scripts/check-handout.sh ]; then
	suite "check-handout" scripts/check-handout.sh
fi

# Where the time went, the longest suites first: `make test` must stay well
# under 20 minutes on 2 cores.
echo
echo "the longest suites (seconds):"
printf '%s\n' "${timings[@]}" | sort -rn | head -8 | sed 's/^/  /'
echo "all suites: $SECONDS s"
echo
if [ ${#bad_suites[@]} -gt 0 ]; then
	echo "failing suites: ${bad_suites[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#bad_suites[@]} -eq 0 ] && [ "$failed" -eq 0 ]
