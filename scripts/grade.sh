#!/usr/bin/env bash
# grade.sh - grade the labs, the way MIT's xv6 `make grade` does: points per
# exercise, a total at the end.
#
#   grade.sh N          lab N (N = 0..6; 7 or "capstone" for the capstone)
#   grade.sh N ID       only exercise ID's checks (one GitHub Classroom test)
#   grade.sh N steps    only lab N's untagged checks (the step programs)
#   grade.sh N answers  only lab N's written answers (answers-lab-N.txt)
#   grade.sh all        every lab, then the total
#   PRISTINE=DIR grade.sh --restore-only   restore (below), grade nothing
#
# A check titled "[ID] ..." grades exercise ID; the exercise's points are
# earned when every one of its checks passes. Its marker in the source says
# how hard it is, "BEGIN EXERCISE: ID (moderate, 45 min): ..." (the handout's
# "TODO(lab-N): ID (moderate, 45 min): ..."): easy 5 points, moderate 10,
# hard 20. A check without a tag grades a step program: 1 point. A lab with
# written questions (labs/0N-*/questions.md) wants answers-lab-N.txt at the
# top of the tree: 1 point per question answered (present, not judged).
# Output, one line per check, then per exercise and the score:
#     OK    [ns-join] step4_setns joins the target's net namespace
#     FAIL  [ns-same] ...
#     ns-join (moderate): 5/5 checks, 10/10 points
#     Score: 31/35
# Exit status 0 only at full marks.
#
# PRISTINE=DIR or PRISTINE=FILE.tar.gz: the student handout as it was handed
# out. Before grading, tests/, scripts/, the Makefiles and mk/ are restored
# from it, so a grade never depends on a student's copy of the checks.
# FORMAT=tap    the raw TAP stream (for autograders)
# FORMAT=junit  JUnit XML (bats' own formatter, made valid XML)
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export PODLAB_SRC="$here"
export PODLAB_BUILD="${PODLAB_BUILD:-$here/build}"
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage

# ---- restore the grading files from the pristine handout, then start over ----
if [ -n "${PRISTINE:-}" ] && [ -z "${PODLAB_RESTORED:-}" ]; then
	src=$PRISTINE tmp=""
	if [ -f "$src" ]; then
		tmp=$(mktemp -d) && tar -C "$tmp" -xzf "$src" || exit 2
		src=$tmp
		[ -d "$src/podlab" ] && src=$src/podlab
	fi
	[ -f "$src/tests/helpers.bash" ] || { echo "grade.sh: $PRISTINE is not a podlab handout" >&2; exit 2; }
	rm -rf "$here/tests" "$here/scripts" "$here/mk"
	cp -a "$src/tests" "$src/scripts" "$here/"
	[ -d "$src/mk" ] && cp -a "$src/mk" "$here/"
	cp -a "$src/Makefile" "$here/Makefile"
	for f in "$src"/labs/*/lab.mk "$src"/capstone/capstone.mk; do
		[ -f "$f" ] && cp -a "$f" "$here/${f#"$src"/}"
	done
	[ -z "$tmp" ] || rm -rf "$tmp"
	echo "grade: tests/, scripts/ and the Makefiles restored from $PRISTINE"
	[ "$1" = --restore-only ] && exit 0
	PODLAB_RESTORED=1 exec "$here/scripts/grade.sh" "$@"
fi
[ "$1" != --restore-only ] || { echo "grade.sh: --restore-only needs PRISTINE" >&2; exit 2; }

points_of() {
	case $1 in easy) echo 5 ;; hard) echo 20 ;; *) echo 10 ;; esac
}
# The difficulty of every exercise, from its marker: "ID DIFFICULTY".
difficulties() {
	grep -rhoE '(BEGIN EXERCISE|TODO\((lab-[0-9]+|capstone)\)): [a-z0-9-]+ \((easy|moderate|hard), [0-9]+ min\)' \
		"$here/labs" "$here/capstone" 2>/dev/null |
		sed -E 's/.*: ([a-z0-9-]+) \(([a-z]+), .*/\1 \2/'
}
declare -A DIFF
while read -r id d; do DIFF[$id]=$d; done < <(difficulties)

lab_files() { # the bats files of a lab
	case $1 in
	7 | capstone) ls "$here"/tests/capstone/*.bats 2>/dev/null ;;
	*) [ -f "$here/tests/lab-$1.bats" ] && echo "$here/tests/lab-$1.bats" ;;
	esac
}

# ---- the written questions, graded for presence (as xv6 grades answers-*.txt) ----
# labs/0N-*/questions.md numbers its questions "### 1. ...";
# answers-lab-N.txt at the top of the tree answers each: a line that starts
# with the number ("1." or "1)"), then the answer, on that line and the lines
# after, up to the next number. An answer needs MIN_ANSWER non-blank
# characters; 1 point each. Whether it is right is for the instructor.
MIN_ANSWER=${MIN_ANSWER:-20}
grade_answers() {
	local lab=$1 q n k file got=0 len
	[[ $lab =~ ^[0-9]$ ]] || return 0
	q=$(ls "$here"/labs/0"$lab"-*/questions.md 2>/dev/null | head -1)
	[ -n "$q" ] || return 0
	n=$(grep -cE '^### [0-9]+\.' "$q")
	[ "$n" -gt 0 ] || return 0
	file=$here/answers-lab-$lab.txt
	for k in $(seq "$n"); do
		len=0
		[ -f "$file" ] && len=$(awk -v k="$k" '
			/^[ \t]*[0-9]+[.)]/ { match($0, /[0-9]+/); cur = substr($0, RSTART, RLENGTH) + 0
				if (cur == k) { on = 1; sub(/^[ \t]*[0-9]+[.)]/, "") } else on = 0 }
			on { gsub(/[ \t\r]/, ""); n += length($0) }
			END { print n + 0 }' "$file")
		if [ "$len" -ge "$MIN_ANSWER" ]; then
			printf '%-5s %s\n' OK "[answers] answers-lab-$lab.txt answers question $k"
			got=$((got + 1))
		elif [ -f "$file" ]; then
			printf '%-5s %s\n' FAIL "[answers] answers-lab-$lab.txt answers question $k (no answer of $MIN_ANSWER characters after \"$k.\")"
		else
			printf '%-5s %s\n' FAIL "[answers] answers-lab-$lab.txt answers question $k (no answers-lab-$lab.txt: see ${q#"$here"/})"
		fi
	done
	printf '  written answers: %d/%d answered, %d/%d points\n' "$got" "$n" "$got" "$n"
	total=$((total + n)) earned=$((earned + got))
}

total=0 earned=0
# grade_lab N [ID]: print the checks, the exercises, and add to the totals.
grade_lab() {
	local lab=$1 only=${2:-} files filter=() f line title id st
	if [ "$only" = answers ]; then # only the written answers
		grade_answers "$lab"
		return 0
	fi
	files=$(lab_files "$lab")
	[ -n "$files" ] || { echo "grade.sh: no checks for lab $lab" >&2; return 2; }
	# The capstone's own suite is long: only its graded (tagged) checks count.
	if [ -n "$only" ] && [ "$only" != steps ]; then filter=(--filter "^\[$only\]")
	elif [ "$lab" = 7 ] || [ "$lab" = capstone ]; then filter=(--filter '^\[')
	fi
	echo "== $( [ "$lab" = 7 ] || [ "$lab" = capstone ] && echo capstone || echo "lab $lab: $(sed -n 's/^# *LAB: *//p' $files | head -1)")"
	declare -A n_ok n_all
	local steps_ok=0 steps_all=0
	# shellcheck disable=SC2086
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			title=${line#not }
			title=${title#ok } title=${title#* }
			st=FAIL
			if [[ $line == "ok "* ]]; then
				if [[ $title == *"# skip"* ]]; then st=SKIP title=${title%% # skip*}; else st=OK; fi
			fi
			printf '%-5s %s\n' "$st" "$title"
			id=""
			[[ $title =~ ^\[([a-z0-9-]+)\] ]] && id=${BASH_REMATCH[1]}
			if [ "$only" = steps ] && [ -n "$id" ]; then
				continue
			elif [ -n "$id" ]; then
				n_all[$id]=$((${n_all[$id]:-0} + 1))
				[ "$st" = OK ] && n_ok[$id]=$((${n_ok[$id]:-0} + 1))
			else
				steps_all=$((steps_all + 1))
				[ "$st" = OK ] && steps_ok=$((steps_ok + 1))
			fi
			;;
		"# "*) [ "${VERBOSE:-1}" = 0 ] || printf '      %s\n' "${line#\# }" ;;
		esac
	done < <(for f in $files; do (cd "$here" && bats --tap "${filter[@]}" "$f" 2>&1); done)
	local p got
	for id in $(printf '%s\n' "${!n_all[@]}" | sort); do
		p=$(points_of "${DIFF[$id]:-}") got=0
		[ "${n_ok[$id]:-0}" -eq "${n_all[$id]}" ] && got=$p
		printf '  %s (%s): %d/%d checks, %d/%d points\n' "$id" "${DIFF[$id]:-moderate}" \
			"${n_ok[$id]:-0}" "${n_all[$id]}" "$got" "$p"
		total=$((total + p)) earned=$((earned + got))
	done
	if [ "$steps_all" -gt 0 ]; then
		printf '  step programs: %d/%d checks, %d/%d points\n' "$steps_ok" "$steps_all" "$steps_ok" "$steps_all"
		total=$((total + steps_all)) earned=$((earned + steps_ok))
	fi
	[ -n "$only" ] || grade_answers "$lab"
	[ -z "$only" ] || [ "$only" = steps ] || [ "${n_all[$only]:-0}" -gt 0 ] || { echo "grade.sh: no check is tagged [$only]" >&2; return 2; }
}

lab=$1 only=${2:-${EXERCISE:-}}
case "${FORMAT:-text}" in
tap) exec bats --tap $(lab_files "$lab") ;;
junit)
	# bats' formatter copies a check's output into the XML as it is, but XML
	# 1.0 allows neither control characters (not even as &#27;) nor bytes that
	# are not UTF-8: drop them so that every JUnit reader can parse the report.
	# shellcheck disable=SC2046
	bats --formatter junit $(lab_files "$lab") | iconv -c -f UTF-8 -t UTF-8 |
		sed -E 's/&#27;\[[0-9;?]*[A-Za-z]//g; s/&#27;//g' | LC_ALL=C tr -d '\000-\010\013\014\016-\037'
	exit "${PIPESTATUS[0]}"
	;;
text) ;;
*) echo "grade.sh: FORMAT must be text, tap or junit" >&2; exit 2 ;;
esac

if [ "$lab" = all ]; then
	for f in "$here"/tests/lab-*.bats; do
		n=${f##*/lab-} n=${n%.bats}
		grade_lab "$n"
		echo
	done
	[ -n "$(lab_files 7)" ] && grade_lab 7 && echo
else
	grade_lab "$lab" "$only" || exit $?
fi
echo "Score: $earned/$total"
[ "$total" -gt 0 ] && [ "$earned" -eq "$total" ]
