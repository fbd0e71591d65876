#!/bin/sh
# gt-config layers, gt-maintain, and the query index's safety.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' 'new_ledger l && cd l'

test_expect_success 'the town config is versioned in the ledger' '
	cd l &&
	gt-config review.required-approvals 2 &&
	assert_eq 2 "$(gt-config review.required-approvals)" &&
	git show refs/gt/ledger:config | grep -q "required-approvals = 2" &&
	assert_eq "gt-config: set review.required-approvals" "$(git log -1 --format=%s refs/gt/ledger)"
'

test_expect_success 'layers: user < town < machine < environment' '
	cd l &&
	gt-config --user ui.color never &&
	assert_eq never "$(gt-config ui.color)" &&
	gt-config ui.color auto && assert_eq auto "$(gt-config ui.color)" &&
	gt-config --local ui.color always && assert_eq always "$(gt-config ui.color)" &&
	assert_eq env "$(GT_UI_COLOR=env gt-config ui.color)" &&
	gt-config --list | grep -q "^ui.color=never$" &&
	gt-config --list --json | jq -s -e "map(select(.key == \"ui.color\") | .layer) == [\"user\",\"town\",\"machine\"]"
'

test_expect_success 'unset, missing keys (exit 1), bad keys (2)' '
	cd l &&
	gt-config --local --unset ui.color && assert_eq auto "$(gt-config ui.color)" &&
	gt-config --unset ui.color && assert_eq never "$(gt-config ui.color)" &&
	expect_code 1 gt-config no.such &&
	expect_code 2 gt-config "nodot" &&
	expect_code 2 gt-config "bad key.x" v
'

test_expect_success 'maintain verifies and reports; repacks past the threshold' '
	cd l &&
	for i in 1 2 3 4 5; do gt-bead-add -q "b$i"; done &&
	gt-maintain --json --threshold 1000000 >st &&
	jq -e ".repacked == false and .problems == 0 and .verified == 5" st &&
	gt-maintain --json --threshold 1 >st &&
	jq -e ".repacked == true and .loose_after == 0" st &&
	git fsck --no-progress 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
'

test_expect_success 'maintain finds a damaged ledger (5)' '
	git init -q bad && cd bad && gt-init -q --prefix t . &&
	gt-bead-add -q "fine" &&
	blob=$(printf "{\"id\":\"t-wrong\",\"title\":\"x\"}\n" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\tt-zzz.json\n" "$blob" | git mktree) &&
	shards=$(git ls-tree refs/gt/ledger:beads) &&
	beads=$( { echo "$shards"; printf "040000 tree %s\tzz\n" "$tree"; } | git mktree) &&
	root=$( { git ls-tree refs/gt/ledger | grep -v "	beads$"; printf "040000 tree %s\tbeads\n" "$beads"; } | git mktree) &&
	c=$(git commit-tree -p refs/gt/ledger -m "hand-made damage" "$root") &&
	git update-ref refs/gt/ledger "$c" &&
	expect_code 5 gt-maintain --no-repack 2>err &&
	grep -q "not a shard\|belongs in shard" err &&
	grep -q "the id inside is" err
'

test_expect_success 'the index can be deleted at any time' '
	cd l &&
	gt-bead-list --json >before &&
	rm -rf .git/gt/index &&
	gt-bead-list --json >after && cmp before after &&
	[ -f .git/gt/index/beads.idx ]
'

test_expect_success 'a damaged index file is rebuilt, not trusted' '
	cd l &&
	printf "garbage" >.git/gt/index/beads.idx &&
	gt-bead-list --json >after && cmp before after &&
	head -c 100 /dev/urandom >.git/gt/index/beads.idx &&
	gt-ready --json >/dev/null &&
	idx=.git/gt/index/beads.idx && size=$(wc -c <$idx) &&
	dd if=/dev/zero of=$idx bs=1 count=64 seek=$((size - 100)) conv=notrunc 2>/dev/null &&
	gt-bead-list --json >after && cmp before after
'

test_expect_success 'the index follows every change (incremental = full rebuild)' '
	cd l &&
	for i in $(seq 1 30); do gt-bead-add -q -p $((i % 5)) "more $i"; done &&
	gt-bead-list --json -n 0 >/dev/null &&
	a=$(gt-bead-list -n 0 --json | jq -r .id | head -3) &&
	gt-bead-update $a -s closed &&
	gt-bead-delete $(gt-bead-list -n 0 --json | jq -r .id | sed -n 5p) &&
	gt-bead-dep add $(gt-bead-list -n 0 --json | jq -r .id | sed -n 6p) $(gt-bead-list -n 0 --json | jq -r .id | sed -n 7p) &&
	gt-bead-list -s all -n 0 --json >inc && gt-ready -n 0 --json >rinc && gt-blocked --json >binc &&
	gt-maintain -q --no-repack --rebuild-index &&
	gt-bead-list -s all -n 0 --json >full && gt-ready -n 0 --json >rfull && gt-blocked --json >bfull &&
	cmp inc full && cmp rinc rfull && cmp binc bfull && [ -s binc ]
'

test_expect_success 'setting a value to itself or unsetting a missing key commits nothing' '
	cd l && before=$(ledger_tip) &&
	gt-config review.required-approvals 2 &&
	gt-config --unset no.such-key &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'a broken town config is reported, not hidden' '
	git init -q bc && cd bc && gt-init -q --prefix t . &&
	blob=$(printf "[broken\n" | git hash-object -w --stdin) &&
	root=$( { git ls-tree refs/gt/ledger | { grep -v "[[:space:]]config$" || true; }; printf "100644 blob %s\tconfig\n" "$blob"; } | git mktree) &&
	git update-ref refs/gt/ledger "$(git commit-tree -p refs/gt/ledger -m broken "$root")" &&
	expect_code 5 gt-bead-add "x" 2>err &&
	grep -q "bad town config" err
'

test_expect_success 'patched index: in-place changes patch, an add rebuilds, all equal a fresh build' '
	cd l &&
	snap() {
		gt-bead-list -s all -n 0 --json >"$1.list" && gt-ready -n 0 --json >"$1.ready" &&
		gt-blocked --json >"$1.blocked"
	}
	same_as_fresh() {
		snap inc && mv .git/gt/index .git/gt/index.keep &&
		snap fresh && rm -rf .git/gt/index && mv .git/gt/index.keep .git/gt/index &&
		cmp inc.list fresh.list && cmp inc.ready fresh.ready && cmp inc.blocked fresh.blocked
	}
	ids=$(gt-bead-list -n 0 --json | jq -r .id) &&
	gt-ready >/dev/null &&
	for round in 1 2 3; do
		for id in $(echo "$ids" | shuf -n 5); do
			gt-bead-update -q -p $((round % 5)) -l "r$round" "$id"
		done
		gt-ready >/dev/null &&
		[ -f .git/gt/index/beads.idx.patch ] || die "round $round: no patch written"
		same_as_fresh || die "round $round differs"
	done &&
	a=$(echo "$ids" | sed -n 1p) && b=$(echo "$ids" | sed -n 2p) &&
	gt-bead-dep add "$a" "$b" && gt-bead-close "$b" && gt-bead-delete "$(echo "$ids" | sed -n 3p)" &&
	same_as_fresh &&
	gt-bead-add -q "a new bead moves positions" &&
	gt-ready >/dev/null &&
	[ ! -f .git/gt/index/beads.idx.patch ] &&
	same_as_fresh &&
	gt-bead-update -q --title "retitled after the rebuild" "$a" && gt-ready >/dev/null &&
	[ -f .git/gt/index/beads.idx.patch ] && same_as_fresh
'

test_expect_success 'a damaged patch is ignored, not trusted' '
	cd l &&
	gt-bead-list -s all -n 0 --json >before &&
	p=.git/gt/index/beads.idx.patch && size=$(wc -c <$p) &&
	dd if=/dev/zero of=$p bs=1 count=16 seek=$((size - 40)) conv=notrunc 2>/dev/null &&
	gt-bead-list -s all -n 0 --json >after && cmp before after &&
	printf "junk" >$p && gt-bead-list -s all -n 0 --json >after && cmp before after
'

test_done
