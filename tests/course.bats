#!/usr/bin/env bats
# Course mode's own tooling: scripts/handout.sh, check-handout.sh,
# autograding.sh and grade.sh's output formats. Most checks work on a small
# project made up in a temporary directory (one lab, two exercises), so that
# they prove what the tools do without building the real labs.

load helpers

setup() {
	P=$BATS_TEST_TMPDIR/proj
}

# A project with lab 01 "demo": calc.c holds exercises demo-add and demo-mul,
# tests/lab-1.bats grades each with one tagged check and has one untagged.
make_project() {
	mkdir -p "$P/scripts" "$P/labs/01-demo" "$P/tests" "$P/labs/02-empty"
	cp "$PODLAB_SRC"/scripts/{handout.sh,check-handout.sh,autograding.sh,grade.sh} "$P/scripts/"
	cat >"$P/Makefile" <<'EOF'
BUILD ?= build
override BUILD := $(abspath $(BUILD))
all: build-lab-1
build-lab-1: $(BUILD)/calc
$(BUILD)/calc: labs/01-demo/calc.c
	@mkdir -p $(@D)
	gcc -std=gnu11 -Wall -Wextra -Werror $< -o $@
EOF
	cat >"$P/labs/01-demo/calc.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((unused)) static int exercise_todo(int lab, const char *id)
{
	fprintf(stderr, "lab-%d exercise not done: %s\n", lab, id);
	errno = ENOSYS;
	return -1;
}

static int add(int a, int b, int *r)
{
	/* BEGIN EXERCISE: demo-add: add two numbers
	 * Hint: README.md "Adding" */
	/* STUB: (void)a; (void)b; (void)r; return exercise_todo(1, "demo-add"); */
	*r = a + b;
	return 0;
	/* END EXERCISE */
}

static int mul(int a, int b, int *r)
{
	/* BEGIN EXERCISE: demo-mul: multiply two numbers */
	/* STUB: (void)a; (void)b; (void)r; return exercise_todo(1, "demo-mul"); */
	*r = a * b;
	return 0;
	/* END EXERCISE */
}

int main(int argc, char **argv)
{
	int r = 0, rc;
	if (argc != 4)
		return 2;
	if (!strcmp(argv[1], "add"))
		rc = add(atoi(argv[2]), atoi(argv[3]), &r);
	else if (!strcmp(argv[1], "muladd")) /* uses both exercises */
		rc = mul(atoi(argv[2]), atoi(argv[3]), &r) ?: add(r, 1, &r);
	else
		rc = mul(atoi(argv[2]), atoi(argv[3]), &r);
	if (rc < 0)
		return 1;
	printf("%d\n", r);
	return 0;
}
EOF
	printf '# Demo\n\n## Exercises\n- demo-add\n- demo-mul\n' >"$P/labs/01-demo/README.md"
	sed 's/^TEST /@test /' >"$P/tests/lab-1.bats" <<'EOF'
#!/usr/bin/env bats
# LAB: demo arithmetic
TEST "[demo-add] 2 + 3 is 5" {
	run "$PODLAB_BUILD/calc" add 2 3
	[ "$status" -eq 0 ] && [ "$output" = 5 ]
}
TEST "[demo-mul] 2 * 3 is 6" {
	run "$PODLAB_BUILD/calc" mul 2 3
	[ "$status" -eq 0 ] && [ "$output" = 6 ]
}
TEST "calc without arguments is a usage error" {
	run "$PODLAB_BUILD/calc"
	[ "$status" -eq 2 ]
}
EOF
	mutant demo-add minus '\*r = a + b;' '*r = a - b;'
	mutant demo-add plus-one '\*r = a + b;' '*r = a + b + 1;'
	mutant demo-mul adds '\*r = a \* b;' '*r = a + b;'
	mutant demo-mul doubles '\*r = a \* b;' '*r = 2 * a * b;'
	"$P/scripts/autograding.sh" >/dev/null
}

# mutant ID NAME OLD NEW [FILE]: tests/mutants/ID/NAME.patch, FILE (calc.c)
# with OLD (a sed pattern) replaced by NEW
mutant() {
	local f=${5:-labs/01-demo/calc.c}
	mkdir -p "$P/tests/mutants/$1"
	{
		echo "# $2"
		diff -U1 --label "a/$f" --label "b/$f" "$P/$f" <(sed "s/$3/$4/" "$P/$f")
	} >"$P/tests/mutants/$1/$2.patch" || true
}

check_handout() {
	# its own TMPDIR: its own lock, no waiting for a real check-handout run
	TMPDIR=$BATS_TEST_TMPDIR PODLAB_BUILD=$P/build run "$P/scripts/check-handout.sh"
}

@test "handout.sh stub: a TODO with the hint, the STUB one statement a line, at the BEGIN line's indent" {
	make_project
	run "$P/scripts/handout.sh" stub "$P/labs/01-demo/calc.c"
	assert_success
	assert_output --partial "$(printf '%s\n' \
		'	/* TODO(lab-1): demo-add: add two numbers' \
		'	 * Hint: README.md "Adding" */' \
		'	(void)a;' '	(void)b;' '	(void)r;' \
		'	return exercise_todo(1, "demo-add");' '}')"
	refute_output --partial 'a + b'
	refute_output --partial 'EXERCISE'
	refute_output --partial 'STUB'
}

@test "handout.sh stub: without a STUB line the stub is return exercise_todo(N, ID)" {
	mkdir -p "$P/scripts" "$P/labs/04-x"
	cp "$PODLAB_SRC/scripts/handout.sh" "$P/scripts/"
	printf '%s\n' 'int f(void)' '{' '    /* BEGIN EXERCISE: x-f: f */' '    return 1;' \
		'    /* END EXERCISE */' '}' >"$P/labs/04-x/f.c"
	run "$P/scripts/handout.sh" stub "$P/labs/04-x/f.c"
	assert_success
	assert_output "$(printf '%s\n' 'int f(void)' '{' '    /* TODO(lab-4): x-f: f */' \
		'    return exercise_todo(4, "x-f");' '}')"
}

@test "handout.sh stub: a STUB comment wrapped over several lines (as clang-format does) is one stub" {
	mkdir -p "$P/scripts" "$P/labs/02-x"
	cp "$PODLAB_SRC/scripts/handout.sh" "$P/scripts/"
	printf '%s\n' 'int g(int *out, int n)' '{' \
		'	/* BEGIN EXERCISE: x-g: a title that clang-format wrapped,' \
		'	 * Hint: man 2 open */' \
		'	/* STUB: (void)n; *out = 0; return' \
		'	 * exercise_todo(2, "x-g"); */' \
		'	*out = n;' '	return 0;' '	/* END EXERCISE */' '}' >"$P/labs/02-x/g.c"
	run "$P/scripts/handout.sh" stub "$P/labs/02-x/g.c"
	assert_success
	assert_output "$(printf '%s\n' 'int g(int *out, int n)' '{' \
		'	/* TODO(lab-2): x-g: a title that clang-format wrapped,' '	 * Hint: man 2 open */' \
		'	(void)n;' '	*out = 0;' '	return exercise_todo(2, "x-g");' '}')"
	printf '%s\n' '/* BEGIN EXERCISE: x-h: h */' '/* STUB: return' '/* END EXERCISE */' >"$P/labs/02-x/h.c"
	run "$P/scripts/handout.sh" list
	assert_failure
	assert_output --partial 'labs/02-x/h.c:2: the STUB comment of exercise x-h is never closed'
}

@test "handout.sh stub ID keeps that exercise's solution and stubs the others" {
	make_project
	run "$P/scripts/handout.sh" stub "$P/labs/01-demo/calc.c" demo-mul
	assert_success
	assert_output --partial '*r = a * b;'
	refute_output --partial '*r = a + b;'
	assert_output --partial 'TODO(lab-1): demo-add'
}

@test "handout.sh list: malformed regions are errors naming the file and line" {
	mkdir -p "$P/scripts" "$P/labs/03-x"
	cp "$PODLAB_SRC/scripts/handout.sh" "$P/scripts/"
	printf '%s\n' '/* BEGIN EXERCISE: x-a: a */' '/* BEGIN EXERCISE: x-b: b */' \
		'/* END EXERCISE */' '/* END EXERCISE */' '/* STUB: x */' \
		'/* BEGIN EXERCISE: x-c: c */' '/* STUB: a */' '/* STUB: b */' '/* END EXERCISE */' \
		'/* BEGIN EXERCISE: Bad Id */' '/* END EXERCISE */' \
		'/* BEGIN EXERCISE: x-d: never ended */' >"$P/labs/03-x/a.c"
	printf '%s\n' '/* BEGIN EXERCISE: x-a: again */' '/* END EXERCISE */' >"$P/labs/03-x/b.c"
	run "$P/scripts/handout.sh" list
	assert_failure
	assert_output --partial 'labs/03-x/a.c:2: BEGIN EXERCISE inside exercise x-a'
	assert_output --partial 'labs/03-x/a.c:4: END EXERCISE without BEGIN EXERCISE'
	assert_output --partial 'labs/03-x/a.c:5: STUB outside an exercise region'
	assert_output --partial 'labs/03-x/a.c:8: a second STUB line in exercise x-c'
	assert_output --partial 'labs/03-x/a.c:10: malformed BEGIN EXERCISE'
	assert_output --partial 'labs/03-x/a.c:12: BEGIN EXERCISE x-d has no END EXERCISE'
	assert_output --partial "exercise id 'x-a' is used twice"
}

@test "handout.sh tree: every file but the course tooling, regions stubbed, and it builds outside the repository" {
	make_project
	mkdir -p "$P/docs" "$P/mk"
	touch "$P/docs/course.md" "$P/mk/course.mk"
	run "$P/scripts/handout.sh" tree "$BATS_TEST_TMPDIR/h"
	assert_success
	assert_output --partial '(2 exercises stubbed in 1 files)'
	H=$BATS_TEST_TMPDIR/h
	[ -f "$H/tests/lab-1.bats" ]
	[ -f "$H/labs/01-demo/README.md" ]
	[ -x "$H/scripts/grade.sh" ]
	[ -f "$H/.github/classroom/autograding.json" ]
	for f in scripts/handout.sh scripts/check-handout.sh scripts/autograding.sh docs/course.md mk/course.mk; do
		[ ! -e "$H/$f" ] || fail "the handout holds $f"
	done
	run grep -c 'TODO(lab-1)' "$H/labs/01-demo/calc.c"
	assert_output 2
	make -s -C "$H" BUILD="$BATS_TEST_TMPDIR/hb" all
	run "$BATS_TEST_TMPDIR/hb/calc" add 2 3
	assert_failure 1
	assert_output --partial 'lab-1 exercise not done: demo-add'
}

@test "handout.sh tree refuses to wipe a directory that is not a handout, or the repository" {
	make_project
	mkdir -p "$BATS_TEST_TMPDIR/precious" && touch "$BATS_TEST_TMPDIR/precious/thesis.tex"
	run "$P/scripts/handout.sh" tree "$BATS_TEST_TMPDIR/precious"
	assert_failure
	[ -f "$BATS_TEST_TMPDIR/precious/thesis.tex" ]
	run "$P/scripts/handout.sh" tree "$P"
	assert_failure
	[ -f "$P/labs/01-demo/calc.c" ]
}

@test "check-handout passes when each check fails without its exercise and passes with it alone" {
	make_project
	check_handout
	assert_success
	assert_output --partial 'lab-1 demo-add: 1 check fails without it: ok'
	assert_output --partial 'lab-1 demo-mul: 1 check passes with the solution: ok'
	assert_output --partial 'lab-1 demo-add alone: its 1 check passes, the 1 other still fails: ok'
	assert_output --partial 'labs/02-empty: no exercises yet'
	assert_output --partial 'lab-1 demo-mul mutant doubles (doubles): caught by "[demo-mul] 2 * 3 is 6": ok'
	assert_line 'check-handout: 15 passed, 0 failed'
}

@test "check-handout proves two labs side by side, each in a copy of the handout of its own" {
	make_project
	# lab 2: neg.c with exercise demo-neg, and one check of each lab that
	# says in which tree it runs, when it starts and when it ends
	mkdir -p "$P/labs/02-neg"
	sed -i 's/^all: build-lab-1$/all: build-lab-1 build-lab-2/' "$P/Makefile"
	cat >>"$P/Makefile" <<'EOF'
build-lab-2: $(BUILD)/neg
$(BUILD)/neg: labs/02-neg/neg.c
	@mkdir -p $(@D)
	gcc -std=gnu11 -Wall -Wextra -Werror $< -o $@
EOF
	cat >"$P/labs/02-neg/neg.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	/* BEGIN EXERCISE: demo-neg: negate a number */
	/* STUB: return 1; */
	n = -n;
	/* END EXERCISE */
	printf("%d\n", n);
	return 0;
}
EOF
	printf '# Neg\n\n## Exercises\n- demo-neg\n' >"$P/labs/02-neg/README.md"
	mutant demo-neg same 'n = -n;' 'n = n;' labs/02-neg/neg.c
	mutant demo-neg twice 'n = -n;' 'n = -2 * n;' labs/02-neg/neg.c
	sed 's/^TEST /@test /' >"$P/tests/lab-2.bats" <<'EOF'
#!/usr/bin/env bats
# LAB: demo negation
TEST "[demo-neg] -(2) is -2" {
	echo "start lab-2 $PODLAB_SRC" >>"$TRACE"
	sleep 0.5
	run "$PODLAB_BUILD/neg" 2
	echo "end lab-2" >>"$TRACE"
	[ "$output" = -2 ]
}
EOF
	sed 's/^TEST /@test /' >>"$P/tests/lab-1.bats" <<'EOF'
TEST "[demo-mul] 3 * 3 is 9" {
	echo "start lab-1 $PODLAB_SRC" >>"$TRACE"
	sleep 0.5
	run "$PODLAB_BUILD/calc" mul 3 3
	echo "end lab-1" >>"$TRACE"
	[ "$output" = 9 ]
}
EOF
	"$P/scripts/autograding.sh" >/dev/null
	export TRACE=$BATS_TEST_TMPDIR/trace
	PROOFS=2 check_handout
	assert_success
	assert_output --partial '2 side by side'
	assert_output --regexp $'\n-- lab-1 \\([0-9]+ s, done at [0-9]+ s\\)\n'
	assert_output --partial 'lab-2 demo-neg mutant twice (twice): caught by "[demo-neg] -(2) is -2": ok'
	assert_line 'check-handout: 21 passed, 0 failed'
	# each lab in a copy of its own: its checks on the handout ran in group.1 or group.2
	run awk '$1 == "start" {n = split($3, d, "/"); print $2, d[n - 1] "/" d[n]}' "$TRACE"
	assert_line 'lab-1 group.1/handout'
	assert_line 'lab-2 group.2/handout'
	refute_line 'lab-1 group.2/handout'
	refute_line 'lab-2 group.1/handout'
	# and at the same time: once, a check of each lab was running
	run awk '{open[$2] += ($1 == "start") ? 1 : -1} open["lab-1"] > 0 && open["lab-2"] > 0 {both = 1} END {print both + 0}' "$TRACE"
	assert_output 1
}

@test "check-handout fails on a check that passes without its exercise" {
	make_project
	printf '@test "[demo-add] always true" { true; }\n' >>"$P/tests/lab-1.bats"
	"$P/scripts/autograding.sh" >/dev/null
	# steps 2 and 4 left out, as make test leaves step 2: what is proved is step 1
	SOLUTION=0 MUTANTS=0 check_handout
	assert_failure
	assert_output --partial 'lab-1 demo-add: only 1 of 2 checks fail without it: FAIL'
	assert_output --partial 'ok: [demo-add] always true'
	assert_output --partial '2. (SOLUTION=0: the caller has run every check on the solution)'
	refute_output --partial 'with the solution: ok'
	refute_output --partial 'caught by'
	assert_output --partial 'lab-1 demo-add alone: its 2 checks pass, the 1 other still fails: ok'
}

@test "check-handout fails on a mutant that every check lets through" {
	make_project
	# b * a for a * b: a wrong solution no check of demo-mul can tell apart
	mutant demo-mul commutes '\*r = a \* b;' '*r = b * a;'
	SOLUTION=0 check_handout
	assert_failure
	assert_output --partial 'lab-1 demo-mul mutant commutes (commutes): every check of demo-mul passes with it: FAIL'
	assert_output --partial 'lab-1 demo-mul mutant doubles (doubles): caught by "[demo-mul] 2 * 3 is 6": ok'
	MUTANTS=yes check_handout
	assert_failure 2
	assert_output 'check-handout: MUTANTS=yes: a number of mutants per exercise (0: none)'
}

@test "check-handout fails on a check that needs another exercise too" {
	make_project
	sed 's/^TEST /@test /' >>"$P/tests/lab-1.bats" <<'EOF'
TEST "[demo-mul] 2 * 3 + 1 is 7" {
	run "$PODLAB_BUILD/calc" muladd 2 3
	[ "$output" = 7 ]
}
EOF
	"$P/scripts/autograding.sh" >/dev/null
	MUTANTS=0 check_handout
	assert_failure
	assert_output --partial 'lab-1 demo-mul: 2 checks fail without it: ok'
	assert_output --partial 'lab-1 demo-mul: 2 checks pass with the solution: ok'
	assert_output --partial 'lab-1 demo-mul alone: want its checks ok and every other exercise'
	assert_output --partial 'fail: [demo-mul] 2 * 3 + 1 is 7'
}

# mul_needs_add TITLE OP A B WANT: demo-mul's marker Needs demo-add (and
# its lesson says so), and a check "[demo-mul] TITLE" that calc OP A B is WANT
mul_needs_add() {
	sed -i 's|/\* BEGIN EXERCISE: demo-mul: multiply two numbers \*/|/* BEGIN EXERCISE: demo-mul: multiply two numbers\n\t * Needs: demo-add */|' \
		"$P/labs/01-demo/calc.c"
	printf '@test "[demo-mul] %s" {\n\trun "$PODLAB_BUILD/calc" %s %s %s\n\t[ "$output" = %s ]\n}\n' \
		"$1" "$2" "$3" "$4" "$5" >>"$P/tests/lab-1.bats"
	sed -i 's/- demo-mul/- demo-mul (do demo-add first)/' "$P/labs/01-demo/README.md"
	"$P/scripts/autograding.sh" >/dev/null
}

@test "check-handout: an exercise that Needs another is proved with it filled in; the others must still fail" {
	make_project
	mul_needs_add "2 * 3 + 1 is 7" muladd 2 3 7
	run "$P/scripts/handout.sh" list
	assert_line --regexp $'^demo-mul\t1\tlabs/01-demo/calc.c\t.*\tdemo-add$'
	# (MUTANTS=1: the first of each exercise's mutants only)
	MUTANTS=1 check_handout
	assert_success
	assert_output --partial 'lab-1 demo-mul alone (with demo-add): its 2 checks pass, the 0 others still fail: ok'
	assert_output --partial 'lab-1 demo-add alone: its 1 check passes, the 2 others still fail: ok'
	assert_output --partial '4. its first mutant fails a check (MUTANTS=1).'
	assert_output --partial 'lab-1 demo-mul mutant adds (adds): caught by'
	assert_output --partial 'lab-1 demo-add mutant minus (minus): caught by'
	refute_output --partial 'mutant doubles'
	refute_output --partial 'mutant plus-one'
	# the handout tells the student to do demo-add first
	"$P/scripts/handout.sh" tree "$BATS_TEST_TMPDIR/h" >/dev/null
	grep -qF '| `demo-mul` | 01 | labs/01-demo/calc.c | moderate |  | `demo-add` |' "$BATS_TEST_TMPDIR/h/EXERCISES.md"
}

@test "check-handout: a check that tests only what its exercise Needs is caught by the others' run, which OTHERS=0 leaves out" {
	make_project
	# tagged demo-mul, but it calls add alone: it passes with demo-mul
	# alone (demo-add filled in with it) and with demo-add alone too
	mul_needs_add "4 + 1 is 5" add 4 1 5
	MUTANTS=0 check_handout
	assert_failure
	assert_output --partial 'lab-1 demo-mul alone (with demo-add): its 2 checks pass, the 0 others still fail: ok'
	assert_output --partial "lab-1 demo-add alone: want its checks ok and every other exercise's failing: FAIL"
	assert_output --partial 'ok: [demo-mul] 4 + 1 is 5'
	MUTANTS=0 OTHERS=0 check_handout
	assert_success
	assert_output --partial "3. with one exercise alone (and what it Needs) its checks pass (OTHERS=0: the others' are not run);"
	assert_output --partial "lab-1 demo-add alone: its 1 check passes (OTHERS=0: the others' not run): ok"
	OTHERS=no check_handout
	assert_failure 2
	assert_output 'check-handout: OTHERS=no: 1 (the others'"'"' checks must still fail in step 3) or 0 (not run)'
}

@test "check-handout refuses a Needs that names no exercise, goes round in a cycle, or that the lesson does not mention" {
	make_project
	sed -i 's|/\* BEGIN EXERCISE: demo-mul: multiply two numbers \*/|/* BEGIN EXERCISE: demo-mul: multiply two numbers\n\t * Needs: demo-add, demo-sub */|' \
		"$P/labs/01-demo/calc.c"
	sed -i 's|\t \* Hint: README.md "Adding" \*/|\t * Needs: demo-mul\n\t * Hint: README.md "Adding" */|' "$P/labs/01-demo/calc.c"
	sed -i 's/- demo-mul/- demo-mul, after demo-sub/' "$P/labs/01-demo/README.md"
	MUTANTS=0 check_handout
	assert_failure
	assert_output --partial 'labs/01-demo/calc.c:26: demo-mul: Needs names demo-sub, which is no exercise: FAIL'
	assert_output --partial 'labs/01-demo/calc.c:26: demo-mul: Needs goes round in a cycle: demo-mul -> demo-add -> demo-mul: FAIL'
	assert_output --partial 'labs/01-demo/calc.c:15: demo-add: Needs goes round in a cycle: demo-add -> demo-mul -> demo-add: FAIL'
	# a Needs that is not an id list is a malformed region
	sed -i 's/\* Needs: demo-mul$/* Needs: Adder (first)/' "$P/labs/01-demo/calc.c"
	run "$P/scripts/handout.sh" list
	assert_failure
	assert_output --partial 'labs/01-demo/calc.c:16: malformed Needs'
	# the lesson must name what to do first
	make_project
	sed -i 's|/\* BEGIN EXERCISE: demo-mul: multiply two numbers \*/|/* BEGIN EXERCISE: demo-mul: multiply two numbers\n\t * Needs: demo-add */|' \
		"$P/labs/01-demo/calc.c"
	sed -i 's/- demo-add//' "$P/labs/01-demo/README.md"
	MUTANTS=0 check_handout
	assert_output --partial 'demo-mul: the lesson labs/01-demo/README.md does not tell the student to do demo-add first: FAIL'
}

@test "check-handout fails on a tag without an exercise, an exercise without a check or a lesson, a stale autograding.json" {
	make_project
	sed -i 's/\[demo-mul\]/[demo-div]/' "$P/tests/lab-1.bats"
	sed -i '/demo-add/d' "$P/labs/01-demo/README.md"
	"$P/scripts/autograding.sh" >/dev/null
	MUTANTS=0 check_handout
	assert_failure
	assert_output --partial 'tests/lab-1.bats:7: check tagged [demo-div], but no exercise demo-div exists: FAIL'
	assert_output --partial 'demo-mul (labs/01-demo/calc.c:25): no check is tagged [demo-mul]: FAIL'
	assert_output --partial 'demo-add (labs/01-demo/calc.c:15): the lesson labs/01-demo/README.md does not present exercise demo-add: FAIL'
	refute_output --partial 'autograding.json is out of date'
	printf '@test "again" { false; }\n' >>"$P/tests/lab-1.bats"
	MUTANTS=0 check_handout
	assert_output --partial 'autograding.json is out of date (make autograding): FAIL'
}

@test "check-handout stops at a malformed region" {
	make_project
	sed -i '0,/END EXERCISE/{/END EXERCISE/d}' "$P/labs/01-demo/calc.c"
	check_handout
	assert_failure
	assert_output --partial 'BEGIN EXERCISE inside exercise demo-add'
	refute_output --partial '== the handout'
}

@test "autograding.json: one entry per lab, one point per check, and the committed file is in sync" {
	make_project
	run jq -c '.tests[] | [.name, .run, .points, .comparison, .timeout]' "$P/.github/classroom/autograding.json"
	assert_success
	assert_output "$(printf '%s\n' '["lab-1 demo-add","sudo make lab-1 EXERCISE=demo-add",10,"included",10]' \
		'["lab-1 demo-mul","sudo make lab-1 EXERCISE=demo-mul",10,"included",10]' \
		'["lab-1 steps","sudo make lab-1 EXERCISE=steps",1,"included",10]')"
	run "$PODLAB_SRC/scripts/autograding.sh" --check
	assert_success
}

@test "grade.sh: text and TAP as before, and FORMAT=junit is valid XML even when a check prints control bytes" {
	make_project
	make -s -C "$P" BUILD="$P/build"
	sed 's/^TEST /@test /' >>"$P/tests/lab-1.bats" <<'EOF'
TEST "[demo-add] prints <&> and junk" {
	printf '\033[31mred\001 \377 <&>\n'
	false
}
EOF
	export PODLAB_BUILD=$P/build
	run "$P/scripts/grade.sh" 1
	assert_failure
	assert_line 'OK    [demo-add] 2 + 3 is 5'
	assert_line 'FAIL  [demo-add] prints <&> and junk'
	assert_line '  demo-add (moderate): 1/2 checks, 0/10 points'
	assert_line '  demo-mul (moderate): 1/1 checks, 10/10 points'
	assert_line 'Score: 11/21'
	run env FORMAT=tap "$P/scripts/grade.sh" 1
	assert_failure
	assert_line '1..4'
	assert_line 'not ok 4 [demo-add] prints <&> and junk'
	FORMAT=junit "$P/scripts/grade.sh" 1 >"$BATS_TEST_TMPDIR/junit.xml" || true
	xmllint --noout "$BATS_TEST_TMPDIR/junit.xml"
	run xmllint --xpath 'count(//testcase)' "$BATS_TEST_TMPDIR/junit.xml"
	assert_output 4
	run xmllint --xpath 'count(//testcase/failure)' "$BATS_TEST_TMPDIR/junit.xml"
	assert_output 1
}

# ---- make doctor, make clean-host ------------------------------------------------

@test "doctor: one OK/WARN/FAIL line per fact about this machine, a fix under each WARN and FAIL, exit 1 only on a FAIL" {
	run "$PODLAB_SRC/scripts/doctor.sh"
	# every line is a verdict, a fix, blank, or the summary
	local bad
	bad=$(grep -vE '^(OK|WARN|FAIL)  |^      fix: |^$|^doctor: ' <<<"$output" || true)
	[ -z "$bad" ] || { echo "unexpected lines: $bad"; false; }
	assert_line --regexp "^(OK|WARN|FAIL) +kernel $(uname -r)"
	assert_line --regexp '^(OK|WARN|FAIL) +(cgroup|no cgroup)'
	assert_line --regexp '^(OK|WARN|FAIL) +.*overlayfs'
	# this machine's real state: root or not, and the exit status follows the FAILs
	if [ "$(id -u)" -eq 0 ]; then assert_line --regexp '^OK +running as root'; else assert_line --regexp '^FAIL +not root'; fi
	if grep -q '^FAIL' <<<"$output"; then [ "$status" -eq 1 ]; else [ "$status" -eq 0 ]; fi
	# no verdict without its fix
	run awk '/^(WARN|FAIL)/ { want = $0; next } want && !/^      fix: / { print "no fix for: " want } { want = "" }
		END { if (want) print "no fix for: " want }' <<<"$output"
	assert_output ""
}

@test "doctor: a simulated old kernel, non-root, Ubuntu's AppArmor userns restriction, no overlayfs, WSL2, missing packages each get their fix" {
	run env DOCTOR_KERNEL=5.4.0-150-generic DOCTOR_UID=1000 DOCTOR_APPARMOR_USERNS=1 DOCTOR_USERNS_CLONE=0 \
		DOCTOR_OVERLAY=0 DOCTOR_WSL=1 DOCTOR_ARCH=aarch64 DOCTOR_CGROUP=v1 DOCTOR_MISSING="bats jq" \
		"$PODLAB_SRC/scripts/doctor.sh"
	assert_failure 1
	assert_line --regexp '^FAIL +kernel 5.4.0-150-generic: .*5.6'
	assert_line --regexp '^FAIL +not root \(uid 1000\)'
	assert_line --regexp '^WARN +AppArmor restricts unprivileged user namespaces'
	assert_line --partial 'fix: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'
	assert_line --partial 'fix: sysctl -w kernel.unprivileged_userns_clone=1'
	assert_line --regexp '^FAIL +no overlayfs'
	assert_line --regexp '^WARN +WSL2'
	assert_line --regexp '^OK +arm64: no assembly pause'
	assert_line --regexp '^OK +cgroup v1'
	assert_line --partial 'apt-get install -y bats jq'
	assert_line --regexp '^doctor: 4 FAIL'
	# a 5.10 kernel works, without mount_setattr: a WARN, not a FAIL
	run env DOCTOR_KERNEL=5.10.0-28-amd64 DOCTOR_UID=0 DOCTOR_MISSING= "$PODLAB_SRC/scripts/doctor.sh"
	assert_line --regexp '^WARN +kernel 5.10.0-28-amd64: no mount_setattr'
	refute_line --regexp '^FAIL +kernel'
}

# A fake leftover of a crash: a bridge named as podlab names its bridges, with
# no port, and a tmpfs mounted in a /tmp/podrun-test.* directory. CLEAN_MATCH
# keeps clean-host to them (this machine may be running other pods).
fake_leftovers() {
	require_root
	TOKEN=podlabx$$ # a bridge name: at most 15 characters
	ip link add "$TOKEN" type bridge
	defer ip link del "$TOKEN"
	FAKE=/tmp/podrun-test.$TOKEN
	mkdir -p "$FAKE/mnt"
	defer rm -rf --one-file-system "$FAKE"
	mount -t tmpfs -o size=1m podlab-fake "$FAKE/mnt"
	defer umount -l "$FAKE/mnt"
}

@test "clean-host: a dry run names the leftovers and removes nothing" {
	fake_leftovers
	run env CLEAN_MATCH="$TOKEN" "$PODLAB_SRC/scripts/clean-host.sh"
	assert_success
	assert_line "would    mount $FAKE/mnt"
	assert_line "would    bridge $TOKEN (no ports left)"
	assert_line "would    $FAKE"
	ip link show "$TOKEN"
	mountpoint -q "$FAKE/mnt"
	[ -d "$FAKE" ]
}

@test "clean-host FORCE=1: removes the leftover mount, bridge and directory, and leaves a bridge with a foreign port" {
	fake_leftovers
	# a port podlab did not make keeps a podlab-named bridge
	local other=podlaby$$ dummy=pldum$$ # a veth not named veth<PID>
	ip link add "$other" type bridge
	defer ip link del "$other"
	ip link add "$dummy" type veth peer name "pldup$$"
	defer ip link del "$dummy"
	ip link set "$dummy" master "$other"
	run env CLEAN_MATCH="$TOKEN" CLEAN_FORCE=1 "$PODLAB_SRC/scripts/clean-host.sh"
	assert_success
	assert_line "removed  mount $FAKE/mnt"
	assert_line "removed  bridge $TOKEN (no ports left)"
	run ip link show "$TOKEN"
	assert_failure
	refute mountpoint -q "$FAKE/mnt"
	[ ! -e "$FAKE" ]
	run env CLEAN_MATCH="$other" CLEAN_FORCE=1 "$PODLAB_SRC/scripts/clean-host.sh"
	assert_line "left     bridge $other: still has ports: $dummy"
	ip link show "$other"
	ip link show "$dummy"
}

@test "grade.sh: written answers are graded for presence, one point per question of questions.md" {
	make_project
	make -s -C "$P" BUILD="$P/build"
	printf '# Lab 01\n\n### 1. Why?\n\ntext\n\n### 2. How?\n\ntext\n' >"$P/labs/01-demo/questions.md"
	export PODLAB_BUILD=$P/build
	run "$P/scripts/grade.sh" 1 answers
	assert_failure
	assert_line --partial 'FAIL  [answers] answers-lab-1.txt answers question 1 (no answers-lab-1.txt'
	assert_line 'Score: 0/2'
	printf '1. because the kernel says so, twice over\n2.\n' >"$P/answers-lab-1.txt"
	run "$P/scripts/grade.sh" 1 answers
	assert_line 'OK    [answers] answers-lab-1.txt answers question 1'
	assert_line --partial 'FAIL  [answers] answers-lab-1.txt answers question 2'
	printf '2) with setns(2), after the fork\nand more\n' >>"$P/answers-lab-1.txt"
	run "$P/scripts/grade.sh" 1 answers
	assert_success
	assert_line '  written answers: 2/2 answered, 2/2 points'
	# the whole lab counts them too; one exercise alone does not
	run "$P/scripts/grade.sh" 1
	assert_line '  written answers: 2/2 answered, 2/2 points'
	run "$P/scripts/grade.sh" 1 demo-add
	refute_line --partial '[answers]'
}
