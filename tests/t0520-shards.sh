#!/bin/sh
# Shards that grow with the ledger (gt-ledger(5), TREE LAYOUT): a shard
# past the threshold is split into subtrees by the write that takes it
# past; every read finds the beads where they went; a ledger of the
# one-level layout keeps working and is migrated by the writes that reach
# it, concurrent ones and killed ones included, losing nothing; import
# writes big new shards split; verify checks the layout.  The threshold is
# made tiny here ($GT_SHARD_SPLIT) so small ledgers split.
. "$(dirname "$0")/lib/test.sh"

# N beads as Beads JSONL, ids <prefix>-<tag><n>
beads_jsonl() {
	awk -v n="$1" -v tag="$2" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"id\":\"t-%s%d\",\"title\":\"bead %s %d\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":\"2025-01-01T00:00:00Z\"}\n", tag, i, tag, i
	}'
}

# depth of each bead file: "3" one level, "4" split
depths() {
	git ls-tree -r --name-only refs/gt/ledger beads | awk -F/ "{ print NF }" | sort | uniq -c |
		awk "{ printf \"%s:%s \", \$2, \$1 }"
}

split_files() {
	git ls-tree -r --name-only refs/gt/ledger beads | awk -F/ "NF == 4" | wc -l
}

flat_files() {
	git ls-tree -r --name-only refs/gt/ledger beads | awk -F/ "NF == 3" | wc -l
}

# every shard holds bead files or subtrees, never both; every file is in
# the shard and subtree its id hashes to (gt-maintain --verify checks it
# too: this is a second, independent look)
layout_ok() {
	git ls-tree -r --name-only refs/gt/ledger beads >files &&
	awk -F/ "{ print \$2, NF }" files | sort -u | awk "{ print \$1 }" | uniq -d >mixed &&
	{ [ ! -s mixed ] || die "shards with files and subtrees: $(cat mixed)"; } &&
	python3 -c '
import hashlib, re, sys
bad = 0
for line in open("files"):
    p = line.strip().split("/")
    name = p[-1][:-5]
    root = name
    while re.search(r"\.[0-9]+$", root):
        root = re.sub(r"\.[0-9]+$", "", root)
    h = hashlib.sha256(root.encode()).hexdigest()
    if p[1] != h[0:2] or (len(p) == 4 and p[2] != h[2:4]):
        print("misplaced:", line.strip()); bad = 1
sys.exit(bad)'
}

test_expect_success 'a shard past the threshold is split by the write that passes it' '
	new_ledger s && cd s &&
	beads_jsonl 600 a | GT_SHARD_SPLIT=0 gt-bead-import -q - &&
	assert_eq "3:600 " "$(depths)" "one level with splitting off" &&
	gt-bead-list -n 0 --json | jq -S . >before.json &&
	# shards hold ~2.3 beads each: at 3 the next add to a shard of 3
	# splits it
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		GT_SHARD_SPLIT=3 gt-bead-add -q --id "t-b$i" "added $i" || exit 1
	done &&
	n=$(split_files) && [ "$n" -gt 0 ] &&
	assert_eq 620 "$((n + $(flat_files)))" "bead files" &&
	layout_ok &&
	gt-maintain -q --verify --no-repack &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		gt-bead-show --json "t-b$i" | jq -e ".title == \"added $i\"" >/dev/null || exit 1
	done &&
	gt-bead-list -n 0 --json | jq -S "select(.id | startswith(\"t-a\"))" >after.json &&
	cmp before.json after.json
'

test_expect_success 'beads in split shards: update, close, deps, children, delete' '
	cd s &&
	export GT_SHARD_SPLIT=3 &&
	a=$(git ls-tree -r --name-only refs/gt/ledger beads | awk -F/ "NF == 4" | head -n 1) &&
	id=$(basename "$a" .json) &&
	gt-bead-update -q "$id" --status in_progress --assignee alice &&
	assert_eq in_progress "$(gt-bead-show --json "$id" | jq -r .status)" "status" &&
	gt-bead-add -q --parent "$id" "first child" &&
	gt-bead-add -q --parent "$id" "second child" &&
	gt-bead-show --json "$id.2" | jq -e ".title == \"second child\"" &&
	gt-bead-dep add t-b1 "$id" &&
	gt-blocked --json | jq -r .id | grep -qx t-b1 &&
	gt-bead-close -q "$id" &&
	gt-bead-close -q "$id.1" "$id.2" &&
	! gt-blocked --json | jq -r .id | grep -qx t-b1 &&
	gt-bead-delete -q t-b2 &&
	gt-bead-show --json t-b2 | jq -e ".status == \"tombstone\"" &&
	layout_ok &&
	gt-maintain -q --verify --no-repack
'

test_expect_success 'the index refreshed across splits answers as one built from nothing' '
	cd s &&
	gt-ready -n 0 --json >ready.warm &&
	gt-bead-list -n 0 --json >list.warm &&
	gt-bead-count --json >count.warm &&
	rm -rf .git/gt/index &&
	gt-ready -n 0 --json >ready.cold &&
	gt-bead-list -n 0 --json >list.cold &&
	gt-bead-count --json >count.cold &&
	cmp ready.warm ready.cold && cmp list.warm list.cold && cmp count.warm count.cold &&
	[ "$(wc -l <list.cold)" -ge 600 ]
'

test_expect_success 'bead log and export follow a bead across its shard splitting' '
	new_ledger h && cd h &&
	GT_SHARD_SPLIT=0 gt-bead-add -q --id t-moving "moves to a subtree" &&
	GT_SHARD_SPLIT=0 gt-bead-update -q t-moving --priority 1 &&
	shard=$(git ls-tree -r --name-only refs/gt/ledger beads | grep t-moving | cut -d/ -f2) &&
	# fill its shard until it splits: ids that hash to the same shard
	i=0 && while [ "$(split_files)" = 0 ]; do
		i=$((i + 1)) &&
		case $(printf "t-f%s" "$i" | sha256sum | cut -c1-2) in
		"$shard") GT_SHARD_SPLIT=2 gt-bead-add -q --id "t-f$i" "filler $i" ;;
		esac || exit 1
	done &&
	git ls-tree -r --name-only refs/gt/ledger beads | grep -q "^beads/$shard/../t-moving.json$" &&
	GT_SHARD_SPLIT=2 gt-bead-update -q t-moving --priority 0 &&
	gt-bead-log --json t-moving >log &&
	assert_eq 3 "$(wc -l <log)" "history entries" &&
	gt-bead-export | jq -e "select(.id == \"t-moving\") | .priority == 0" &&
	layout_ok
'

test_expect_success 'an old ledger is migrated by concurrent writers, killed ones too, losing nothing' '
	new_ledger m && cd m &&
	beads_jsonl 400 o | GT_SHARD_SPLIT=0 gt-bead-import -q - &&
	assert_eq 0 "$(split_files)" "split files before" &&
	export GT_SHARD_SPLIT=2 &&
	: >acked &&
	pids="" &&
	for w in 1 2 3 4 5 6; do
		{ ( i=0; while [ $i -lt 12 ]; do
			i=$((i + 1))
			if gt-bead-add -q --id "t-w$w-$i" "writer $w bead $i"; then
				echo "t-w$w-$i" >>acked
			fi
			if gt-bead-update -q "t-o$((w * 50 + i))" --assignee "w$w"; then
				echo "t-o$((w * 50 + i)) w$w" >>assigned
			fi
		    done ) & } &&
		pids="$pids $!" || exit 1
	done &&
	# a writer killed in mid-flight, several times
	k=0 && while [ $k -lt 5 ]; do
		{ ( exec gt-bead-add -q --id "t-killed$k" "killed $k" ) & } &&
		victim=$! && kill -9 "$victim" 2>/dev/null; wait "$victim" 2>/dev/null; k=$((k + 1))
	done &&
	for p in $pids; do wait "$p" || exit 1; done &&
	assert_eq 72 "$(sort -u acked | wc -l)" "acknowledged adds" &&
	[ "$(split_files)" -gt 0 ] &&
	gt-bead-list -n 0 --json | jq -r .id | sort >present &&
	sort -u acked >want && comm -23 want present >lost && [ ! -s lost ] &&
	for o in $(seq 1 400); do echo "t-o$o"; done | sort >orig &&
	comm -23 orig present >lost && [ ! -s lost ] &&
	while read -r id who; do
		gt-bead-show --json "$id" | jq -e ".assignee == \"$who\"" >/dev/null || die "$id lost its assignee"
	done <assigned &&
	layout_ok &&
	gt-maintain -q --verify --no-repack &&
	git fsck --no-progress 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
'

test_expect_success 'import writes a big new shard split, and merges into split shards' '
	new_ledger i && cd i &&
	export GT_SHARD_SPLIT=4 &&
	beads_jsonl 2000 i >i.jsonl &&
	gt-bead-import -q i.jsonl &&
	[ "$(split_files)" -gt 1500 ] && layout_ok &&
	awk "NR % 2 == 0" i.jsonl | sed "s/\"priority\":2/\"priority\":1/; s/\"updated_at\":\"2025-01-01/\"updated_at\":\"2025-02-01/" >j.jsonl &&
	beads_jsonl 300 j >>j.jsonl &&
	gt-bead-import -q j.jsonl &&
	assert_eq 2300 "$(gt-bead-count --json | jq .total)" "beads" &&
	assert_eq 1000 "$(gt-bead-list -n 0 --json | jq -r "select(.priority == 1) | .id" | wc -l)" "re-imported" &&
	gt-bead-show --json t-j300 | jq -e ".title == \"bead j 300\"" &&
	layout_ok &&
	gt-maintain -q --verify --no-repack &&
	gt-bead-export | jq -r .id | sort >exported &&
	assert_eq 2300 "$(wc -l <exported)" "exported"
'

test_expect_success 'GT_SHARD_SPLIT=0 keeps one level' '
	new_ledger z && cd z &&
	beads_jsonl 300 z | GT_SHARD_SPLIT=0 gt-bead-import -q - &&
	GT_SHARD_SPLIT=0 gt-bead-add -q "one more" &&
	assert_eq 0 "$(split_files)" "split files"
'

test_expect_success 'verify names a bead file in the wrong subtree, and a shard of both kinds' '
	cd i &&
	f=$(git ls-tree -r --name-only refs/gt/ledger beads | awk -F/ "NF == 4" | head -n 1) &&
	shard=$(echo "$f" | cut -d/ -f2) && leaf=$(echo "$f" | cut -d/ -f3) &&
	other=$( [ "$leaf" = 00 ] && echo 01 || echo 00 ) &&
	blob=$(git rev-parse "refs/gt/ledger:$f") &&
	GIT_INDEX_FILE=$PWD/tmp.index && export GIT_INDEX_FILE &&
	git read-tree refs/gt/ledger &&
	git update-index --force-remove "$f" &&
	git update-index --add --cacheinfo "100644,$blob,beads/$shard/$other/$(basename "$f")" &&
	git update-index --add --cacheinfo "100644,$blob,beads/$shard/stray.json" &&
	tree=$(git write-tree) && unset GIT_INDEX_FILE &&
	c=$(git commit-tree -p refs/gt/ledger -m "damage" "$tree") &&
	git update-ref refs/gt/ledger "$c" &&
	expect_code 5 gt-maintain --verify --no-repack >out 2>&1 &&
	grep -q "belongs in beads/$shard/$leaf" out &&
	grep -q "beads/$shard/stray.json: a shard holds bead files or subtrees" out
'

test_done
