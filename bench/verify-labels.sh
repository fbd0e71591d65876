#!/bin/sh
# verify-labels.sh OKFILE BEADLIST - did the ledger keep every write that
# bench/agents says succeeded?  Run in the ledger repository.
#
# OKFILE holds "bead label" per successful write (agents' OUTPREFIX.ok),
# BEADLIST the beads that run wrote to.  Reads the ledger once
# (gt-bead-export | jq) and prints "LOST PHANTOM": LOST successful writes
# whose label is missing from its bead (the first few are named on
# stderr), and PHANTOM agent labels ("a<agent>-<seq>") on those beads that
# no writer reported as done (a write that failed yet landed).
set -eu

ok=$1
beads=$2
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/verify-labels.XXXXXX")
trap 'rm -rf "$tmp" || :' EXIT
trap 'exit 130' INT TERM

gt-bead-export | jq -r 'select(.labels) | .id as $id | .labels[]
	| select(test("^a[0-9]+-[0-9]+$")) | "\($id) \(.)"' |
	awk 'NR == FNR { mine[$1] = 1; next } mine[$1]' "$beads" - |
	sort >"$tmp/present"
sort "$ok" >"$tmp/ok"
comm -23 "$tmp/ok" "$tmp/present" >"$tmp/lost"
comm -13 "$tmp/ok" "$tmp/present" >"$tmp/phantom"
if [ -s "$tmp/lost" ]; then
	echo "verify-labels: lost writes, for example:" >&2
	head -n 5 "$tmp/lost" >&2
fi
echo "$(awk 'END { print NR }' "$tmp/lost") $(awk 'END { print NR }' "$tmp/phantom")"
