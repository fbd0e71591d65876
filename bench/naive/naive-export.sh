#!/bin/sh
# naive-export.sh - the baseline for gt-bead-export: every bead blob as one
# JSONL line, sorted by id (ls-tree, sort, cat-file --batch).
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

LC_ALL=C
export LC_ALL
git ls-tree -r "$NAIVE_REF" beads |
	awk -F "$tab" '{ n = $2; sub(/.*\//, "", n); sub(/\.json$/, "", n)
		split($1, m, " "); print n "\t" m[3] }' |
	sort | cut -f2 | git cat-file --batch | grep '^{'
