#!/bin/sh
# The history index (index/history.idx, gt-ledger(5)): gt-bead-log answers
# from it exactly what the walk of the whole history answers
# (GT_HISTORY_INDEX=0), on linear history with updates, deletes,
# re-creation and children, across merges, after the ledger was reset to
# an older commit, after the file was torn, damaged or removed, and while
# writers write; it is brought up to date by appending the new commits
# only, and it spares the commits that did not change the bead.
. "$(dirname "$0")/lib/test.sh"

# shard ID: the shard directory of a bead without a parent (gt-ledger(5))
shard() {
	printf %s "$1" | sha256sum | cut -c1-2
}

# ids: every bead id in the ledger tip
ids() {
	git ls-tree -r --name-only refs/gt/ledger beads | sed 's|.*/||; s|\.json$||'
}

# agree: for every bead and some limits, the log from the index is the
# log of the walk, byte for byte (and the index file exists afterwards)
agree() {
	for _id in $(ids); do
		for _n in 0 1 2; do
			GT_HISTORY_INDEX=0 gt-bead-log --json -n $_n "$_id" >want.log ||
				die "the walk failed on $_id"
			gt-bead-log --json -n $_n "$_id" >got.log || die "the index failed on $_id"
			test_cmp_files want.log got.log || die "$_id -n $_n differs"
		done
	done
	test -s "$IDX"
}

# size FILE
size() {
	wc -c <"$1" | tr -d " "
}

# records FILE: the bead records of an index file, one per line in hex
# (what is between the markers, whichever batches they came in)
records() {
	od -An -v -tx1 -w72 "$1" | grep " 42 45 41 44\$"
}

# blob TEXT: a blob holding TEXT and a newline
blob() {
	printf '%s\n' "$1" | git hash-object -w --stdin
}

# bead ID TITLE: a bead's canonical JSON
bead() {
	printf '{"id":"%s","title":"%s","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}' "$1" "$2"
}

# tree_of COMMIT [ID TITLE]...: the tree of COMMIT with those beads written
tree_of() {
	_c=$1
	shift
	rm -f "$TRASH/tmp.index"
	GIT_INDEX_FILE="$TRASH/tmp.index" git read-tree "$_c" || return 1
	while [ $# -gt 1 ]; do
		GIT_INDEX_FILE="$TRASH/tmp.index" git update-index --add --cacheinfo \
			"100644,$(blob "$(bead "$1" "$2")"),beads/$(shard "$1")/$1.json" || return 1
		shift 2
	done
	GIT_INDEX_FILE="$TRASH/tmp.index" git write-tree
}

# commit_at SECONDS SUBJECT TREE PARENT...: a commit made at that time
commit_at() {
	_t=$1 _s=$2 _tree=$3
	shift 3
	_p=
	for _x in "$@"; do _p="$_p -p $_x"; done
	# shellcheck disable=SC2086
	GIT_AUTHOR_DATE="@$_t +0000" GIT_COMMITTER_DATE="@$_t +0000" \
		git commit-tree -m "$_s" $_p "$_tree"
}

IDX=.git/gt/index/history.idx

test_expect_success 'setup: a linear history of many beads and changes' '
	new_ledger l && cd l &&
	for i in 1 2 3 4 5 6 7 8; do gt-bead-add -q --id t-b$i "bead $i" || return 1; done &&
	gt-bead-add -q --parent t-b1 "child one" && gt-bead-add -q --parent t-b1 "child two" &&
	gt-bead-add -q --parent t-b1.1 "grandchild" &&
	for r in 1 2 3; do
		for i in 1 2 3 4 5; do
			gt-bead-update t-b$i --title "bead $i round $r" >/dev/null || return 1
		done &&
		gt-bead-comment add t-b1.1 "comment $r" >/dev/null || return 1
	done &&
	gt-bead-close -q t-b2 t-b3 t-b1.2 &&
	gt-bead-label add t-b4 urgent >/dev/null &&
	gt-bead-delete t-b6 >/dev/null &&
	gt-bead-reopen -q t-b2 &&
	gt-bead-update t-b1 -p 0 >/dev/null
'

test_expect_success 'setup: a bead removed from the tree and made again' '
	cd l && old=$(ledger_tip) &&
	rm -f "$TRASH/tmp.index" && GIT_INDEX_FILE="$TRASH/tmp.index" git read-tree "$old" &&
	GIT_INDEX_FILE="$TRASH/tmp.index" git rm -q --cached "beads/$(shard t-b7)/t-b7.json" &&
	tree=$(GIT_INDEX_FILE="$TRASH/tmp.index" git write-tree) &&
	new=$(git commit-tree -m "gt-maintain: purge t-b7" -p "$old" "$tree") &&
	git update-ref refs/gt/ledger "$new" "$old" &&
	expect_code 3 gt-bead-log t-b7 2>/dev/null &&
	gt-bead-add -q --id t-b7 "bead 7 again" && gt-bead-update t-b7 -p 1 >/dev/null &&
	assert_eq 2 "$(gt-bead-log --json t-b7 | wc -l)"
'

# gt writes beads in canonical form, and their log compares the texts of
# values; a blob in another form (written by another tool) is parsed, and
# its log compares values: 2.0 is 2, \u0041 is A.
test_expect_success 'a bead written by another tool: its log compares values, not texts' '
	cd l && old=$(ledger_tip) &&
	printf "{\n  \"id\": \"t-p\",\n  \"title\": \"pretty \\u0041\",\n  \"status\": \"open\",\n  \"priority\": 2.0,\n  \"issue_type\": \"task\",\n  \"created_at\": \"2026-01-01T00:00:00Z\",\n  \"updated_at\": \"2026-01-01T00:00:00Z\"\n}\n" >pretty.json &&
	pb=$(git hash-object -w pretty.json) &&
	rm -f "$TRASH/tmp.index" && GIT_INDEX_FILE="$TRASH/tmp.index" git read-tree "$old" &&
	GIT_INDEX_FILE="$TRASH/tmp.index" git update-index --add --cacheinfo "100644,$pb,beads/$(shard t-p)/t-p.json" &&
	tree=$(GIT_INDEX_FILE="$TRASH/tmp.index" git write-tree) &&
	new=$(git commit-tree -m "another tool: add t-p" -p "$old" "$tree") &&
	git update-ref refs/gt/ledger "$new" "$old" &&
	gt-bead-update t-p --title "canonical now" >/dev/null &&
	gt-bead-log --json -n 1 t-p >last &&
	assert_eq "[\"title\"]" "$(jq -c ".changes | keys" last)" &&
	assert_eq "pretty A" "$(jq -r ".changes.title.old" last)" &&
	assert_eq "canonical now" "$(jq -r ".changes.title.new" last)" &&
	gt-bead-log --json t-p | tail -1 >first &&
	assert_eq "pretty A 2" "$(jq -r "[.changes.title.new, .changes.priority.new] | join(\" \")" first)" &&
	jq -e ".changes.priority.old == null" first >/dev/null &&
	gt-bead-log -n 1 t-p | grep -qx "    title: pretty A -> canonical now"
'

test_expect_success 'the index answers what the walk answers, with and without a limit' '
	cd l && rm -f "$IDX" && agree &&
	assert_eq GTHIST01 "$(head -c 8 "$IDX")" &&
	assert_eq 0 $(($(size "$IDX") % 72)) &&
	assert_eq 4 "$(gt-bead-log --json t-b5 | wc -l)" &&
	gt-bead-log --json t-b1.1 | jq -e -s "length == 4 and .[3].changes.id.new == \"t-b1.1\""
'

test_expect_success 'a new commit is appended to the index: one record and a marker' '
	cd l && gt-bead-log t-b1 >/dev/null && before=$(size "$IDX") &&
	gt-bead-update t-b8 --title "bead 8 later" >/dev/null &&
	gt-bead-log t-b1 >/dev/null &&
	assert_eq $((before + 2 * 72)) "$(size "$IDX")" &&
	gt-bead-update t-b3 t-b4 -p 3 >/dev/null && gt-bead-update t-b5 -p 4 >/dev/null &&
	gt-bead-log t-b8 >/dev/null &&
	assert_eq $((before + 2 * 72 + 4 * 72)) "$(size "$IDX")" &&
	agree
'

test_expect_success 'the index spares the commits that did not change the bead' '
	cp -R l spare && cd spare &&
	gt-bead-update t-b1 --notes "one" >/dev/null && gt-bead-update t-b2 --notes "two" >/dev/null &&
	skipped=$(ledger_tip) &&
	gt-bead-update t-b3 --notes "three" >/dev/null && gt-bead-update t-b1 --notes "four" >/dev/null &&
	gt-bead-log --json t-b1 >want.log &&
	for p in .git/objects/pack/*.idx; do
		if git show-index <"$p" | grep -q " $skipped "; then
			rm "$p" "${p%.idx}.pack" || return 1
		fi
	done &&
	! git cat-file -e "$skipped" 2>/dev/null &&
	expect_code 7 env GT_HISTORY_INDEX=0 gt-bead-log t-b1 >/dev/null 2>&1 &&
	gt-bead-log --json t-b1 >got.log && test_cmp_files want.log got.log &&
	assert_eq 7 "$(wc -l <got.log)"
'

test_expect_success 'setup: two ledger commits on different parents, merged' '
	cd l && gt-bead-add -q --id t-m "to merge" && gt-bead-add -q --id t-w "kept on one side" &&
	fork=$(ledger_tip) && t0=$(git log -1 --format=%ct "$fork") &&
	a=$(commit_at $((t0 + 10)) "gt-bead-update: side a" \
		"$(tree_of "$fork" t-m "side a" t-w "lost on side a" t-x "made on side a")" "$fork") &&
	a2=$(commit_at $((t0 + 11)) "gt-bead-update: side a again" \
		"$(tree_of "$a" t-m "side a again")" "$a") &&
	b=$(commit_at $((t0 + 12)) "gt-bead-update: side b" \
		"$(tree_of "$fork" t-m "side b" t-y "made on side b")" "$fork") &&
	m=$(commit_at $((t0 + 13)) "gt-sync: merge" \
		"$(tree_of "$b" t-m "merged" t-x "made on side a")" "$b" "$a2") &&
	git update-ref refs/gt/ledger "$m" "$fork" &&
	assert_eq 2 "$(git log -1 --format=%p refs/gt/ledger | wc -w)" &&
	gt-bead-update t-x --title "after the merge" >/dev/null
'

test_expect_success 'across a merge: the same log as the walk, each commit once' '
	cd l && agree &&
	gt-bead-log --json t-m | jq -r ".changes.title.new" | xargs >got &&
	assert_eq "merged side b side a again side a to merge" "$(cat got)" &&
	assert_eq "to merge" "$(gt-bead-log --json t-m | tail -1 | jq -r .changes.title.new)" &&
	assert_eq 1 "$(gt-bead-log --json t-w | wc -l)" &&
	assert_eq 2 "$(gt-bead-log --json t-x | wc -l)"
'

# A long walk is written in batches (GT_HISTORY_BATCH bead records each,
# here 1): a marker names a commit only where everything walked before is
# in its history (never the side b commit, walked after side a's), so
# appending from any marker, as after a tear, gives the records again,
# none twice, none missing.
test_expect_success 'a long walk in batches: an append from any marker gives the same records' '
	cd l && agree && records "$IDX" | sort >want.rec && rm "$IDX" &&
	GT_HISTORY_BATCH=1 gt-bead-log t-b1 >/dev/null && cp "$IDX" batched.idx &&
	records "$IDX" | sort >got.rec && test_cmp_files want.rec got.rec &&
	od -An -v -tx1 -w72 batched.idx | grep -n " 4d 41 52 4b\$" | cut -d: -f1 >marks &&
	[ "$(wc -l <marks)" -gt 20 ] &&
	side_b=$(git log --format="%H %s" refs/gt/ledger | sed -n "s/ gt-bead-update: side b\$//p") &&
	test -n "$side_b" &&
	! od -An -v -tx1 -w72 batched.idx | grep " 4d 41 52 4b\$" | tr -d " " | cut -c17-56 |
		grep -q "$side_b" &&
	for line in $(cat marks); do
		head -c $((line * 72)) batched.idx >"$IDX" &&
		gt-bead-log t-b1 >/dev/null &&
		records "$IDX" | sort >got.rec &&
		test_cmp_files want.rec got.rec || die "appending after marker at record $line"
	done &&
	agree
'

test_expect_success 'a ledger reset to an older commit, then written: rebuilt, right' '
	cd l && agree && old=$(git rev-parse refs/gt/ledger~8) &&
	git update-ref refs/gt/ledger "$old" &&
	gt-bead-update t-b1 --title "rewritten one" >/dev/null &&
	gt-bead-update t-b5 --title "rewritten five" >/dev/null &&
	agree && cp "$IDX" kept.idx && rm "$IDX" && gt-bead-log t-b1 >/dev/null &&
	test_cmp_files kept.idx "$IDX" &&
	! gt-bead-log --json t-b8 | grep -q "bead 8 later" &&
	expect_code 3 gt-bead-log t-m 2>/dev/null
'

test_expect_success 'a torn tail is ignored, then cut before the next append' '
	cd l && gt-bead-log t-b1 >/dev/null &&
	gt-bead-update t-b2 --title "torn" >/dev/null && gt-bead-log t-b1 >/dev/null &&
	n=$(size "$IDX") && truncate -s $((n - 40)) "$IDX" &&
	GT_HISTORY_INDEX=0 gt-bead-log --json t-b2 >want.log &&
	gt-bead-log --json t-b2 >got.log && test_cmp_files want.log got.log &&
	assert_eq "$n" "$(size "$IDX")" &&
	truncate -s $((n - 40)) "$IDX" &&
	gt-bead-update t-b3 --title "after the tear" >/dev/null && gt-bead-log t-b3 >/dev/null &&
	assert_eq $((n - 2 * 72 + 3 * 72)) "$(size "$IDX")" &&
	agree
'

# Readers map the file (not copy it): the file in place only ever grows,
# and a tail to cut is left behind by a new file put in its place.
test_expect_success 'the index in place only grows: a tail is cut in a new file' '
	cd l && gt-bead-log t-b1 >/dev/null && ino=$(stat -c %i "$IDX") &&
	gt-bead-update t-b2 --title "grows" >/dev/null && gt-bead-log t-b1 >/dev/null &&
	assert_eq "$ino" "$(stat -c %i "$IDX")" "appended in place" &&
	n=$(size "$IDX") && truncate -s $((n - 40)) "$IDX" &&
	gt-bead-update t-b2 --title "cut" >/dev/null && gt-bead-log t-b1 >/dev/null &&
	# the torn batch (a record, a marker) walked again with the new commit
	[ "$(stat -c %i "$IDX")" != "$ino" ] && assert_eq $((n - 144 + 3 * 72)) "$(size "$IDX")" &&
	test ! -e "$IDX.tmp" && agree
'

test_expect_success 'a damaged, foreign or missing file is rebuilt' '
	cd l && rm "$IDX" && gt-bead-log t-b1 >/dev/null && cp "$IDX" good.idx &&
	head -c 3000 /dev/urandom >"$IDX" && agree && test_cmp_files good.idx "$IDX" &&
	printf "\377" | dd of="$IDX" bs=1 seek=8 conv=notrunc 2>/dev/null &&
	! cmp -s good.idx "$IDX" && agree && test_cmp_files good.idx "$IDX" &&
	n=$(size "$IDX") && head -c 64 /dev/urandom | dd of="$IDX" bs=1 seek=$((n / 2)) conv=notrunc 2>/dev/null &&
	agree && assert_eq 0 $(($(size "$IDX") % 72)) &&
	rm "$IDX" && agree
'

# A bead's reader reads its records without the check (history.h): one of
# them damaged in the middle breaks the chain of its blobs, so the reader
# reads the file again checked, which cuts it at the damage and writes
# the rest again; the log is right all along.
test_expect_success 'a bead record damaged in the middle: the log still right, the file mended' '
	# batches after the middle (the last one is checked by every reader)
	cd l && for k in 1 2 3; do
		gt-bead-update t-b5 --title "batch $k" >/dev/null && gt-bead-log t-b5 >/dev/null || return 1
	done && cp "$IDX" good.idx &&
	for id in $(ids); do
		echo "$(printf %s "$id" | sha256sum | cut -c1-16) $id" || return 1
	done >keys &&
	n=$(($(size "$IDX") / 72)) &&
	# the field damaged: key, commit, blob before, blob after
	for field in 0 8 28 48; do
		k=$((n / 2)) id= &&
		while [ -z "$id" ] && [ $k -lt $n ]; do
			k=$((k + 1)) &&
			tag=$(dd if="$IDX" bs=1 skip=$((k * 72 + 68)) count=4 2>/dev/null) &&
			key=$(od -An -tx1 -j $((k * 72)) -N 8 "$IDX" | tr -d " \n") &&
			if [ "$tag" = BEAD ]; then id=$(sed -n "s/^$key //p" keys); fi
		done &&
		test -n "$id" || die "no record of a live bead after the middle" &&
		printf "\377\377\377\377\377\377\377\377" |
			dd of="$IDX" bs=1 seek=$((k * 72 + field)) conv=notrunc 2>/dev/null &&
		! cmp -s good.idx "$IDX" &&
		GT_HISTORY_INDEX=0 gt-bead-log --json "$id" >want.log &&
		gt-bead-log --json "$id" >got.log &&
		test_cmp_files want.log got.log || die "$id, field at $field: the log differs" &&
		records good.idx >want.rec && records "$IDX" >got.rec &&
		test_cmp_files want.rec got.rec || die "$id, field at $field: the file is not mended"
	done &&
	agree
'

test_expect_success 'an index that cannot be written: the walk answers' '
	cd l && gt-bead-update t-b4 --title "unindexed" >/dev/null &&
	rm -f .git/gt/index/history.lock && mkdir .git/gt/index/history.lock &&
	before=$(size "$IDX") && agree && assert_eq "$before" "$(size "$IDX")" &&
	rmdir .git/gt/index/history.lock && agree
'

# read_loop ID: gt-bead-log ID until the writers are done; any failure or
# output that is not JSON lines goes into "errors"
read_loop() {
	until [ -e writers.done ]; do
		if ! gt-bead-log --json "$1" >"out.$1" 2>"err.$1"; then
			echo "$1 failed: $(cat "err.$1")" >>errors
		elif ! jq -e -s "length >= 1" "out.$1" >/dev/null; then
			echo "$1: bad output" >>errors
		fi
	done
}

test_expect_success 'readers while writers write: no error, nothing wrong' '
	cd l && : >errors && rm -f writers.done &&
	{ read_loop t-b1 & } && r1=$! && { read_loop t-b2 & } && r2=$! &&
	{ read_loop t-b1.1 & } && r3=$! &&
	{ for k in 1 2 3 4 5 6 7 8 9 10; do gt-bead-update t-b1 -p $((k % 5)) >/dev/null || echo "write failed" >>errors; done & } && w1=$! &&
	{ for k in 1 2 3 4 5 6 7 8 9 10; do gt-bead-comment add t-b1.1 "c$k" >/dev/null || echo "write failed" >>errors; gt-bead-update t-b2 --title "w$k" >/dev/null || echo "write failed" >>errors; done & } && w2=$! &&
	wait $w1 && wait $w2 && touch writers.done &&
	wait $r1 && wait $r2 && wait $r3 &&
	test_cmp_files /dev/null errors &&
	agree && assert_eq 14 "$(gt-bead-log --json t-b1.1 | wc -l)"
'

test_expect_success 'maintenance brings the index up to the tip, without gt-bead-log' '
	cd l && gt-bead-update t-b3 --title "maintained" >/dev/null &&
	before=$(size "$IDX") &&
	gt-maintain -q --no-verify --no-repack && after=$(size "$IDX") &&
	[ "$after" -gt "$before" ] &&
	gt-bead-log --json t-b3 >/dev/null && assert_eq "$after" "$(size "$IDX")" &&
	gt-bead-update t-b3 --title "maintained again" >/dev/null &&
	GT_AUTO_MAINTAIN=1 gt-maintain --auto --json >st &&
	jq -e ".state == \"done\"" st && [ "$(size "$IDX")" -gt "$after" ] && agree
'

test_expect_success 'maintenance appends after the last batch without reading from the start' '
	cd l && gt-maintain -q --no-verify --no-repack && n=$(size "$IDX") &&
	# damage in the middle: only a reader from the start notices it
	head -c 32 /dev/urandom | dd of="$IDX" bs=32 seek=$((n / 64)) conv=notrunc 2>/dev/null &&
	gt-bead-update t-b4 --title "appended at the end" >/dev/null &&
	gt-maintain -q --no-verify --no-repack &&
	assert_eq $((n + 2 * 72)) "$(size "$IDX")" "one record and a marker appended" &&
	agree
'

test_done
