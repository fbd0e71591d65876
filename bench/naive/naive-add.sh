#!/bin/sh
# naive-add.sh TITLE - the baseline for gt-bead-add: a new open task whose
# id is the bead prefix (from the ledger's config blob) and 8 hex digits of
# SHA-256 of the title and the time; written like naive-update.sh.
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

title=$1
prefix=$(git config --blob "$NAIVE_REF:config" bead.prefix || echo bn)
now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
id=$prefix-$(printf '%s%s' "$title" "$now" | sha256sum | cut -c1-8)
shard=$(naive_shard "$id")
blob=$(jq -cn --arg id "$id" --arg title "$title" --arg now "$now" \
	--arg by "$GIT_AUTHOR_NAME" \
	'{id: $id, title: $title, status: "open", priority: 2, issue_type: "task",
	  created_at: $now, created_by: $by, updated_at: $now}' |
	git hash-object -w --stdin)
tries=0
while :; do
	old=$(git rev-parse --verify -q "$NAIVE_REF^{commit}")
	tree=$(naive_put_tree "$old" "$shard" "$id.json" "$blob")
	naive_commit "$old" "$tree" "naive-add: $id: $title" && break
	tries=$((tries + 1))
	if [ "$tries" -ge 20 ]; then
		echo "naive-add: lost the race $tries times" >&2
		exit 4
	fi
done
echo "$id"
