#!/usr/bin/env bash
# test.sh - everything `make test` runs, with one summary at the end:
# the lint (format, cppcheck, gcc -fanalyzer), the unit tests, every lab's
# graded checks, the capstone's integration tests, the fuzzers' regression
# runs, the unit tests and most of the capstone's suites again on the
# sanitizer build (ASan, UBSan, fault points: san_skip below) and, where
# course mode exists, the proof that the handout's checks fail.
#
# The suites run in two lanes side by side (below: which suite goes where):
# one suite at a time left one of two cores mostly idle; a third lane runs
# the suites that mostly wait. The lanes share
# nothing: each lane's pods have a bridge, a subnet and host ports of
# their own (PODLAB_TEST_BRIDGE, PODLAB_TEST_SUBNET, PODLAB_TEST_PORT_BASE),
# and every lab's checks keep to ports, subnets, link names and cgroups of
# their own. LANES=1 runs the suites one after the other. Each suite's
# output is printed whole once it is done. It keeps going after a failing
# suite so one run shows every failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PODLAB_SRC="$here" PODLAB_BUILD="${PODLAB_BUILD:-$here/build}"

out=$(mktemp -d "${TMPDIR:-/tmp}/podlab-test.XXXXXX")
trap 'rm -rf "$out"' EXIT
for f in timings failed counts digest; do : >"$out/$f"; done

# cpu_ms: the CPU time (user + system, ms) of this shell's children that
# have ended and been waited for. A lane runs one suite at a time, so the
# difference around a suite is what that suite used, daemons that left it
# (a pod's supervisor) aside. The machine is CPU-bound: this says where to cut.
cpu_ms() { # VAR: set VAR. Pure bash: in a $(...) subshell, times would
	# report the subshell's children.
	local f=$out/times.$BASHPID user sys
	times >"$f"
	{ read -r _ && read -r user sys; } <"$f" # the children's: 0m1.250s 0m0.500s
	printf -v "$1" %d $(($(to_ms "$user") + $(to_ms "$sys")))
}
to_ms() { # 1m2.345s -> 62345
	local m=${1%%m*} s=${1#*m}
	s=${s%s}
	echo $(((10#$m * 60 + 10#${s%.*}) * 1000 + 10#${s#*.}))
}

# suite NAME CMD...: run one suite into a file of its own, then print it whole
# (one lane's suite never cuts into another's lines) and note its time and
# CPU time, its TAP counts and whether it failed.
suite() {
	local name=$1 start=$SECONDS cpu0 cpu log rc=0
	shift
	log=$(mktemp "$out/suite.XXXXXX")
	cpu_ms cpu0
	"$@" >"$log" 2>&1 || rc=1
	cpu_ms cpu
	cpu=$(((cpu - cpu0) / 1000))
	{
		flock 8
		printf '\n######## %s (%d s, CPU %d s)\n' "$name" "$((SECONDS - start))" "$cpu"
		cat "$log"
		echo "$((SECONDS - start)) $cpu $name" >>"$out/timings"
		if [ "$rc" != 0 ]; then
			echo "$name" >>"$out/failed"
			digest "$name" <"$log" >>"$out/digest"
		fi
		echo "$(grep -c '^ok ' "$log") $(grep -c '^not ok ' "$log")" >>"$out/counts"
	} 8>"$out/print.lock"
	rm -f "$log"
}

# digest NAME <LOG: what a failing suite's failures were, for the summary at
# the very end, where a long run's last lines are all one may get to see:
# each failed TAP test or check-handout proof with a few lines of what it
# said, or the log's last lines when it has neither.
digest() {
	local log
	log=$(cat)
	echo "-- $1:"
	if grep -qE '^not ok |: FAIL$' <<<"$log"; then
		grep -E -A 8 '^not ok |: FAIL$' <<<"$log" | head -n 60
	else
		tail -n 12 <<<"$log"
	fi
}

unit() { # [BUILD]
	local t rc=0
	for t in "${1:-$PODLAB_BUILD}"/tests/unit/test_*; do
		[ -x "$t" ] && [ "${t%.d}" = "$t" ] && [ "${t%.o}" = "$t" ] || continue
		"$t" --jobs 1 --tap 2>&1 || rc=1
	done
	return $rc
}

bats_file() {
	bats --tap "$1"
}

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

# ---- the lanes. The labs' lane builds the sanitizer build, then runs
# check-handout, which runs every lab's checks in handout trees, then those
# checks themselves: one after the other, in one lane, as lab N's checks must
# not meet themselves. The pods' lane runs the two suites whose pods publish
# fixed host ports (examples/ and the bad corpus' YAML; the sanitizer build
# skips them). Every other suite is in a queue that both lanes take from once
# their own work is done: first the ones that run no pod (lint, the fuzzers,
# course tooling, the unit tests), which the pods' lane takes while the labs'
# lane is still in its own, then kill9, the longest of the rest.
# With lint and the rest in the labs' lane, that lane was the run's longest
# by minutes while the other was done. Each lane's pods have a bridge, a
# subnet and host ports of their own.
fixed_ports=(tests/capstone/examples.bats tests/capstone/spec.bats)
# The capstone suites the sanitizer build does not run again. bench.bats
# tests the benchmarks' scripts, on the build they measure only. spec,
# examples and image mostly feed podrun YAML and image layers: the fuzzers
# run those parsers under ASan and UBSan (fuzz regressions, above). The
# others run a pod or two through paths the suites that do run again cover
# (a start, a stop, a read of the state): on a 2-core machine each rerun
# costs the whole run what it costs on the plain build, and more.
san_skip=" bench spec examples image deadline env eviction hostns podfiles ports schema "
san_reruns() { [[ $san_skip != *" $(basename "$1" .bats) "* ]]; } # FILE
# The waits' lane: the suites that spend most of their time waiting, a
# core idle half their time or more: bench.bats (tracing and timing pods:
# mostly sleeps), faults, lifecycle and probes (a pod stopped at a point,
# grace periods, probe periods) and the sanitizer's unit tests (their
# timers). Beside the two lanes they fill what those leave; a suite that
# keeps a core busy would only slow the lanes down (measured: 18.9 min where
# 17.7 with the waits' lane taking from the queue).
wait_suites=(tests/capstone/bench.bats tests/capstone/faults.bats
	tests/capstone/lifecycle.bats tests/capstone/probes.bats)
queued=()
for f in tests/capstone/kill9.bats tests/capstone/*.bats; do
	[[ " ${fixed_ports[*]} ${wait_suites[*]} ${queued[*]} " == *" $f "* ]] || queued+=("$f")
done
{
	# the suites that run no pod; lint, the longest (three minutes), first
	printf '%s\n' lint fuzz course unit
	printf 'capstone %s\n' "${queued[@]}"
	printf 'security %s\n' tests/security/*.bats
	for f in "${queued[@]}"; do
		san_reruns "$f" && echo "capstone-san $f"
	done
} >"$out/queue"

# pop: the queue's next line, or false when it is empty
pop() {
	local line
	{
		flock 7
		line=$(head -n 1 "$out/queue")
		sed -i 1d "$out/queue"
	} 7>"$out/queue.lock"
	[ -n "$line" ] && echo "$line"
}

# san_ready: wait until the labs' lane has built the sanitizer build; false
# if it failed (that suite says so)
san_ready() {
	while [ ! -e "$out/san.ok" ] && [ ! -e "$out/san.failed" ]; do sleep 1; done
	[ -e "$out/san.ok" ]
}

run_item() { # KIND [FILE]
	case $1 in
	# Static analysis needs no build and says the most per second.
	lint) suite "lint (clang-format, cppcheck, gcc -fanalyzer)" make --no-print-directory lint ;;
	# the fuzzers: their corpora, a fixed number of runs from a fixed seed,
	# and every crash found once (mk/fuzz.mk)
	fuzz) suite "fuzz regressions" make --no-print-directory BUILD="$PODLAB_BUILD" fuzz-regress ;;
	course) [ -f tests/course.bats ] && suite "course tooling" bats_file tests/course.bats ;;
	unit) suite "unit tests" unit ;;
	capstone) suite "capstone $(basename "$2" .bats)" bats_file "$2" ;;
	security) suite "security $(basename "$2" .bats)" bats_file "$2" ;;
	unit-san) san_ready && suite "unit tests (ASan+UBSan)" with_san 1 unit "$san" ;;
	capstone-san)
		san_ready && suite "capstone $(basename "$2" .bats) (ASan+UBSan)" \
			with_san 0 bats_file "$2"
		;;
	esac
}

take_from_queue() {
	local item
	while item=$(pop); do
		# shellcheck disable=SC2086
		run_item $item
	done
}

labs_lane() {
	export PODLAB_TEST_PORT_BASE=18800 # its capstone pods' (check-handout's too)
	if suite "sanitizer build" make --no-print-directory BUILD="$PODLAB_BUILD" san-build; then
		touch "$out/san.ok"
	else
		touch "$out/san.failed"
	fi
	if [ -x scripts/check-handout.sh ]; then
		# SOLUTION=0: its step 2, every check on the solution's build, is
		# what this run's lab and capstone suites do. MUTANTS=0: no mutant;
		# make check-handout tries them all. Even the first of each
		# exercise cost a quarter of check-handout's CPU time (measured
		# alone: 417 CPU s and 225 s with it, 310 and 168 without), and
		# make test took 17.7 to 19.5 minutes on 2 cores as the machine's
		# speed varied: it must stay well under 20. OTHERS=0: step 3 runs
		# an exercise's own checks, not the rest of its lab's failing
		# beside them once per exercise (more than half of step 3's time;
		# what that proves alone: docs/course.md).
		suite "check-handout" env SOLUTION=0 MUTANTS=0 OTHERS=0 scripts/check-handout.sh
	fi
	for f in tests/lab-*.bats; do
		[ -f "$f" ] && suite "$(basename "$f" .bats)" bats_file "$f"
	done
	take_from_queue
}

pods_lane() {
	export PODLAB_TEST_BRIDGE=podrunt1 PODLAB_TEST_SUBNET=198.18.6.128/25 PODLAB_TEST_PORT_BASE=18600
	local f
	for f in "${fixed_ports[@]}"; do run_item capstone "$f"; done
	for f in "${fixed_ports[@]}"; do
		san_reruns "$f" && run_item capstone-san "$f"
	done
	take_from_queue
}

waits_lane() {
	export PODLAB_TEST_BRIDGE=podrunt2 PODLAB_TEST_SUBNET=198.18.4.128/25 PODLAB_TEST_PORT_BASE=18900
	local f
	for f in "${wait_suites[@]}"; do run_item capstone "$f"; done
	run_item unit-san
	for f in "${wait_suites[@]}"; do
		san_reruns "$f" && run_item capstone-san "$f"
	done
}

if [ "${LANES:-2}" = 1 ]; then
	labs_lane
	pods_lane
	waits_lane
else
	# Ctrl-C stops them all (one process group); an early exit takes them along.
	labs_lane &
	labs=$!
	pods_lane &
	pods=$!
	waits_lane &
	waits=$!
	trap 'kill $labs $pods $waits 2>/dev/null; rm -rf "$out"' EXIT
	wait $labs
	wait $pods
	wait $waits
fi

# Where the time went, the longest suites first: `make test` must stay well
# under 20 minutes on 2 cores.
echo
echo "the longest suites (seconds, then CPU seconds):"
sort -rn "$out/timings" >"$PODLAB_BUILD/test-timings.txt"
head -8 "$PODLAB_BUILD/test-timings.txt" | sed 's/^/  /'
echo "  (every suite's: $PODLAB_BUILD/test-timings.txt)"
echo "all suites: $SECONDS s, CPU $(awk '{n += $2} END {print n + 0}' "$out/timings") s"
echo
passed=$(awk '{n += $1} END {print n + 0}' "$out/counts")
failed=$(awk '{n += $2} END {print n + 0}' "$out/counts")
if [ -s "$out/failed" ]; then
	echo "what failed (each suite's whole output is above):"
	sed 's/^/  /' "$out/digest"
	echo
	echo "failing suites: $(paste -sd' ' "$out/failed")"
fi
echo "tests: $passed passed, $failed failed"
[ ! -s "$out/failed" ] && [ "$failed" -eq 0 ]
