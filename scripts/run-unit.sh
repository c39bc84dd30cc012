#!/usr/bin/env bash
# run-unit.sh TEST... - run Criterion unit test binaries, one summary line each.
set -uo pipefail
fail=0
for t in "$@"; do
	echo "== unit: $(basename "$t")"
	"$t" --jobs 1 || fail=1
done
exit $fail
