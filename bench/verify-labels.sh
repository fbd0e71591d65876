#!/bin/sh
# verify-labels.sh OKFILE BEADLIST [PREFIX] - did the ledger keep every
# write that bench/agents says succeeded?  Run in the ledger repository.
#
# OKFILE holds "bead label" per successful write (agents' OUTPREFIX.ok),
# BEADLIST the beads that run wrote to, PREFIX its label prefix (agents
# -l, default "a").  Reads those beads once (gt-bead-show --stdin | jq)
# and prints "LOST PHANTOM": LOST successful writes whose label is missing
# from its bead (the first few are named on stderr), and PHANTOM labels of
# the run ("<PREFIX><agent>-<seq>") on those beads that no writer reported
# as done (a write that failed yet landed).
set -eu

ok=$1
beads=$2
prefix=${3:-a}
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/verify-labels.XXXXXX")
trap 'rm -rf "$tmp" || :' EXIT
trap 'exit 130' INT TERM

sort -u "$beads" >"$tmp/beads"
# a file, not a pipe: a read that fails must stop the check, not count as
# every write lost
gt-bead-show --json --stdin <"$tmp/beads" >"$tmp/shown"
jq -r --arg p "$prefix" 'select(.labels) | .id as $id | .labels[]
	| select(startswith($p) and (.[($p | length):] | test("^[0-9]+-[0-9]+$")))
	| "\($id) \(.)"' "$tmp/shown" |
	sort >"$tmp/present"
sort "$ok" >"$tmp/ok"
comm -23 "$tmp/ok" "$tmp/present" >"$tmp/lost"
comm -13 "$tmp/ok" "$tmp/present" >"$tmp/phantom"
if [ -s "$tmp/lost" ]; then
	echo "verify-labels: lost writes, for example:" >&2
	head -n 5 "$tmp/lost" >&2
fi
echo "$(awk 'END { print NR }' "$tmp/lost") $(awk 'END { print NR }' "$tmp/phantom")"
