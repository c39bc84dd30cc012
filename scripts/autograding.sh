#!/usr/bin/env bash
# autograding.sh - .github/classroom/autograding.json, GitHub Classroom's
# autograder configuration, generated from the checks in tests/lab-N.bats.
#
#   autograding.sh           write the file
#   autograding.sh --check   exit 1 (and show the difference) when the committed
#                            file is not what the bats files say it should be
#   autograding.sh --print   print it
#
# One test per lab: it runs `make lab-N`, which exits 0 only at full marks, and
# is worth one point per check. The checks create namespaces, mounts and links,
# so on GitHub's runners (a user with password-less sudo) it runs under sudo.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/.github/classroom/autograding.json"
RUN=${AUTOGRADING_RUN:-sudo make}
TIMEOUT_MIN=10

json_str() { # a JSON string literal
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

generate() {
	local files=() f n title sep=""
	for f in "$here"/tests/lab-*.bats; do
		[ -f "$f" ] && files+=("$f")
	done
	echo '{'
	echo '  "tests": ['
	# labs in numeric order: lab-10 after lab-9
	for f in $(printf '%s\n' "${files[@]+"${files[@]}"}" | sort -t- -k2 -n); do
		n=$(basename "$f" .bats)
		n=${n#lab-}
		title=$(sed -n 's/^# *LAB: *//p' "$f" | head -1)
		printf '%s    {\n' "$sep"
		printf '      "name": %s,\n' "$(json_str "lab-$n${title:+: $title}")"
		printf '      "setup": "",\n'
		printf '      "run": %s,\n' "$(json_str "$RUN lab-$n")"
		printf '      "input": "",\n'
		printf '      "output": "",\n'
		printf '      "comparison": "included",\n'
		printf '      "timeout": %d,\n' "$TIMEOUT_MIN"
		printf '      "points": %d\n' "$(bats --count "$f")"
		printf '    }'
		sep=$',\n'
	done
	[ -z "$sep" ] || echo
	echo '  ]'
	echo '}'
}

case "${1:-}" in
"")
	mkdir -p "$(dirname "$out")"
	generate >"$out.tmp" && mv "$out.tmp" "$out"
	echo "autograding: ${out#"$here"/}"
	;;
--print) generate ;;
--check)
	if ! diff -u --label "${out#"$here"/} (committed)" --label "generated from tests/lab-*.bats" \
		"$out" <(generate) 2>&1; then
		echo "autograding.sh: ${out#"$here"/} is out of date: run \`make autograding\`" >&2
		exit 1
	fi
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
