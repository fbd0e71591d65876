#!/bin/sh
# naive-update.sh ID [PRIORITY] - the baseline for gt-bead-update -p: read
# the bead's blob, set priority (PRIORITY, or the next value mod 5) and
# updated_at with jq, write the blob, rebuild the three trees above it,
# commit, and compare-and-swap the ref (re-doing it all if the ref moved).
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

id=$1
prio=${2:-null}
now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
# the bead's blob in commit $1 (shard $2) with the new priority and
# updated_at
updated_blob() {
	git cat-file blob "$1:beads/$2/$id.json" |
		jq -c --argjson p "$prio" --arg now "$now" \
			'.priority = ($p // ((.priority + 1) % 5)) | .updated_at = $now' |
		git hash-object -w --stdin
}
naive_write naive-update "$id" "naive-update: $id" updated_blob
