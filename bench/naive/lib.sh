# lib.sh - helpers shared by the naive baseline scripts (sourced, not run).
#
# The baseline does what a careful shell programmer would do with only the
# git CLI and jq, on the same layout as gt (refs/gt/ledger tree,
# beads/<2 hex>/<id>.json, shard = first byte of SHA-256 of the root id),
# but on its own ref so the real ledger stays untouched.

# shellcheck shell=sh
NAIVE_REF=${NAIVE_REF:-refs/naive/ledger}
: "${GIT_AUTHOR_NAME:=${GT_AGENT:-naive}}" "${GIT_AUTHOR_EMAIL:=naive@localhost}"
: "${GIT_COMMITTER_NAME:=$GIT_AUTHOR_NAME}" "${GIT_COMMITTER_EMAIL:=$GIT_AUTHOR_EMAIL}"
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
tab=$(printf '\t')

# The root id: the id without its trailing ".<digits>" parts.
naive_root() {
	r=$1
	while :; do
		case $r in
		?*.*[0-9]) ;;
		*) break ;;
		esac
		case ${r##*.} in
		'' | *[!0-9]*) break ;;
		esac
		r=${r%.*}
	done
	printf %s "$r"
}

naive_shard() {
	printf %s "$(naive_root "$1")" | sha256sum | cut -c1-2
}

# $1 with every "." escaped for a sed regular expression.
naive_regex() {
	rest=$1 esc=
	while :; do
		case $rest in
		*.*) esc="$esc${rest%%.*}\\." rest=${rest#*.} ;;
		*) break ;;
		esac
	done
	printf %s "$esc$rest"
}

# naive_put_tree COMMIT SHARD NAME BLOB: prints the id of COMMIT's root
# tree with beads/SHARD/NAME set to BLOB, rebuilding the shard tree, the
# beads tree and the root tree with ls-tree | sed | mktree.
naive_put_tree() {
	re=$(naive_regex "$3")
	shard_tree=$({
		git ls-tree "$1:beads/$2" 2>/dev/null | sed "/$tab$re\$/d"
		printf '100644 blob %s\t%s\n' "$4" "$3"
	} | git mktree)
	beads_tree=$({
		git ls-tree "$1:beads" | sed "/$tab$2\$/d"
		printf '040000 tree %s\t%s\n' "$shard_tree" "$2"
	} | git mktree)
	{
		git ls-tree "$1" | sed "/${tab}beads\$/d"
		printf '040000 tree %s\tbeads\n' "$beads_tree"
	} | git mktree
}

# naive_commit OLD TREE MESSAGE: commits TREE on OLD and moves the ref from
# OLD to it (update-ref with the old value: a compare-and-swap).  Fails
# when the ref moved meanwhile.
naive_commit() {
	new=$(git commit-tree "$2" -p "$1" -m "$3")
	git update-ref "$NAIVE_REF" "$new" "$1" 2>/dev/null
}

# naive_write WHO ID MESSAGE MAKE_BLOB: the write loop of the baseline.
# Reads the ref, runs "MAKE_BLOB OLD SHARD" for the bead's new blob id, puts it
# at beads/<shard>/ID.json, commits with MESSAGE and compare-and-swaps the
# ref; when the ref moved meanwhile it re-does it all, 20 tries at most
# (then "WHO: ID: lost the race", exit 4).
naive_write() {
	w_shard=$(naive_shard "$2")
	w_tries=0
	while :; do
		w_old=$(git rev-parse --verify -q "$NAIVE_REF^{commit}")
		w_blob=$("$4" "$w_old" "$w_shard")
		w_tree=$(naive_put_tree "$w_old" "$w_shard" "$2.json" "$w_blob")
		naive_commit "$w_old" "$w_tree" "$3" && return 0
		w_tries=$((w_tries + 1))
		if [ "$w_tries" -ge 20 ]; then
			echo "$1: $2: lost the race $w_tries times" >&2
			exit 4
		fi
	done
}
