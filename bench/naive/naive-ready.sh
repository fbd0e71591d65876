#!/bin/sh
# naive-ready.sh - the baseline for gt-ready: read every bead blob (ls-tree,
# cat-file --batch), then compute ready work with jq.
#
# A simplified but honest rule, not all of Beads': a bead is ready when it
# is open, none of its "blocks" edges points at an existing bead that is
# not closed, and its parent (one level only) is not blocked that way.
# Output like gt-ready: priority order, newest first, at most 100.
# (The id map is built with reduce: jq 1.6's INDEX/|= is quadratic and
# takes over ten minutes at 100k beads.)
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

git ls-tree -r "$NAIVE_REF" beads | awk '{ print $3 }' |
	git cat-file --batch | grep '^{' |
	jq -c '{id, title, status, priority, created_at,
		b: [.dependencies[]? | select(.type == "blocks") | .depends_on_id],
		p: ([.dependencies[]? | select(.type == "parent-child") | .depends_on_id][0])}' |
	jq -s -r '
		(reduce .[] as $b ({}; .[$b.id] = $b)) as $by
		| def blocked: any(.b[]; $by[.] != null and $by[.].status != "closed");
		map(select(.status == "open" and (blocked | not)
			and (.p == null or $by[.p] == null or ($by[.p] | blocked | not))))
		| sort_by(.created_at) | reverse | sort_by(.priority) | .[:100][]
		| "\(.id)\tP\(.priority)\t\(.title)"'
