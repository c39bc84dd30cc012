#!/usr/bin/env bats
# LAB: 00 co-scheduling
#
# cosched's outcomes, read from its TSV output (--format tsv), never from prose:
#   place   STRATEGY CONTAINER NODE|- TICK|- WHY
#   summary STRATEGY PLACED FAILED GROUPS_OK GROUPS_FAILED WAIT IDLE STRANDED
#           CONFLICTS RETRIES DEADLOCK_TICK|-
# Nothing here needs root.

load helpers

setup() {
	COSCHED=$(bin 00-coscheduling cosched)
	SCEN="$PODLAB_SRC/labs/00-coscheduling/scenarios"
}

# node STRATEGY CONTAINER: where the strategy put the container ("-": nowhere)
node() {
	awk -F'\t' -v s="$1" -v c="$2" '$1 == "place" && $2 == s && $3 == c { print $4 }' <<<"$output"
}

# col STRATEGY N: column N of the strategy's summary line
col() {
	awk -F'\t' -v s="$1" -v n="$2" '$1 == "summary" && $2 == s { print $n }' <<<"$output"
}

# strands STRATEGY: the study note's outcome for a greedy scheduler: App on
# Node_A, LogController nowhere, App's 1Gi stranded.
strands() {
	[ "$(node "$1" App)" = Node_A ]
	[ "$(node "$1" LogController)" = - ]
	[ "$(col "$1" 3)" = 1 ]    # placed
	[ "$(col "$1" 4)" = 1 ]    # failed
	[ "$(col "$1" 5)" = 0 ]    # groups placed whole
	[ "$(col "$1" 9)" = 1024 ] # stranded: App's 1Gi does no useful work
}

@test "greedy first-fit strands App on Node_A; LogController is not placed" {
	run "$COSCHED" --format tsv -s first-fit
	assert_success
	strands first-fit
}

@test "[cosched-best-fit] best fit strands App on Node_A too: the tightest node, 256Mi left" {
	run "$COSCHED" --format tsv -s best-fit
	assert_success
	strands best-fit
}

@test "[cosched-best-fit] best fit packs: the small container takes the tight node, the big one still fits, the huge one fits nowhere" {
	# first fit puts small on big, and then large fits nowhere; best fit puts
	# small where it leaves least over (tight, not its twin, not wee, which is
	# too small however tight) and keeps big for large; huge fits no node, and
	# best fit must say so as first fit does (ENOSPC), not fail the run
	cat >"$BATS_TEST_TMPDIR/pack.txt" <<'EOF2'
node big   2Gi
node tight 1Gi
node wee   256Mi
node twin  1Gi
container small 1Gi at=0
container large 2Gi at=1
container last  1Gi at=2
container huge  4Gi at=3
EOF2
	run "$COSCHED" --format tsv -s first-fit "$BATS_TEST_TMPDIR/pack.txt"
	assert_success
	[ "$(node first-fit small)" = big ]
	[ "$(node first-fit large)" = - ]
	# best fit alone: first fit's failure would leave errno at ENOSPC for it
	run "$COSCHED" --format tsv -s best-fit "$BATS_TEST_TMPDIR/pack.txt"
	assert_success
	[ "$(node best-fit small)" = tight ] # 0 left; twin ties and comes later
	[ "$(node best-fit large)" = big ]
	[ "$(node best-fit last)" = twin ]
	[ "$(node best-fit huge)" = - ]
	[ "$(col best-fit 3)" = 3 ] # placed
	[ "$(col best-fit 4)" = 1 ] # failed: huge
}

@test "[cosched-pod-fit] pod-atomic places App and LogController together on Node_B" {
	run "$COSCHED" --format tsv -s pod
	assert_success
	[ "$(node pod App)" = Node_B ]
	[ "$(node pod LogController)" = Node_B ]
	[ "$(col pod 3)" = 2 ] # placed
	[ "$(col pod 5)" = 1 ] # the group, whole
	[ "$(col pod 8)" = 0 ] # nothing held idle
}

@test "[cosched-pod-fit] a pod that fits no single node is not split across nodes" {
	f=$BATS_TEST_TMPDIR/split.txt
	printf 'node a 1Gi\nnode b 1Gi\ncontainer x 768Mi group=g\ncontainer y 768Mi group=g\n' >"$f"
	run "$COSCHED" --format tsv -s pod "$f"
	assert_success
	[ "$(node pod x)" = - ]
	[ "$(node pod y)" = - ]
	[ "$(col pod 4)" = 2 ] # both failed, none stranded
	[ "$(col pod 9)" = 0 ]
}

@test "[cosched-pod-fit] unit tests pod_fit/*: memory another pod holds is not free, and the first node that fits wins" {
	# the mistakes no scenario above shows: counting only used memory (a
	# hoarder's held memory looks free), or taking the roomiest node
	run "$PODLAB_BUILD/tests/unit/test_cosched" --jobs 1 --filter 'pod_fit/*'
	assert_success
	assert_output --partial 'Tested: 2 | Passing: 2'
}

@test "the built-in scenario is the shipped scenarios/study-note.txt" {
	run "$COSCHED" --format tsv -s first-fit,hoarding,optimistic
	assert_success
	builtin=$output
	run "$COSCHED" --format tsv -s first-fit,hoarding,optimistic "$SCEN/study-note.txt"
	assert_success
	[ "$output" = "$builtin" ]
}

@test "hoarding places the study note's group on Node_B, paying in idle memory" {
	run "$COSCHED" --format tsv -s hoarding
	assert_success
	[ "$(node hoarding App)" = Node_B ]
	[ "$(node hoarding LogController)" = Node_B ]
	[ "$(col hoarding 8)" = 1024 ] # idle: App's 1Gi held for one tick
	[ "$(col hoarding 12)" = - ]   # no deadlock
}

@test "[cosched-deadlock] hoarding deadlocks on scenarios/deadlock.txt, and the deadlock is detected" {
	run "$COSCHED" --format tsv -s hoarding "$SCEN/deadlock.txt"
	assert_success
	[ "$(col hoarding 12)" = 4 ] # deadlock detected at t=4
	[ "$(col hoarding 3)" = 0 ]  # nothing placed
	[ "$(col hoarding 6)" = 2 ]  # both groups failed
	# the cycle names both groups
	awk -F'\t' '$1 == "event" && /DEADLOCK/ && /etl/ && /web/' <<<"$output" | grep -q .
}

@test "[cosched-deadlock] waiting behind a group that is still arriving is no deadlock until that group waits back" {
	# t=0 big hoards on n (3Gi for its 3Gi) and holds 1Gi; t=1 late picks n
	# (2Gi free for its 2Gi) and holds 1Gi; t=3 big2 holds the last 1Gi; t=4
	# big3 WAITS for late's memory, but late is not waiting (late2 arrives at
	# t=9): no cycle yet. t=9 late2 waits for big's memory: now a cycle.
	cat >"$BATS_TEST_TMPDIR/late.txt" <<'EOF2'
node n 3Gi
container big1  1Gi group=big  at=0
container late1 1Gi group=late at=1
container big2  1Gi group=big  at=3
container big3  1Gi group=big  at=4
container late2 1Gi group=late at=9
EOF2
	run "$COSCHED" --format tsv -s hoarding "$BATS_TEST_TMPDIR/late.txt"
	assert_success
	[ "$(col hoarding 12)" = 9 ] # detected when the cycle closes, not before
	[ "$(awk -F'\t' '$1 == "event" && /DEADLOCK/' <<<"$output" | wc -l)" = 1 ]
	awk -F'\t' '$1 == "event" && $3 == 9 && /DEADLOCK/ && /big holds 2Gi on n/ && /late holds 1Gi on n/' <<<"$output" | grep -q .
}

@test "[cosched-deadlock] a deadlock is reported once, though a later group waits behind it" {
	# t=0..2 a, b and c each hoard on n; d takes 1Gi at t=3; t=4 a2 waits and
	# t=5 b2 waits back: a and b deadlock. e takes the last 512Mi at t=6, so
	# at t=7 c2 waits too, behind a and b: their cycle was reported at t=5,
	# and is not reported again.
	cat >"$BATS_TEST_TMPDIR/once.txt" <<'EOF2'
node n 4Gi
container a1 1Gi   group=a at=0
container b1 1Gi   group=b at=1
container c1 512Mi group=c at=2
container d  1Gi           at=3
container a2 2Gi   group=a at=4
container b2 2Gi   group=b at=5
container e  512Mi         at=6
container c2 512Mi group=c at=7
EOF2
	run "$COSCHED" --format tsv -s hoarding "$BATS_TEST_TMPDIR/once.txt"
	assert_success
	[ "$(col hoarding 12)" = 5 ]
	[ "$(awk -F'\t' '$1 == "event" && /DEADLOCK/' <<<"$output" | wc -l)" = 1 ]
	awk -F'\t' '$1 == "event" && $3 == 7 && /c2 .* WAITS/' <<<"$output" | grep -q .
}

@test "[cosched-pod-fit] the Pod places both groups of the deadlock scenario" {
	run "$COSCHED" --format tsv -s pod "$SCEN/deadlock.txt"
	assert_success
	[ "$(col pod 5)" = 2 ]
	[ "$(node pod extract)" = "$(node pod load)" ]
	[ "$(node pod frontend)" = "$(node pod cache)" ]
	[ "$(node pod extract)" != "$(node pod frontend)" ]
}

@test "optimistic schedulers conflict on a contended cluster, retry, and still place" {
	run "$COSCHED" --format tsv -s optimistic "$SCEN/contended.txt"
	assert_success
	[ "$(col optimistic 10)" -gt 0 ] # conflicts
	[ "$(col optimistic 11)" -gt 0 ] # retries
	[ "$(col optimistic 5)" = 3 ]    # every group placed whole
	[ "$(col optimistic 8)" = 0 ]    # and nothing was held
	# no node was overcommitted: at most one 1.5Gi pod on each 2Gi node
	[ "$(node optimistic web)" != "$(node optimistic api)" ]
	[ "$(node optimistic api)" != "$(node optimistic db)" ]
	[ "$(node optimistic web)" != "$(node optimistic db)" ]
}

@test "a single optimistic scheduler has nobody to conflict with" {
	run "$COSCHED" --format tsv -s optimistic -n 1 "$SCEN/contended.txt"
	assert_success
	[ "$(col optimistic 10)" = 0 ]
	[ "$(col optimistic 5)" = 3 ]
}

@test "--seed: the same seed gives identical output, different seeds differ" {
	run "$COSCHED" --seed 7 -s first-fit,hoarding,optimistic
	assert_success
	first=$output
	run "$COSCHED" --seed 7 -s first-fit,hoarding,optimistic
	[ "$output" = "$first" ]
	run "$COSCHED" --seed 8 -s first-fit,hoarding,optimistic
	assert_success
	[ "$output" != "$first" ]
	# a random scenario can be saved and replayed as a file
	"$COSCHED" --seed 7 --dump >"$BATS_TEST_TMPDIR/seed7.txt"
	run "$COSCHED" -s first-fit,hoarding,optimistic "$BATS_TEST_TMPDIR/seed7.txt"
	[ "$output" = "$first" ]
}

@test "--sweep is reproducible, and hoarding's line counts idle memory" {
	run "$COSCHED" --sweep 50 --seed 3 --format tsv -s first-fit,hoarding,optimistic
	assert_success
	first=$output
	run "$COSCHED" --sweep 50 --seed 3 --format tsv -s first-fit,hoarding,optimistic
	[ "$output" = "$first" ]
	# sweep STRATEGY CLUSTERS GROUPS GROUPS_OK PERMILLE IDLE STRANDED CONFLICTS DEADLOCKS
	line=$(awk -F'\t' '$1 == "sweep" && $2 == "hoarding"' <<<"$output")
	[ "$(cut -f3 <<<"$line")" = 50 ]
	[ "$(cut -f7 <<<"$line")" -gt 0 ] # hoarding always costs idle memory
}

@test "[cosched-pod-fit] over 300 random clusters the Pod places more whole groups than first fit" {
	run "$COSCHED" --sweep 300 --format tsv -s first-fit,pod
	assert_success
	ff=$(awk -F'\t' '$1 == "sweep" && $2 == "first-fit" { print $5 }' <<<"$output")
	pod=$(awk -F'\t' '$1 == "sweep" && $2 == "pod" { print $5 }' <<<"$output")
	[ "$pod" -gt "$ff" ]
	# and never strands a container or holds memory idle
	awk -F'\t' '$1 == "sweep" && $2 == "pod" && $7 == 0 && $8 == 0' <<<"$output" | grep -q .
}

@test "a bad scenario file: exit 2 and one file:line:col error" {
	f=$BATS_TEST_TMPDIR/bad.txt
	printf 'node A 1Gi\ncontainer App 1Gi color=red\n' >"$f"
	run "$COSCHED" "$f"
	assert_failure 2
	assert_output "$f:2:19: unknown option 'color' (expected group= or at=)"

	printf '# a cluster\nnode A 1.25G\n' >"$f"
	run "$COSCHED" "$f"
	assert_failure 2
	assert_output --regexp "^$f:2:12: unknown unit 'G'"

	printf 'node A 1Gi\nnode A 2Gi\ncontainer c 1Gi\n' >"$f"
	run "$COSCHED" "$f"
	assert_failure 2
	assert_output --regexp "^$f:2:6: node 'A' is defined twice"

	printf 'node A 1Gi\n' >"$f"
	run "$COSCHED" "$f"
	assert_failure 2
	assert_output --regexp "^$f:1:1: no container"

	run "$COSCHED" "$BATS_TEST_TMPDIR/missing.txt"
	assert_failure 2
	assert_output "cosched: open($BATS_TEST_TMPDIR/missing.txt): No such file or directory"
}

@test "usage: --help lists every flag, bad flags are usage errors" {
	run "$COSCHED" --help
	assert_success
	for flag in --strategy --schedulers --seed --sweep --format --dump --help; do
		assert_output --partial "$flag"
	done
	run "$COSCHED" --strategy fastest
	assert_failure 2
	assert_output --partial "unknown strategy 'fastest'"
	run "$COSCHED" --seed 1 "$SCEN/deadlock.txt"
	assert_failure 2
	# one line naming what was wrong (and where to get help), not the whole usage
	run "$COSCHED" --bogus
	assert_failure 2
	assert_output "$(printf "cosched: unknown option '--bogus'\nTry 'cosched --help'.")"
	run "$COSCHED" --schedulers
	assert_failure 2
	assert_line --index 0 "cosched: option '--schedulers' needs a value"
	run "$COSCHED" -n 0
	assert_failure 2
	assert_line --index 0 --partial "--schedulers: expected 1 to 8, got '0'"
}
