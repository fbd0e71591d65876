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
shard=$(naive_shard "$id")
now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
tries=0
while :; do
	old=$(git rev-parse --verify -q "$NAIVE_REF^{commit}")
	blob=$(git cat-file blob "$old:beads/$shard/$id.json" |
		jq -c --argjson p "$prio" --arg now "$now" \
			'.priority = ($p // ((.priority + 1) % 5)) | .updated_at = $now' |
		git hash-object -w --stdin)
	tree=$(naive_put_tree "$old" "$shard" "$id.json" "$blob")
	naive_commit "$old" "$tree" "naive-update: $id" && break
	tries=$((tries + 1))
	if [ "$tries" -ge 20 ]; then
		echo "naive-update: $id: lost the race $tries times" >&2
		exit 4
	fi
done
