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
blob=$(jq -cn --arg id "$id" --arg title "$title" --arg now "$now" \
	--arg by "$GIT_AUTHOR_NAME" \
	'{id: $id, title: $title, status: "open", priority: 2, issue_type: "task",
	  created_at: $now, created_by: $by, updated_at: $now}' |
	git hash-object -w --stdin)
# the new bead's blob whatever the ledger holds
new_blob() {
	echo "$blob"
}
naive_write naive-add "$id" "naive-add: $id: $title" new_blob
echo "$id"
