#!/usr/bin/env bash
# handout.sh - the student handout: the solution with every exercise region
# replaced by a TODO and a stub that compiles and fails at run time.
#
#   handout.sh tree DIR [LAB]      write the whole student tree to DIR; with
#                                  LAB, assignment LAB: the exercises of the
#                                  labs before it keep their solution
#                                  (a bug in lab 3 does not zero labs 4, 5)
#   handout.sh stub FILE [ID...]   print FILE with its regions stubbed, except
#                                  the exercises named (those keep the solution)
#   handout.sh list                every exercise: ID, lab, file, line, title,
#                                  difficulty, minutes, needs (tab-separated;
#                                  difficulty and minutes empty when untagged,
#                                  needs a space-separated list of ids); exit 1
#                                  on a malformed region
#
# The handout holds what git tracks (HANDOUT_UNTRACKED=1: and the untracked
# files it does not ignore, as check-handout proves the working tree).
#
# A region in a source file under labs/ or capstone/ (lessons, *.md, are prose
# and left alone):
#
#	/* BEGIN EXERCISE: ns-join (moderate, 45 min): join a set of namespaces with setns(2)
#	 * Hint: README.md "Joining: setns"; man 2 setns */
#	/* STUB: (void)fds; return exercise_todo(1, "ns-join"); */
#	... the solution ...
#	/* END EXERCISE */
#
# becomes, at the indentation of the BEGIN line,
#
#	/* TODO(lab-1): ns-join (moderate, 45 min): join a set of namespaces with setns(2)
#	 * Hint: README.md "Joining: setns"; man 2 setns */
#	(void)fds;
#	return exercise_todo(1, "ns-join");
#
# "(DIFFICULTY, N min)" after the id is how hard the exercise is (easy,
# moderate or hard) and about how long it takes; grade.sh gives it points.
# A " * Needs: ID, ID" line in the BEGIN comment names the exercises that must
# be done before this one's checks can pass (its checks run a pod, and the
# stubs of those exercises stop every pod): check-handout fills them in with
# it, and the handout's EXERCISES.md tells the student to do them first.
# The STUB comment may be wrapped over several lines (clang-format does that
# to long ones). Without a STUB the stub is `return exercise_todo(N, "ID");`. N is the
# lab's number, from its directory labs/0N-name/; the capstone counts as 7 (after lab 06).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
MARK='^[[:space:]]*/\* BEGIN EXERCISE:'

# Files a student must not see: the course tooling itself and its lesson.
EXCLUDE=(
	scripts/handout.sh scripts/check-handout.sh scripts/autograding.sh
	mk/course.mk tests/course.bats docs/course.md
)
# Directories a student must not see: the wrong solutions the checks must
# catch, and the instructor's answer key to the written questions.
EXCLUDE_DIRS=(tests/mutants docs/answers)

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# The lab a file belongs to: its number for labs/0N-*/, 7 for capstone/.
lab_of() {
	if [[ $1 =~ ^labs/([0-9]+)- ]]; then
		echo $((10#${BASH_REMATCH[1]}))
	elif [[ $1 == capstone/* ]]; then
		echo 7
	else
		echo "handout.sh: $1: exercise regions live under labs/NN-name/ or capstone/" >&2
		return 1
	fi
}

# The project's files, relative to $here: what git knows (tracked, and
# untracked but not ignored), or every file outside build/ without git.
project_files() {
	if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		if [ "${HANDOUT_UNTRACKED:-0}" = 1 ]; then
			git -C "$here" ls-files --cached --others --exclude-standard
		else
			git -C "$here" ls-files --cached
		fi
	else
		(cd "$here" && find . -path ./build -prune -o \( -type f -o -type l \) -print | sed 's|^\./||')
	fi | sort -u | while IFS= read -r f; do
		[ -e "$here/$f" ] || [ -L "$here/$f" ] || continue # deleted, not yet committed
		printf '%s\n' "$f"
	done
}

# Files that may hold regions: sources under labs/ and capstone/.
region_files() {
	project_files | grep -E '^(labs|capstone)/' | grep -v '\.md$' |
		while IFS= read -r f; do
			[ -f "$here/$f" ] && grep -qE "$MARK" "$here/$f" && printf '%s\n' "$f"
		done
	return 0
}

# transform MODE FILE KEEP: MODE stub prints the file, list prints its
# exercises. KEEP is a space-separated list of ids whose solution stays.
transform() {
	local mode=$1 f=$2 keep=$3 lab
	lab=$(lab_of "$f")
	local todo="TODO(lab-$lab):"
	[[ $f == capstone/* ]] && todo="TODO(capstone):"
	awk -v mode="$mode" -v file="$f" -v lab="$lab" -v todo="$todo" -v keep=" $keep " '
	function err(msg) { printf "%s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1 }
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	function out(s) { if (mode == "stub") print s }
	function listed() {
		if (mode == "list")
			printf "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", id, lab, file, begin, title, level, minutes, needs
	}
	# Print CODE one statement a line: split at top-level semicolons, never
	# inside parentheses, brackets, braces or quotes.
	function print_code(code, indent,    i, c, q, depth, cur) {
		q = ""; depth = 0; cur = ""
		for (i = 1; i <= length(code); i++) {
			c = substr(code, i, 1)
			cur = cur c
			if (q != "") {
				if (c == "\\") { i++; cur = cur substr(code, i, 1) }
				else if (c == q) q = ""
			} else if (c == "\"" || c == "'\''") q = c
			else if (index("([{", c)) depth++
			else if (index(")]}", c)) {
				if (--depth == 0 && c == "}") { out(indent trim(cur)); cur = "" }
			} else if (c == ";" && depth == 0) { out(indent trim(cur)); cur = "" }
		}
		if (trim(cur) != "") out(indent trim(cur))
	}
	/^[ \t]*\/\* BEGIN EXERCISE:/ {
		if (inreg) { err("BEGIN EXERCISE inside exercise " id " (opened at line " begin "): regions do not nest"); next }
		match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
		rest = $0; sub(/^[ \t]*\/\* BEGIN EXERCISE:/, "", rest)
		hdr_open = (rest !~ /\*\//)
		sub(/\*\/[ \t]*$/, "", rest)
		colon = index(rest, ":")
		id = trim(colon ? substr(rest, 1, colon - 1) : rest)
		title = colon ? trim(substr(rest, colon + 1)) : ""
		level = ""; minutes = ""
		if (id ~ / \((easy|moderate|hard), [0-9]+ min\)$/) {
			level = id; sub(/^[^(]*\(/, "", level); minutes = level
			sub(/,.*/, "", level); sub(/^[^,]*, /, "", minutes); sub(/ min\)$/, "", minutes)
			sub(/ \(.*/, "", id)
		}
		if (id !~ /^[a-z0-9][a-z0-9-]*$/ || title == "")
			err("malformed BEGIN EXERCISE: want \"/* BEGIN EXERCISE: id (easy|moderate|hard, N min): title\" (id in a-z, 0-9, -)")
		inreg = 1; begin = NR; stub = ""; nstub = 0; needs = ""; nneeds = 0
		kept = index(keep, " " id " ") > 0
		if (!hdr_open) listed()
		if (kept) { out($0); next }
		line = $0; sub(/BEGIN EXERCISE:/, todo, line); out(line)
		next
	}
	# The comment of BEGIN EXERCISE goes on: hints, and what must be done first.
	hdr_open {
		out($0)
		if ($0 ~ /^[ \t]*\*[ \t]*Needs:/) {
			s = $0; sub(/^[ \t]*\*[ \t]*Needs:/, "", s); sub(/\*\/.*$/, "", s)
			gsub(/,/, " ", s); s = trim(s); gsub(/[ \t]+/, " ", s)
			if (++nneeds > 1) err("a second Needs line in exercise " id)
			if (s == "" || s !~ /^[a-z0-9][a-z0-9-]*( [a-z0-9][a-z0-9-]*)*$/)
				err("malformed Needs: want \" * Needs: id, id...\" (exercise ids)")
			needs = s
		}
		if ($0 ~ /\*\//) { hdr_open = 0; listed() }
		next
	}
	# The STUB comment: one line, or several where clang-format wrapped it
	# (its continuation lines start with " * ").
	stub_open && /^[ \t]*\/\* END EXERCISE \*\/[ \t]*$/ {
		line = NR; NR = stub_line; err("the STUB comment of exercise " id " is never closed"); NR = line
		stub_open = 0
	}
	stub_open {
		s = $0; sub(/^[ \t]*\*([ \t]|$)/, "", s)
		if (kept) out($0)
		if (s ~ /\*\//) { sub(/\*\/.*$/, "", s); stub_open = 0 }
		stub = trim(stub " " trim(s))
		next
	}
	/^[ \t]*\/\* STUB:/ {
		if (!inreg) { err("STUB outside an exercise region"); next }
		if (++nstub > 1) err("a second STUB line in exercise " id)
		s = $0; sub(/^[ \t]*\/\* STUB:/, "", s)
		if (s ~ /\*\//) sub(/\*\/.*$/, "", s)
		else { stub_open = 1; stub_line = NR }
		stub = trim(s)
		if (kept) out($0)
		next
	}
	/^[ \t]*\/\* END EXERCISE \*\/[ \t]*$/ {
		if (!inreg) { err("END EXERCISE without BEGIN EXERCISE"); next }
		if (kept) out($0)
		else if (stub != "") print_code(stub, indent)
		else out(indent "return exercise_todo(" lab ", \"" id "\");")
		inreg = 0
		next
	}
	/\/\*[ \t]*(BEGIN EXERCISE|END EXERCISE|STUB:)/ {
		err("looks like an exercise marker but is not one: \"" trim($0) "\"")
	}
	{ if (!inreg || kept) out($0) }
	END {
		if (stub_open) { NR = stub_line; err("the STUB comment of exercise " id " is never closed") }
		else if (hdr_open) { NR = begin; err("the comment of BEGIN EXERCISE " id " is never closed") }
		else if (inreg) { NR = begin; err("BEGIN EXERCISE " id " has no END EXERCISE") }
		exit bad
	}' "$here/$f"
}

cmd_list() {
	local f rc=0 out id dup
	out=$(mktemp)
	while IFS= read -r f; do
		transform list "$f" "" >>"$out" || rc=1
	done < <(region_files)
	dup=$(cut -f1 "$out" | sort | uniq -d)
	for id in $dup; do
		echo "handout.sh: exercise id '$id' is used twice:" \
			"$(awk -F'\t' -v id="$id" '$1 == id {printf " %s:%s", $3, $4}' "$out")" >&2
		rc=1
	done
	cat "$out"
	rm -f "$out"
	return $rc
}

cmd_stub() {
	local f=${1:?usage: handout.sh stub FILE [ID...]}
	shift
	f=$(realpath -m --relative-to="$here" "$f")
	transform stub "$f" "$*"
}

# exercises_md LIST KEEP: the handout's EXERCISES.md, from `list`: every
# exercise still to do, lab by lab, with what to do first.
exercises_md() {
	local list=$1 keep=" $2 "
	cat <<'EOF'
# Exercises

Every exercise is a `TODO(lab-N)` (the capstone's: `TODO(capstone)`) in the
file named below; `make lab-N` grades it (the capstone: `make lab-7`), and
the lab's README.md presents it at its end. Points: easy 5, moderate 10,
hard 20, when every check of the exercise passes.

**Do first**: the checks of some exercises run a pod, and a pod starts only
once the exercises every pod start goes through are done. Until then those
checks fail, however right the code under test is.

| exercise | lab | file | difficulty | time | do first |
|---|---|---|---|---|---|
EOF
	awk -F'\t' -v keep="$keep" 'index(keep, " " $1 " ") == 0 {
		first = $8; gsub(/ /, "`, `", first)
		printf "| `%s` | %s | %s | %s | %s | %s |\n", $1, ($2 == 7) ? "capstone" : sprintf("%02d", $2),
			$3, $6 ? $6 : "moderate", $7 ? $7 " min" : "", first ? "`" first "`" : ""
	}' <<<"$list" | sort -t'|' -k3,3 -s
}

cmd_tree() {
	local dir=${1:?usage: handout.sh tree DIR [LAB]} upto=${2:-} f keep=""
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	# Never wipe the repository or anything that holds it, nor a directory that
	# is not an earlier handout.
	case "$here/" in "$dir"/*)
		echo "handout.sh: refusing to write the handout over $dir (it holds the repository)" >&2
		exit 1
		;;
	esac
	if [ -n "$(ls -A "$dir")" ] && { [ -e "$dir/.git" ] || [ ! -f "$dir/tests/helpers.bash" ]; }; then
		echo "handout.sh: $dir is not empty and is not an earlier handout; choose another HANDOUT" >&2
		exit 1
	fi
	find "$dir" -mindepth 1 -delete

	# Check every region first: a malformed one stops the handout.
	local exercises
	exercises=$(cmd_list) || exit 1

	if [ -n "$upto" ]; then
		[[ $upto =~ ^[0-9]+$ ]] || { echo "handout.sh: LAB must be a lab number (7: the capstone)" >&2; exit 2; }
		keep=$(awk -F'\t' -v n="$upto" '$2 < n {printf "%s ", $1}' <<<"$exercises")
	fi
	local skip=" ${EXCLUDE[*]} " d
	project_files | while IFS= read -r f; do
		[[ $skip == *" $f "* ]] && continue
		for d in "${EXCLUDE_DIRS[@]}"; do [[ $f == "$d"/* ]] && continue 2; done
		printf '%s\0' "$f"
	done | (cd "$here" && tar --null -T - -cf -) | tar -C "$dir" -xf -

	local n=0
	while IFS= read -r f; do
		transform stub "$f" "$keep" >"$dir/$f"
		n=$((n + 1))
	done < <(region_files)
	exercises_md "$exercises" "$keep" >"$dir/EXERCISES.md"
	local nkept
	nkept=$(wc -w <<<"$keep")
	echo "handout: $dir ($(($(grep -c . <<<"$exercises") - nkept)) exercises stubbed in $n files${upto:+, assignment $upto: $nkept exercises of earlier labs solved})"
}

case "${1:-}" in
tree) shift && cmd_tree "$@" ;;
stub) shift && cmd_stub "$@" ;;
list) shift && cmd_list "$@" ;;
*) usage ;;
esac
