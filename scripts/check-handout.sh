#!/usr/bin/env bash
# check-handout.sh - prove that every graded check grades something.
#
# A check titled "[ID] ..." grades exercise ID. This script proves, for every
# exercise, that its checks
#   1. FAIL on the student handout (every exercise stubbed): the check cannot
#      be passed without the student's code;
#   2. PASS on the solution (this repository, built in $PODLAB_BUILD);
#   3. pass with ONLY that exercise filled in, while the other exercises'
#      checks of the same lab still fail: the check depends on its own
#      exercise and on no other. An exercise whose checks run a pod needs
#      the exercises every pod start goes through; its marker says so
#      (" * Needs: ID, ID" in the BEGIN comment): those are filled in too,
#      with what they need in turn, and their checks may pass.
#   4. catch every mutant: each tests/mutants/ID/NAME.patch is a plausible
#      wrong solution of exercise ID (its first line says which mistake it
#      models); applied to the exercise alone, at least one of ID's checks
#      must fail. A patch may change the exercise's region only.
# Before that it checks the regions and the tags themselves: no malformed
# region, no tag without an exercise, no exercise without a check, without
# two mutants or missing from its lab's README.md, no Needs that names an
# unknown exercise or goes round in a cycle, and
# .github/classroom/autograding.json in sync.
#
# Only the tagged checks run (bats --filter). The handout's build starts from
# a copy of the solution's objects, so only the stubbed files recompile, and
# each variant of step 3 recompiles the one file that changed. Steps 1 to 4
# run lab by lab, PROOFS labs side by side (the CPUs plus one), each lab in a
# copy of the handout of its own. Prints one line per fact proved or refuted
# and "check-handout: N passed, N failed"; exit 1 on any failure. KEEP=1
# keeps the work directory; JOBS=N for make -jN (2);
# HANDOUT_TARGETS="build-lab-1 ..." builds less of the handout than `all`;
# FRESH=1 builds the handout from scratch, not from the solution's objects;
# VARIANT_CFLAGS (-O0 -g0) are the CFLAGS of steps 3 and 4's builds;
# VERBOSE=1 shows how long each run of the checks took; ONLY="ID ..." proves
# those exercises only: only their checks run in steps 1, 2 and 4 (the handout
# is still built whole); MUTANTS=N tries the first N mutants of each
# exercise only, MUTANTS=0 skips 4 (make test); SOLUTION=0 skips 2, for a
# caller that has just run every check on the solution's build itself (make
# test does, in its lab and capstone suites); OTHERS=0 runs only the
# exercise's own checks in step 3, not the others' (make test: see
# docs/course.md for what that leaves to make check-handout).
set -uo pipefail
[[ -z ${MUTANTS:-} || $MUTANTS =~ ^[0-9]+$ ]] ||
	{ echo "check-handout: MUTANTS=$MUTANTS: a number of mutants per exercise (0: none)" >&2; exit 2; }
[[ ${OTHERS:-1} =~ ^[01]$ ]] ||
	{ echo "check-handout: OTHERS=$OTHERS: 1 (the others' checks must still fail in step 3) or 0 (not run)" >&2; exit 2; }

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
PODLAB_BUILD=$(realpath -m "${PODLAB_BUILD:-$here/build}")
export PODLAB_BUILD
unset MAKEFLAGS MFLAGS MAKELEVEL # our makes are our own, not a sub-make of make test
JOBS=${JOBS:-2}
# Steps 3 and 4 build a variant of the handout for every exercise and every
# mutant, each recompiling a file or two; at -O0 that takes a third of the
# time of -O2 -g. The handout itself is proved to build with the project's
# own flags (-O2 -Werror) first, and the solution is its own build.
VARIANT_CFLAGS=${VARIANT_CFLAGS--O0 -g0}
HANDOUT_TARGETS=${HANDOUT_TARGETS:-all} # what step 1 builds in the handout
TIMEOUT=${CHECK_TIMEOUT:-600} # seconds for one bats run: a hung stub must not hang make test

# Two runs at once would run the same checks at once, and those share port
# numbers and link names: one run at a time on a machine. (What this runs
# gets fd 9 closed, so a process a check leaves behind cannot hold the lock.)
exec 9>"${TMPDIR:-/tmp}/podlab-check-handout.lock"
if ! flock -n 9; then
	echo "(waiting for another check-handout to finish)"
	flock 9
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/podlab-check-handout.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "(work directory kept: $work)"
else
	trap 'rm -rf "$work"' EXIT
fi
H=$work/handout HB=$work/build

passed=0 failed=0
ok() { printf '  %s: ok\n' "$*"; passed=$((passed + 1)); }
bad() { printf '  %s: FAIL\n' "$*"; failed=$((failed + 1)); }
note() { printf '  %s\n' "$*"; }
indent() { sed 's/^/      /'; }
section() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

finish() {
	echo
	echo "($SECONDS s)"
	echo "check-handout: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# plural N NOUN [VERB]: "1 check fails", "2 checks fail"
plural() {
	if [ "$1" -eq 1 ]; then
		case ${3:-} in
		"") echo "$1 $2" ;;
		*s) echo "$1 $2 ${3}es" ;;
		*) echo "$1 $2 ${3}s" ;;
		esac
	else
		echo "$1 ${2}s${3:+ $3}"
	fi
}

# ---- the exercises and the checks that grade them -----------------------------

lab_dir() { [[ $1 =~ ^(labs/[^/]+|capstone)/ ]] && echo "${BASH_REMATCH[1]}"; }

section "exercise regions and tags"
declare -A EX_LAB EX_FILE EX_LINE EX_NEEDS NEEDED NCHK CHK_FILES FILE_IDS
EX_IDS=()
if ! scripts/handout.sh list >"$work/exercises" 2>"$work/list.err"; then
	while IFS= read -r line; do bad "$line"; done <"$work/list.err"
fi
# (a tab is white space to read: empty fields would merge, so split at \x1f)
while IFS=$'\x1f' read -r id lab file line _ _ _ needs; do
	EX_IDS+=("$id")
	EX_LAB[$id]=$lab EX_FILE[$id]=$file EX_LINE[$id]=$line EX_NEEDS[$id]=$needs
done < <(tr '\t' '\037' <"$work/exercises")

# What an exercise needs, transitively: NEEDED[ID] (space-separated). A Needs
# that names no exercise, or that leads back to the exercise, is refused.
# needs_of ID PATH: the closure of ID's needs, one a line, and "!cycle PATH"
# for a need already on PATH (the ids on the way to ID).
needs_of() {
	local id=$1 path=$2 n
	for n in ${EX_NEEDS[$id]:-}; do
		[ -n "${EX_FILE[$n]+x}" ] || continue # an unknown id: said where it is written
		if [[ " $path " == *" $n "* ]]; then
			echo "!cycle $path $n"
		else
			echo "$n"
			needs_of "$n" "$path $n"
		fi
	done
}
for id in "${EX_IDS[@]+"${EX_IDS[@]}"}"; do
	[ -n "${EX_NEEDS[$id]:-}" ] || continue
	where="${EX_FILE[$id]}:${EX_LINE[$id]}: $id"
	broken=0
	for n in ${EX_NEEDS[$id]}; do
		[ -n "${EX_FILE[$n]+x}" ] && continue
		bad "$where: Needs names $n, which is no exercise"
		broken=1
	done
	closure=$(needs_of "$id" "$id" | sort -u)
	cycle=$(grep -m1 '^!cycle' <<<"$closure")
	if [ -n "$cycle" ]; then
		cycle=${cycle#!cycle }
		bad "$where: Needs goes round in a cycle: ${cycle// / -> }"
		broken=1
	fi
	[ "$broken" = 0 ] || continue
	NEEDED[$id]=$(tr "\n" " " <<<"$closure")
	NEEDED[$id]=${NEEDED[$id]% }
	dir=$(lab_dir "${EX_FILE[$id]}")
	for n in ${EX_NEEDS[$id]}; do
		grep -qF -- "$n" "$dir/README.md" 2>/dev/null ||
			bad "$where: the lesson $dir/README.md does not tell the student to do $n first"
	done
done

BATS_FILES=()
for f in tests/lab-*.bats tests/capstone/*.bats; do
	[ -f "$f" ] && BATS_FILES+=("$f")
done
for f in "${BATS_FILES[@]+"${BATS_FILES[@]}"}"; do
	while IFS=: read -r lineno id; do
		if [ -z "${EX_FILE[$id]+x}" ]; then
			bad "$f:$lineno: check tagged [$id], but no exercise $id exists"
			continue
		fi
		NCHK[$id]=$((${NCHK[$id]:-0} + 1))
		[[ " ${CHK_FILES[$id]:-} " == *" $f "* ]] || CHK_FILES[$id]+=" $f"
		[[ " ${FILE_IDS[$f]:-} " == *" $id "* ]] || FILE_IDS[$f]+=" $id"
	done < <(awk '/^[ \t]*@test[ \t]+["\047]\[[a-z0-9][a-z0-9-]*\]/ {
		s = $0; sub(/^[ \t]*@test[ \t]+["\047]\[/, "", s); sub(/\].*/, "", s); print FNR ":" s }' "$f")
done

lab_name() { [ "$1" = 7 ] && echo capstone || echo "lab-$1"; }

GRADED=() # the exercises that have checks: the ones steps 1-3 prove
for id in "${EX_IDS[@]+"${EX_IDS[@]}"}"; do
	lab=${EX_LAB[$id]} dir=$(lab_dir "${EX_FILE[$id]}")
	where="$(lab_name "$lab") $id (${EX_FILE[$id]}:${EX_LINE[$id]})"
	bats_file=tests/lab-$lab.bats
	[ "$lab" = 7 ] && bats_file=tests/capstone
	if [ -z "${NCHK[$id]:-}" ] && [ ! -e "$bats_file" ]; then
		# A lab still being written: say so, prove nothing yet.
		note "$where: no checks yet ($bats_file does not exist): skipped"
		continue
	fi
	if [ -n "${NCHK[$id]:-}" ]; then
		[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $id "* ]] && GRADED+=("$id")
		ok "$where: graded by $(plural "${NCHK[$id]}" check) in${CHK_FILES[$id]}"
	else
		bad "$where: no check is tagged [$id]"
	fi
	if [ ! -f "$dir/README.md" ]; then
		bad "$where: $dir/README.md (the lesson) does not exist"
	elif ! grep -qF -- "$id" "$dir/README.md"; then
		bad "$where: the lesson $dir/README.md does not present exercise $id"
	fi
done
# Every exercise keeps at least two wrong solutions that its checks must catch.
MIN_MUTANTS=2
declare -A NMUT # ID -> how many mutants it has
for id in "${EX_IDS[@]+"${EX_IDS[@]}"}"; do
	n=$(find "tests/mutants/$id" -maxdepth 1 -name '*.patch' 2>/dev/null | wc -l)
	NMUT[$id]=$n
	[ "$n" -ge "$MIN_MUTANTS" ] ||
		bad "$(lab_name "${EX_LAB[$id]}") $id: $n mutants in tests/mutants/$id/ (want at least $MIN_MUTANTS wrong solutions as NAME.patch)"
done
for d in tests/mutants/*/; do
	[ -d "$d" ] || continue
	d=${d%/} id=${d##*/}
	[ -n "${EX_FILE[$id]+x}" ] || bad "$d: no exercise $id exists"
done
for d in labs/[0-9]*/; do
	d=${d%/}
	grep -qF $'\t'"$d/" "$work/exercises" || note "$d: no exercises yet"
done

if [ -x scripts/autograding.sh ]; then
	if scripts/autograding.sh --check >"$work/autograding.diff" 2>&1; then
		ok ".github/classroom/autograding.json is in sync with tests/lab-*.bats"
	else
		bad ".github/classroom/autograding.json is out of date (make autograding)"
		indent <"$work/autograding.diff"
	fi
fi

# A malformed region stops here: there is no handout to build.
[ -s "$work/list.err" ] && finish

# ---- running the tagged checks -------------------------------------------------

# The make target that builds what a bats file checks.
target_of() {
	if [[ $1 =~ ^tests/lab-([0-9]+)\.bats$ ]]; then
		echo "build-lab-${BASH_REMATCH[1]}"
	elif [[ $1 == tests/capstone/* ]]; then
		echo build-lab-7 # the capstone counts as lab 7 (capstone.mk)
	else
		echo all
	fi
}

# build TREE BUILD TARGET...: quiet unless it fails
build() {
	local tree=$1 b=$2
	shift 2
	if ! make -C "$tree" BUILD="$b" -j"$JOBS" -s --no-print-directory "$@" >"$work/make.log" 2>&1 9>&-; then
		tail -n 25 "$work/make.log" | indent
		return 1
	fi
}
# build_variant TARGET...: build in the handout a variant of steps 3 and 4
build_variant() { build "$H" "$HB" ${VARIANT_CFLAGS:+CFLAGS="$VARIANT_CFLAGS"} "$@"; }

# tagged TREE BUILD FILE IDS...: run FILE's checks tagged with IDS in TREE and
# append "STATUS<TAB>ID<TAB>TITLE<TAB>TAP-FILE<TAB>LINE" (STATUS ok, fail or
# skip) to $work/results. The TAP stream stays in $work/tap.N for the details.
runs=0
tagged() {
	local tree=$1 b=$2 f=$3
	shift 3
	local re t0=$SECONDS tap
	runs=$((runs + 1)) tap=$work/tap.$runs
	re=$(printf '%s|' "$@")
	re="^\[(${re%|})\]"
	(cd "$tree" && PODLAB_SRC=$tree PODLAB_BUILD=$b timeout -k 10 "$TIMEOUT" \
		bats --tap --filter "${TAGGED_RE:-$re}" "$tree/$f") </dev/null >"$tap" 2>&1 9>&-
	cp "$tap" "$work/tap"
	[ -z "${VERBOSE:-}" ] || echo "      ($f in ${tree#"$work"/}: $((SECONDS - t0)) s)"
	awk -v tap="$tap" '
	/^(not )?ok [0-9]+ \[/ {
		st = ($1 == "not") ? "fail" : "ok"
		t = $0; sub(/^(not )?ok [0-9]+ /, "", t)
		if (st == "ok" && t ~ / # skip/) { st = "skip"; sub(/ # skip.*/, "", t) }
		id = t; sub(/^\[/, "", id); sub(/\].*/, "", id)
		printf "%s\t%s\t%s\t%s\t%d\n", st, id, t, tap, NR
	}' "$tap" >>"$work/results"
}

# titles_of FILE ID: the titles of FILE's checks tagged [ID], in its order,
# each as a --filter that matches it alone.
titles_of() {
	sed -nE -e 's/^[[:space:]]*@test[[:space:]]+"(\['"$2"'\][^"]*)".*/\1/p' \
		-e "s/^[[:space:]]*@test[[:space:]]+'(\\[$2\\][^']*)'.*/\\1/p" "$1" |
		sed -e 's/[][\.*^$?+(){}|/]/\\&/g' -e 's/^/^/' -e 's/$/$/'
}

# count STATUS ID: how many of ID's checks ended with STATUS.
count() { awk -F'\t' -v s="$1" -v id="$2" '$1 == s && $2 == id' "$work/results" | wc -l; }
# titles STATUS ID: those checks, one a line; under a failed one, the first
# lines of what bats said about it.
titles() {
	local st t tap line
	awk -F'\t' -v s="$1" -v id="$2" '$1 == s && $2 == id' "$work/results" |
		while IFS=$'\t' read -r st _ t tap line; do
			echo "$st: $t"
			[ "$st" = fail ] || continue
			awk -v n="$line" 'NR > n && !/^#/ {exit} NR > n && shown++ < 8 {print "    " $0}' "$tap"
		done
}
# ran ID: did every one of ID's checks report a result?
ran() { [ "$(awk -F'\t' -v id="$1" '$2 == id' "$work/results" | wc -l)" -eq "${NCHK[$1]}" ]; }

if [ ${#GRADED[@]} -eq 0 ]; then
	note "no exercise has checks yet: nothing to prove"
	finish
fi

# ---- the handout, and the solution's build -------------------------------------

section "the handout"
if ! HANDOUT_UNTRACKED=1 scripts/handout.sh tree "$H" >/dev/null; then
	bad "handout.sh tree"
	finish
fi
if grep -rlE '^[[:space:]]*/\* (BEGIN|END) EXERCISE' "$H/labs" "$H/capstone" 2>/dev/null | grep -v '\.md$' | indent | grep .; then
	bad "the handout still holds solution regions"
else
	ok "the handout holds no solution region"
fi
# point_deps BUILD FROM-BUILD FROM-TREE TREE: BUILD is a copy of FROM-BUILD,
# the build of FROM-TREE: its dependency files now name BUILD and TREE, so
# that make in TREE recompiles only what changed there.
point_deps() {
	find "$1" -name '*.d' -exec sed -i -e "s|$2/|$1/|g" -e "s|$3/|$4/|g" {} +
}

# Start from a copy of the solution's objects, their dependency files pointed
# at the handout: then only what the stubs change (the files with regions, and
# whatever includes a header with one) recompiles. FRESH=1 builds from scratch.
how="from scratch"
if [ "${FRESH:-0}" != 1 ] && [ -d "$PODLAB_BUILD/labs" ]; then
	mkdir -p "$HB"
	for d in labs capstone tests images .deps-ok; do
		[ -e "$PODLAB_BUILD/$d" ] && cp -a "$PODLAB_BUILD/$d" "$HB/"
	done
	point_deps "$HB" "$PODLAB_BUILD" "$here" "$H"
	how="from the solution's objects"
fi
# The whole handout must build, not only what the checks need.
# shellcheck disable=SC2086
if build "$H" "$HB" -k $HANDOUT_TARGETS; then
	ok "the handout builds on its own (make $HANDOUT_TARGETS $how, -Werror, no .git)"
else
	bad "the handout does not build (make $HANDOUT_TARGETS)"
fi
# The solution is built here, once: the labs proved side by side below run
# its checks in this one tree, and two makes must not write one object.
declare -A SOL_UNBUILT # make target -> 1 when the solution does not build it
for t in $(for f in "${BATS_FILES[@]}"; do target_of "$f"; done | sort -u); do
	build "$here" "$PODLAB_BUILD" "$t" || {
		bad "the solution: make $t does not build"
		SOL_UNBUILT[$t]=1
	}
done

# run_all WHAT TREE BUILD: build what each bats file checks and run its tagged
# checks, into $work/results. A file whose build fails is reported once (as
# WHAT) and its exercises are left out: UNBUILT[file]=1. The solution is not
# built again: SOL_UNBUILT says what it lacks.
declare -A UNBUILT H_UNBUILT
run_all() {
	local what=$1 tree=$2 b=$3 f t id ids
	: >"$work/results"
	UNBUILT=()
	for f in "${BATS_FILES[@]+"${BATS_FILES[@]}"}"; do
		# only the exercises being proved (all of them, or ONLY's)
		ids=()
		for id in ${FILE_IDS[$f]:-}; do
			[[ " ${GRADED[*]} " == *" $id "* ]] && ids+=("$id")
		done
		[ ${#ids[@]} -gt 0 ] || continue
		t=$(target_of "$f")
		if [ "$tree" = "$here" ]; then
			[ -z "${SOL_UNBUILT[$t]:-}" ] || UNBUILT[$f]=1
		elif ! build "$tree" "$b" "$t"; then
			bad "$what: make $t does not build: the checks of $f were not run"
			UNBUILT[$f]=1
		fi
		[ -z "${UNBUILT[$f]:-}" ] && tagged "$tree" "$b" "$f" "${ids[@]}"
	done
}

# unbuilt ID: is one of ID's bats files among those that did not build?
unbuilt() {
	local cf
	for cf in ${CHK_FILES[$1]}; do [ -z "${UNBUILT[$cf]:-}" ] || return 0; done
	return 1
}

# expect_all STATUS VERB WHERE: every check of every exercise ended with
# STATUS (fail or ok): "N checks VERB WHERE", or which did not.
expect_all() {
	local want=$1 verb=$2 where=$3 other=fail id what n got
	[ "$want" = ok ] || other=ok
	for id in "${GRADED[@]}"; do
		unbuilt "$id" && continue
		what="$(lab_name "${EX_LAB[$id]}") $id"
		n=${NCHK[$id]} got=$(count "$want" "$id")
		if [ "$got" -eq "$n" ]; then
			ok "$what: $(plural "$n" check "$verb") $where"
		else
			bad "$what: only $got of $n checks $verb $where"
			{ titles "$other" "$id"; titles skip "$id"; } | indent
			ran "$id" || echo "some checks did not run: $(tail -n 5 "$work/tap")" | indent
		fi
	done
}

# ---- 1. the handout: every exercise's checks fail ------------------------------

prove_handout_fails() {
	run_all "the handout" "$H" "$HB"
	H_UNBUILT=()
	for f in "${!UNBUILT[@]}"; do H_UNBUILT[$f]=1; done
	expect_all fail fail "without it"
}

# ---- 2. the solution: every exercise's checks pass -----------------------------

prove_solution_passes() {
	run_all "the solution" "$here" "$PODLAB_BUILD"
	expect_all ok pass "with the solution"
}

# outside_regions FILE: FILE without the inside of its exercise regions.
outside_regions() {
	awk '/^[ \t]*\/\* BEGIN EXERCISE:/ {r = 1; next} /^[ \t]*\/\* END EXERCISE \*\// {r = 0; next} !r' "$1"
}

# mutants ID FILE TARGET...: H/FILE holds ID's solution alone. Apply each of
# ID's mutants to it in turn; at least one of ID's checks must fail on each.
# The checks run one at a time, and the first that fails is enough: the
# others would only say the mutant is caught again.
mutants() {
	local id=$1 f=$2 p name why re caught tried=0
	shift 2
	for p in tests/mutants/"$id"/*.patch; do
		[ -f "$p" ] || continue
		[ -z "${MUTANTS:-}" ] || [ "$tried" -lt "$MUTANTS" ] || break
		tried=$((tried + 1))
		name=$(basename "$p" .patch)
		why=$(sed -n '1s/^# *//p' "$p")
		what="$(lab_name "${EX_LAB[$id]}") $id mutant $name ($why)"
		cp -p "$H/$f" "$work/pristine"
		if ! patch -s -p1 -F3 --no-backup-if-mismatch -r - -d "$H" <"$p" >"$work/patch.log" 2>&1; then
			bad "$what: $p does not apply to $f"
			indent <"$work/patch.log"
		elif ! diff -q <(outside_regions "$work/pristine") <(outside_regions "$H/$f") >/dev/null; then
			bad "$what: $p changes $f outside the exercise regions"
		elif ! build_variant "$@"; then
			bad "$what: does not build (a mutant must compile: a wrong solution, not a broken one)"
		else
			: >"$work/results"
			caught=""
			for cf in ${CHK_FILES[$id]}; do
				while IFS= read -r re; do
					TAGGED_RE=$re tagged "$H" "$HB" "$cf" "$id"
					caught=$(awk -F'\t' -v id="$id" '$1 == "fail" && $2 == id {print $3; exit}' "$work/results")
					[ -z "$caught" ] || break 2
				done < <(titles_of "$cf" "$id")
			done
			if [ -n "$caught" ]; then
				ok "$what: caught by \"$caught\""
			else
				bad "$what: every check of $id passes with it"
				titles skip "$id" | indent
				ran "$id" || echo "some checks did not run: $(tail -n 5 "$work/tap")" | indent
			fi
		fi
		cp -p "$work/pristine" "$H/$f"
		touch "$H/$f" # newer than the mutant's objects: the next build recompiles it
	done
}

# ---- 3. each exercise alone: exactly its checks pass ---------------------------

declare -A FILLED # the files of the handout that hold a solution right now
prove_each_alone() {
	for id in "${GRADED[@]}"; do
		what="$(lab_name "${EX_LAB[$id]}") $id alone"
		needed=${NEEDED[$id]:-}
		[ -z "$needed" ] || what+=" (with ${needed// /, })"
		f=${EX_FILE[$id]} skip=""
		for cf in ${CHK_FILES[$id]}; do [ -z "${H_UNBUILT[$cf]:-}" ] || skip=$cf; done
		if [ -n "$skip" ]; then
			note "$what: not tried (the handout does not build what $skip checks)"
			continue
		fi
		# Fill in the exercise and what it needs, file by file; every other
		# file that held a solution goes back to its stubs.
		declare -A keep=()
		for k in "$id" $needed; do keep[${EX_FILE[$k]}]+=" $k"; done
		for kf in "${!FILLED[@]}"; do
			[ -n "${keep[$kf]:-}" ] || scripts/handout.sh stub "$kf" >"$H/$kf"
		done
		FILLED=()
		for kf in "${!keep[@]}"; do
			# shellcheck disable=SC2086
			scripts/handout.sh stub "$kf" ${keep[$kf]} >"$H/$kf.new"
			# unchanged files keep their time: make recompiles only what changed
			if cmp -s "$H/$kf.new" "$H/$kf"; then rm "$H/$kf.new"; else mv "$H/$kf.new" "$H/$kf"; fi
			FILLED[$kf]=1
		done
		unset keep
		targets=()
		for cf in ${CHK_FILES[$id]}; do targets+=("$(target_of "$cf")"); done
		if ! build_variant "${targets[@]}"; then
			bad "$what: the handout with only $id filled in does not build"
			continue
		fi
		: >"$work/results"
		for cf in ${CHK_FILES[$id]}; do
			if [ "${OTHERS:-1}" = 0 ]; then
				tagged "$H" "$HB" "$cf" "$id"
			else
				# shellcheck disable=SC2086
				tagged "$H" "$HB" "$cf" ${FILE_IDS[$cf]}
			fi
		done
		# The others: the checks of exercises neither this one nor one it needs.
		others=$(awk -F'\t' -v not=" $id $needed " 'index(not, " " $2 " ") == 0' "$work/results" | wc -l)
		wrong=$({ titles fail "$id"; titles skip "$id"; awk -F'\t' -v not=" $id $needed " 'index(not, " " $2 " ") == 0 && $1 != "fail" {print $1 ": " $3}' "$work/results"; })
		if [ "${OTHERS:-1}" = 0 ]; then
			proved="its $(plural "${NCHK[$id]}" check pass) (OTHERS=0: the others' not run)"
			wanted="want its checks ok"
		else
			proved="its $(plural "${NCHK[$id]}" check pass), the $(plural "$others" other) still $([ "$others" -eq 1 ] && echo fails || echo fail)"
			wanted="want its checks ok and every other exercise's failing"
		fi
		if [ -z "$wrong" ] && [ "$(count ok "$id")" -eq "${NCHK[$id]}" ]; then
			ok "$what: $proved"
		else
			bad "$what: $wanted"
			[ -z "$wrong" ] || indent <<<"$wrong"
			ran "$id" || echo "some checks did not run: $(tail -n 5 "$work/tap")" | indent
		fi
		[ "${MUTANTS:-}" = 0 ] || mutants "$id" "$f" "${targets[@]}"
	done
}

# ---- the labs side by side ------------------------------------------------------

# Steps 1 to 4 change nothing but a handout tree and its build, so each lab
# is proved in a copy of its own, PROOFS labs at a time: most of the time is
# checks waiting for what a stub never does, which leaves the CPUs idle.
# Two labs' checks already share a machine without a clash (each lab has its
# own ports, subnets and link names, and looks only at what it made), but
# one lab's checks must not run beside themselves: a lab is proved in one
# copy, its steps in order. Labs that share a bats file are proved as one.
PROOFS=${PROOFS:-$(($(nproc) + 1))}
declare -A GROUP # lab -> the lab it is proved with (itself, unless a bats file joins them)
for id in "${GRADED[@]}"; do GROUP[${EX_LAB[$id]}]=${EX_LAB[$id]}; done
joined=1
while [ "$joined" = 1 ]; do
	joined=0
	declare -A owner=()
	for id in "${GRADED[@]}"; do
		g=${GROUP[${EX_LAB[$id]}]}
		for cf in ${CHK_FILES[$id]}; do
			o=${owner[$cf]:-$g}
			owner[$cf]=$o
			[ "$o" = "$g" ] && continue
			for l in "${!GROUP[@]}"; do [ "${GROUP[$l]}" != "$g" ] || GROUP[$l]=$o; done
			joined=1
			continue 3
		done
	done
done
unset owner

# prove_group G: steps 1-4 for the labs of group G, in $work/group.G, with
# its output in $work/group.G/log and "PASSED FAILED" in .../counts.
prove_group() {
	local g=$1 id f
	work=$work/group.$g
	mkdir -p "$work"
	exec >"$work/log" 2>&1
	passed=0 failed=0
	cp -a "$H" "$work/handout"
	cp -a "$HB" "$work/build"
	point_deps "$work/build" "$HB" "$H" "$work/handout"
	H=$work/handout HB=$work/build
	local ids=() files=()
	for id in "${GRADED[@]}"; do
		[ "${GROUP[${EX_LAB[$id]}]}" = "$g" ] && ids+=("$id")
	done
	for f in "${BATS_FILES[@]}"; do
		for id in ${FILE_IDS[$f]:-}; do
			[[ " ${ids[*]} " == *" $id "* ]] && { files+=("$f"); break; }
		done
	done
	GRADED=("${ids[@]}") BATS_FILES=("${files[@]}")
	prove_handout_fails
	[ "${SOLUTION:-1}" = 0 ] || prove_solution_passes
	prove_each_alone
	echo "$passed $failed" >"$work/counts"
}

# A group's cost, to start the longest first: each exercise's checks, run
# once on the handout, once on the solution, once alone and once per mutant,
# and ten for each of its bats files (a build and a start of bats).
group_cost() {
	local g=$1 id cost=0
	for id in "${GRADED[@]}"; do
		[ "${GROUP[${EX_LAB[$id]}]}" = "$g" ] || continue
		cost=$((cost + NCHK[$id] * (3 + NMUT[$id]) + $(wc -w <<<"${CHK_FILES[$id]}") * 10))
	done
	echo "$cost"
}
group_name() {
	local l names=()
	for l in $(printf '%s\n' "${!GROUP[@]}" | sort -n); do
		[ "${GROUP[$l]}" = "$1" ] && names+=("$(lab_name "$l")")
	done
	echo "${names[*]}"
}

# Stopped (by timeout(1), say), take the groups' checks along: they are
# not in a process group of their own.
kill_tree() {
	local c
	kill -STOP "$1" 2>/dev/null || return 0
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill -TERM "$1" 2>/dev/null
	kill -CONT "$1" 2>/dev/null
}
declare -A RUNNING=() STARTED=() # pid -> group; group -> when it started
reported=0
# report_group G: G's lines and counts, once it is done
report_group() {
	local g=$1 p=0 f=0
	printf '\n-- %s (%d s, done at %d s)\n' "$(group_name "$g")" "$((SECONDS - STARTED[$g]))" "$SECONDS"
	cat "$work/group.$g/log"
	if read -r p f <"$work/group.$g/counts" 2>/dev/null; then
		passed=$((passed + p)) failed=$((failed + f)) reported=$((reported + 1))
	else
		bad "$(group_name "$g"): its proofs ended before they were done"
	fi
}
# reap_group: wait for one group to end, and report it
reap_group() {
	local done_pid
	wait -n -p done_pid
	report_group "${RUNNING[$done_pid]}"
	unset "RUNNING[$done_pid]"
}
trap 'for p in "${!RUNNING[@]}"; do kill_tree "$p"; done; exit 1' TERM INT

section "the proofs, lab by lab, $PROOFS side by side"
step2="each check passes with the solution" step4="each of its mutants fails a check"
[ "${SOLUTION:-1}" != 0 ] || step2="(SOLUTION=0: the caller has run every check on the solution)"
if [ "${MUTANTS:-}" = 0 ]; then
	step4="(MUTANTS=0: no mutant tried)"
elif [ -n "${MUTANTS:-}" ]; then
	step4="its first $MUTANTS mutants each fail a check (MUTANTS=$MUTANTS)"
	[ "$MUTANTS" != 1 ] || step4="its first mutant fails a check (MUTANTS=1)"
fi
note "1. each check fails on the handout; 2. $step2;"
step3="its checks pass, the others' still fail"
[ "${OTHERS:-1}" != 0 ] || step3="its checks pass (OTHERS=0: the others' are not run)"
note "3. with one exercise alone (and what it Needs) $step3;"
note "4. $step4. Each lab's lines come once it is done."
for g in $(for g in $(printf '%s\n' "${GROUP[@]}" | sort -u); do
	echo "$(group_cost "$g") $g"
done | sort -rn | cut -d' ' -f2); do
	while [ ${#RUNNING[@]} -ge "$PROOFS" ]; do reap_group; done
	STARTED[$g]=$SECONDS
	prove_group "$g" 9>&- &
	RUNNING[$!]=$g
done
while [ ${#RUNNING[@]} -gt 0 ]; do reap_group; done
[ "$reported" -eq ${#STARTED[@]} ] || bad "only $reported of ${#STARTED[@]} groups of labs said how their proofs went"

finish
