#!/usr/bin/env bash
# grade.sh N - grade lab N, the way MIT's xv6 `make grade` does.
#
# Runs tests/lab-N.bats and prints one line per check:
#     OK    [ns-join] step4_setns joins the target's net namespace
#     FAIL  [ns-same] ...
# then "Score: N/M". Exit status 0 only at full marks.
#
# FORMAT=tap    the raw TAP stream (for autograders)
# FORMAT=junit  JUnit XML (bats' own formatter, made valid XML)
# A check's title may start with [exercise-id]: that is the exercise it grades.
set -uo pipefail

lab=${1:?usage: grade.sh LAB-NUMBER}
here=$(cd "$(dirname "$0")/.." && pwd)
file="$here/tests/lab-$lab.bats"
[ -f "$file" ] || { echo "grade.sh: no checks for lab $lab ($file)" >&2; exit 2; }
export PODLAB_SRC="$here"
export PODLAB_BUILD="${PODLAB_BUILD:-$here/build}"

case "${FORMAT:-text}" in
tap) exec bats --tap "$file" ;;
junit)
	# bats' formatter copies a check's output into the XML as it is, but XML
	# 1.0 allows neither control characters (not even as &#27;) nor bytes that
	# are not UTF-8: drop them so that every JUnit reader can parse the report.
	bats --formatter junit "$file" | iconv -c -f UTF-8 -t UTF-8 |
		sed -E 's/&#27;\[[0-9;?]*[A-Za-z]//g; s/&#27;//g' | LC_ALL=C tr -d '\000-\010\013\014\016-\037'
	exit "${PIPESTATUS[0]}"
	;;
text) ;;
*) echo "grade.sh: FORMAT must be text, tap or junit" >&2; exit 2 ;;
esac

echo "== lab $lab: $(sed -n 's/^# *LAB: *//p' "$file" | head -1)"
ok=0 total=0 status=0
while IFS= read -r line; do
	case "$line" in
	"ok "*)
		title=${line#ok * }
		if [[ "$title" == *"# skip"* ]]; then
			printf 'SKIP  %s\n' "${title%% # skip*}"
		else
			printf 'OK    %s\n' "$title"
			ok=$((ok + 1))
		fi
		total=$((total + 1))
		;;
	"not ok "*)
		printf 'FAIL  %s\n' "${line#not ok * }"
		total=$((total + 1))
		;;
	"# "*) [ "${VERBOSE:-1}" = 0 ] || printf '      %s\n' "${line#\# }" ;;
	esac
done < <(bats --tap "$file" 2>&1)
echo "Score: $ok/$total"
[ "$total" -gt 0 ] && [ "$ok" -eq "$total" ] || status=1
exit $status
