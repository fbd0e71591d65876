#!/bin/sh
# update-gt-ledger.sh - a server-side `update` hook for a git remote that
# several machines share a town through.
#
# It refuses to rewind or delete refs/gt/ledger (every machine only ever
# fast-forwards it; a rewind would throw other machines' transactions
# away) and refuses refs/gt/wisps/* (ephemeral records are never pushed).
# Every other ref passes.
#
# Enable on the shared (bare) repository:
#   cp hooks/update-gt-ledger.sh /srv/town.git/hooks/update
#   chmod +x /srv/town.git/hooks/update
# (or chain it from an existing update hook: it takes git's arguments).
set -eu

ref=$1 old=$2 new=$3
zero=0000000000000000000000000000000000000000

case $ref in
refs/gt/wisps | refs/gt/wisps/*)
	echo "gt: refusing $ref: ephemeral records are never pushed" >&2
	exit 1
	;;
refs/gt/ledger)
	if [ "$new" = "$zero" ]; then
		echo "gt: refusing to delete $ref" >&2
		exit 1
	fi
	if [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
		echo "gt: refusing a non-fast-forward update of $ref" >&2
		echo "gt: fetch, merge the ledger, and push again" >&2
		exit 1
	fi
	;;
esac
exit 0
