#!/bin/sh
# naive-import.sh FILE - the baseline for gt-bead-import: turn Beads JSONL
# into a git fast-import stream (one blob per bead at its sharded path, one
# commit on refs/naive/import) with jq, awk and sha256sum.
#
# Shards need SHA-256 of each root id; running sha256sum once per bead
# would cost a process each, so every root id is written to its own file
# and hashed by a few sha256sum processes (find -exec {} +).  Existing
# beads are not merged: this is a bulk load into an empty ref.
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

file=$1
LC_ALL=C
export LC_ALL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/naive-import.XXXXXX")
trap 'rm -rf "$tmp" || :' EXIT
trap 'exit 130' INT TERM

# "id<TAB>compact json" per bead (jq also validates the input)
jq -r '"\(.id)\t\(tojson)"' "$file" >"$tmp/beads"

# root id -> shard
mkdir "$tmp/roots"
cut -f1 "$tmp/beads" | sed 's/\(\.[0-9][0-9]*\)*$//' | sort -u |
	(cd "$tmp/roots" && while IFS= read -r r; do printf %s "$r" >"$r"; done)
(cd "$tmp/roots" && find . -type f -exec sha256sum {} +) |
	awk '{ print substr($2, 3) "\t" substr($1, 1, 2) }' >"$tmp/shards"

awk -F "$tab" -v now="$(date +%s)" '
	NR == FNR { shard[$1] = $2; next }
	{
		id = $1; json = substr($0, length(id) + 2); root = id
		while (match(root, /\.[0-9]+$/)) root = substr(root, 1, RSTART - 1)
		n++
		printf "blob\nmark :%d\ndata %d\n%s\n", n, length(json) + 1, json
		path[n] = "beads/" shard[root] "/" id ".json"
	}
	END {
		printf "commit refs/naive/import\n"
		printf "committer naive <naive@localhost> %s +0000\n", now
		printf "data 12\nnaive-import\n"
		for (i = 1; i <= n; i++) printf "M 100644 :%d %s\n", i, path[i]
		printf "\n"
	}' "$tmp/shards" "$tmp/beads" | git fast-import --quiet --force
