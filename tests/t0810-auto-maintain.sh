#!/bin/sh
# Automatic maintenance: writers start gt-maintain --auto in the background
# when loose objects or new packs pass the thresholds; one at a time; it
# can be turned off; killed at any moment it loses nothing; and it never
# drops objects nobody references yet.
. "$(dirname "$0")/lib/test.sh"

# tests/lib/test.sh turns it off for every other test
export GT_AUTO_MAINTAIN=1

# one bead imported: a transaction that writes one pack, as a group commit
# does (ids t-p<n>)
one_pack() {
	printf '{"id":"t-p%s","title":"packed %s","status":"open","priority":2,%s}\n' \
		"$1" "$1" '"issue_type":"task","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"' \
		>"one.$1.jsonl" &&
		gt-bead-import -q "one.$1.jsonl" &&
		rm -f "one.$1.jsonl"
}

packs() {
	find .git/objects/pack -name "pack-*.pack" | wc -l
}

loose() {
	find .git/objects -path "*/objects/[0-9a-f][0-9a-f]/*" -type f | wc -l
}

# no maintenance running here: its lock is free.  A writer takes the lock
# before it starts one, so once the writes returned, a maintenance they
# started holds it.
idle() {
	flock -n .git/gt/maintain.lock true
}

# a gt-maintain --auto holds the lock (and names itself in it)
running() {
	! idle &&
		pid=$(cut -d" " -f1 .git/gt/maintain.lock) &&
		[ -n "$pid" ] &&
		tr "\0" " " <"/proc/$pid/cmdline" 2>/dev/null | grep -q "gt-maintain --auto"
}

# a repack's temporary pack is there, or the maintenance is over
tmp_pack_or_done() {
	find .git/objects/pack -name ".tmp-*" -o -name "tmp_*" | grep -q . || idle
}

# gt-maintain --auto processes repacking this directory's repository:
# those holding the maintenance lock file open (one that has done its
# repack lets the lock go and may still be updating the history index).
# One that forks to run git has, until the child execs, a child with the
# same command line: a process whose parent is one of them is not counted.
maintainers() {
	_ps=$(pgrep -f "gt-maintain --auto --json --gt-dir $PWD/.git" | tr "\n" " ") || true
	_n=0
	for _p in $_ps; do
		_pp=$(awk "/^PPid:/ { print \$2 }" "/proc/$_p/status" 2>/dev/null) || continue
		[ -n "$_pp" ] || continue
		_held=0
		for _f in "/proc/$_p/fd"/*; do
			case $(readlink "$_f" 2>/dev/null) in
			*/maintain.lock) _held=1 ;;
			esac
		done
		[ "$_held" = 1 ] || continue
		case " $_ps " in
		*" $_pp "*) ;;
		*) _n=$((_n + 1)) ;;
		esac
	done
	echo "$_n"
}

ledger_ok() {
	git fsck --no-progress 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
}

test_expect_success 'usage: --auto takes no other option' '
	new_ledger u && cd u &&
	expect_code 2 gt-maintain --auto --repack 2>err &&
	grep -q "auto" err
'

test_expect_success 'new packs past gt.autoPacks start a roll-up in the background' '
	new_ledger p && cd p &&
	git config gt.autoPacks 4 &&
	before=$(packs) &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do one_pack "$i"; done &&
	wait_for idle &&
	test -s .git/gt/maintain.stamp &&
	grep -q "gt-maintain --auto" .git/gt/maintain.lock &&
	after=$(packs) &&
	{ [ "$after" -le $((before + 12 - 3)) ] || die "packs: $before before, $after after"; } &&
	# one more write with nothing running meanwhile: whatever it starts
	# leaves fewer new packs than the threshold
	one_pack 13 && wait_for idle &&
	fresh=$(( $(packs) - $(cat .git/gt/maintain.stamp) )) &&
	{ [ "$fresh" -lt 4 ] || die "$fresh new packs left"; } &&
	ledger_ok &&
	assert_eq 13 "$(gt-bead-list -n 0 --json | jq -r .id | grep -c "^t-p[0-9]*$")" "beads"
'

test_expect_success 'loose objects past gt.autoLoose are packed (unreferenced ones kept)' '
	new_ledger l && cd l &&
	git config gt.autoLoose 500 &&
	# unreferenced loose objects until the estimate from objects/17
	# (256 per object found there, as git gc --auto counts) passes 500
	mkdir blobs && n=0 &&
	while [ "$(find .git/objects/17 -type f | wc -l)" -lt 3 ]; do
		for j in 0 1 2 3 4 5 6 7 8 9; do
			n=$((n + 1)) && echo "young loose $n" >"blobs/$n"
		done &&
		find "$PWD/blobs" -type f | git hash-object -w --stdin-paths >>young &&
		rm -f blobs/*
	done &&
	[ "$(loose)" -gt 200 ] &&
	gt-bead-add -q "the write that notices" &&
	wait_for idle &&
	assert_eq 0 "$(loose)" "loose objects left" &&
	while read -r o; do git cat-file -e "$o" || die "lost $o" || exit 1; done <young &&
	ledger_ok
'

test_expect_success 'gt-maintain --auto: nothing due, --json' '
	cd p &&
	gt-maintain --auto --json >st &&
	jq -e ".auto == true and .state == \"done\" and .repack == \"none\" and
		.repacked == false and (.packs | type) == \"number\" and
		(.bytes_after | type) == \"number\"" st
'

test_expect_success 'turned off (GT_AUTO_MAINTAIN=0, gt.autoMaintain false): nothing starts' '
	new_ledger off && cd off &&
	git config gt.autoPacks 2 &&
	before=$(packs) &&
	for i in 1 2 3 4; do GT_AUTO_MAINTAIN=0 one_pack "$i"; done &&
	git config gt.autoMaintain false &&
	for i in 5 6 7 8; do GT_AUTO_MAINTAIN= one_pack "$i"; done &&
	[ ! -e .git/gt/maintain.log ] &&
	assert_eq $((before + 8)) "$(packs)" "packs" &&
	GT_AUTO_MAINTAIN=0 gt-maintain --auto --json | jq -e ".state == \"disabled\"" &&
	# the variable wins over the config
	one_pack 9 &&
	test -e .git/gt/maintain.log &&
	wait_for idle &&
	[ "$(packs)" -lt $((before + 9)) ]
'

test_expect_success 'one at a time: a held lock means nothing starts; --auto says busy' '
	new_ledger one && cd one &&
	git config gt.autoPacks 2 &&
	mkfifo release &&
	{ flock .git/gt/maintain.lock sh -c "echo held >held; read x <release" & } &&
	wait_for test -s held &&
	before=$(packs) &&
	for i in 1 2 3 4 5; do one_pack "$i"; done &&
	[ ! -e .git/gt/maintain.log ] &&
	assert_eq 0 "$(maintainers)" "maintenance processes" &&
	assert_eq $((before + 5)) "$(packs)" "packs" &&
	gt-maintain --auto --json >st &&
	jq -e ".state == \"busy\" and .repacked == false" st &&
	echo >release && wait &&
	one_pack 6 && wait_for idle &&
	[ "$(packs)" -lt $((before + 6)) ]
'

test_expect_success 'one at a time under concurrent writers' '
	cd one &&
	git config gt.autoPacks 2 && git config gt.autoLoose 256 &&
	rm -f stop too-many .git/gt/maintain.stamp &&
	{ ( while [ ! -e stop ]; do
		n=$(maintainers); [ "$n" -le 1 ] || echo "$n" >>too-many
	    done ) & } &&
	sampler=$! && pids="" &&
	for w in 1 2 3; do
		{ ( i=0; while [ $i -lt 15 ]; do one_pack "c$w-$i"; i=$((i + 1)); done ) & } &&
		pids="$pids $!" || exit 1
	done &&
	{ ( i=0; while [ $i -lt 30 ]; do gt-bead-add -q "loose $i"; i=$((i + 1)); done ) & } &&
	pids="$pids $!" &&
	for p in $pids; do wait "$p" || exit 1; done &&
	wait_for idle &&
	touch stop && wait "$sampler" &&
	test -s .git/gt/maintain.stamp &&
	{ [ ! -e too-many ] || die "several at once: $(sort -u too-many | tr "\n" " ")"; } &&
	# (the hash ids of gt-bead-add may begin with "pc" too)
	gt-bead-list -n 0 --json | jq -r .id | grep "^t-pc[1-3]-[0-9]*$" | sort >ids &&
	{ ! uniq -d ids | grep . || die "listed twice: $(uniq -d ids | tr "\n" " ")"; } &&
	{ [ "$(wc -l <ids)" = 45 ] || die "beads: $(tr "\n" " " <ids)"; } &&
	ledger_ok
'

test_expect_success 'the deacon starts what writers that skipped it left due' '
	new_ledger d && cd d &&
	git config gt.autoPacks 2 &&
	( GT_AUTO_MAINTAIN=0 && export GT_AUTO_MAINTAIN &&
	  for i in 1 2 3 4 5; do one_pack "d$i" || exit 1; done ) &&
	before=$(packs) && [ "$before" -ge 5 ] && [ ! -e .git/gt/maintain.stamp ] &&
	gt-deacon --once &&
	wait_for test -s .git/gt/maintain.stamp && wait_for idle &&
	[ "$(packs)" -lt "$before" ] &&
	assert_eq 5 "$(gt-bead-list -n 0 --json | jq -r .id | grep -c "^t-pd[0-9]*$")" "beads"
'

# a ledger big enough that a repack takes a moment
big_jsonl() {
	i=0
	while [ $i -lt 3000 ]; do
		printf '{"id":"t-big%s","title":"bead %s with a longer title","status":"open","priority":2,"issue_type":"task","description":"%s","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}\n' \
			"$i" "$i" "description of bead $i, long enough to take some room in a pack"
		i=$((i + 1))
	done
}

size_of() {
	stat -c %s "$1"
}

all_objects() {
	git cat-file --batch-all-objects --batch-check="%(objectname)" | sort -u
}

pack_bytes() {
	find .git/objects/pack -name "pack-*.pack" -printf "%s\n" | awk "{ s += \$1 } END { print s }"
}

test_expect_success 'a roll-up of packs: in the process (no git), copied, geometric, nothing lost' '
	new_ledger r && cd r &&
	big_jsonl >big.jsonl && gt-bead-import -q big.jsonl && gt-maintain -q --repack --no-verify &&
	main=$(find .git/objects/pack -name "pack-*.pack") &&
	git config gt.autoPacks 12 && git config gt.autoFullPercent 1000000 &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do GT_AUTO_MAINTAIN=0 gt-bead-label add -q t-big$i "l$i" || return 1; done &&
	assert_eq 13 "$(packs)" "packs before" &&
	all_objects >before && small=$(($(pack_bytes) - $(stat -c %s "$main"))) &&
	# git is not on this PATH: the roll-up must not need it
	GT_AUTO_MAINTAIN=1 PATH="$BIN" gt-maintain --auto --json >out &&
	jq -e ".repack == \"rollup\" and .packs_after == 2" out &&
	[ -e "$main" ] && rolled=$(find .git/objects/pack -name "pack-*.pack" ! -path "$main") &&
	all_objects >after && test_cmp_files before after && ledger_ok &&
	# copied as they were: one header and one checksum for all twelve
	assert_eq $((small - 11 * 32)) "$(stat -c %s "$rolled")" "bytes of the rolled pack" &&
	# a few more: they are rolled on their own, the bigger rolled pack stays
	git config gt.autoPacks 3 &&
	for i in 13 14 15; do GT_AUTO_MAINTAIN=0 gt-bead-label add -q t-big$i "l$i" || return 1; done &&
	GT_AUTO_MAINTAIN=1 PATH="$BIN" gt-maintain --auto --json >out &&
	jq -e ".repack == \"rollup\" and .packs_after == 3" out &&
	[ -e "$main" ] && [ -e "$rolled" ] && ledger_ok &&
	gt-bead-label list t-big15 | grep -qx l15
'

test_expect_success 'bigger packs are copied as they are too; packs that share objects are built again' '
	new_ledger c && cd c &&
	big_jsonl >big.jsonl && gt-bead-import -q big.jsonl && gt-maintain -q --repack --no-verify &&
	main=$(find .git/objects/pack -name "pack-*.pack") &&
	git config gt.autoPacks 2 && git config gt.autoFullPercent 1000000 &&
	# two packs bigger than any single commit makes, as earlier roll-ups are
	all_objects >all && sed -n 1,700p all >a && sed -n 701,1400p all >b &&
	git pack-objects -q .git/objects/pack/pack <a >/dev/null &&
	git pack-objects -q .git/objects/pack/pack <b >/dev/null &&
	other=$(($(pack_bytes) - $(stat -c %s "$main"))) &&
	GT_AUTO_MAINTAIN=1 PATH="$BIN" gt-maintain --auto --json >out &&
	jq -e ".repack == \"rollup\" and .packs_after == 2" out &&
	new=$(find .git/objects/pack -name "pack-*.pack" ! -path "$main") &&
	# copied byte for byte: one header and one checksum fewer
	assert_eq $((other - 32)) "$(stat -c %s "$new")" "bytes of the joined pack" &&
	git verify-pack "${new%.pack}.idx" >/dev/null &&
	all_objects >after && test_cmp_files all after && ledger_ok &&
	# the same objects in two packs: built again, each object once
	sed -n 1,600p all >a && sed -n 300,1000p all >b &&
	git pack-objects -q .git/objects/pack/pack <a >/dev/null &&
	git pack-objects -q .git/objects/pack/pack <b >/dev/null &&
	GT_AUTO_MAINTAIN=1 PATH="$BIN" gt-maintain --auto --json >out &&
	jq -e ".repack == \"rollup\" and .packs_after <= 3" out &&
	for p in .git/objects/pack/pack-*.idx; do git verify-pack "$p" >/dev/null || return 1; done &&
	all_objects >after && test_cmp_files all after && ledger_ok
'

test_expect_success 'packs written during a repack are rolled up by the same run' '
	new_ledger w && cd w &&
	big_jsonl >big.jsonl && gt-bead-import -q big.jsonl && gt-maintain -q --repack --no-verify &&
	# a full repack is due; while git repacks, four writes come in (the
	# git on this PATH makes them once the real one has listed the packs
	# it takes), and then stop: nobody starts another maintenance for
	# their packs
	git config gt.autoPacks 3 && git config gt.autoFullPercent 1 &&
	for i in 1 2 3; do GT_AUTO_MAINTAIN=0 gt-bead-label add -q t-big$i before || return 1; done &&
	mkdir wrap && real=$(command -v git) &&
	cat >wrap/git <<-EOF &&
	#!/bin/sh
	"$real" "\$@" || exit
	if [ "\$3" = repack ] && [ ! -e "$PWD/wrote" ]; then
		: >"$PWD/wrote"
		for i in 4 5 6 7; do GT_AUTO_MAINTAIN=0 gt-bead-label add -q t-big\$i during || exit 1; done
		"$real" config gt.autoFullPercent 1000000
	fi
	EOF
	chmod +x wrap/git &&
	GT_AUTO_MAINTAIN=1 PATH="$PWD/wrap:$PATH" gt-maintain --auto --json >out &&
	test -e wrote &&
	jq -e ".state == \"done\" and .repack == \"full\" and .rounds == 2" out &&
	# the main pack (and a cruft pack, if any) and the roll-up of the four
	packs=$(packs) && { [ "$packs" -le 3 ] || die "$packs packs left"; } &&
	fresh=$((packs - $(cat .git/gt/maintain.stamp))) &&
	{ [ "$fresh" -lt 3 ] || die "$fresh new packs left"; } &&
	for i in 4 5 6 7; do gt-bead-label list t-big$i | grep -qx during || return 1; done &&
	ledger_ok
'

test_expect_success 'the history index being built elsewhere holds no roll-up back' '
	new_ledger h && cd h &&
	git config gt.autoPacks 2 && git config gt.autoFullPercent 1000000 &&
	gt-maintain -q --no-verify && n=$(size_of .git/gt/index/history.idx) &&
	for i in 1 2 3; do GT_AUTO_MAINTAIN=0 gt-bead-add -q "h$i" >/dev/null || return 1; done &&
	rm -f release && { ( exec 9>.git/gt/index/history.lock; flock 9; : >held;
		while [ ! -e release ]; do sleep 0.02; done ) & } && hist=$! &&
	wait_for test -e held &&
	GT_AUTO_MAINTAIN=1 gt-maintain --auto --json >out &&
	jq -e ".state == \"done\" and .repack == \"rollup\" and .history == \"busy\"" out &&
	idle && assert_eq "$n" "$(size_of .git/gt/index/history.idx)" "history index untouched" &&
	: >release && wait $hist &&
	GT_AUTO_MAINTAIN=1 gt-maintain --auto --json >out &&
	jq -e ".history == \"done\"" out &&
	[ "$(size_of .git/gt/index/history.idx)" -gt "$n" ]
'

test_expect_success 'maintenance killed with SIGKILL mid-way, writers writing: nothing lost' '
	new_ledger k && cd k &&
	big_jsonl >big.jsonl && gt-bead-import -q big.jsonl &&
	git config gt.autoPacks 3 && git config gt.autoLoose 256 &&
	rm -f stop && : >ids.add && : >ids.pack &&
	# writers (at most 3000 writes each, should something go wrong)
	{ ( n=0; while [ ! -e stop ] && [ $n -lt 3000 ]; do
		n=$((n + 1)); id=$(gt-bead-add "w $n") && echo "$id" >>ids.add
	    done ) 2>/dev/null & } &&
	{ ( n=0; while [ ! -e stop ] && [ $n -lt 3000 ]; do
		n=$((n + 1)); one_pack "k$n" && echo "t-pk$n" >>ids.pack
	    done ) 2>/dev/null & } &&
	round=0 &&
	while [ $round -lt 8 ]; do
		# alternately a roll-up and a full repack, killed as soon as it
		# runs or once its temporary pack is there
		if [ $((round % 2)) = 0 ]; then git config gt.autoFullPercent 1000000;
		else git config gt.autoFullPercent 1; fi &&
		{ wait_for running || { touch stop; exit 1; }; } &&
		if [ $((round % 4)) -ge 2 ]; then wait_for tmp_pack_or_done; fi &&
		kill -9 -- "-$pid" 2>/dev/null;
		git cat-file -e "refs/gt/ledger^{tree}" &&
		git ls-tree -r refs/gt/ledger >/dev/null &&
		round=$((round + 1))
	done &&
	touch stop && wait &&
	wait_for idle &&
	ledger_ok &&
	gt-maintain -q --no-repack &&
	cat ids.add ids.pack | sort -u >reported &&
	[ -s ids.add ] && [ -s ids.pack ] &&
	gt-bead-list -n 0 --json | jq -r .id | sort >present &&
	comm -23 reported present >lost && [ ! -s lost ] &&
	assert_eq 3000 "$(grep -c "^t-big[0-9]*$" present)" "imported beads"
'

test_expect_success 'young unreferenced objects survive a full repack; old garbage goes' '
	new_ledger g && cd g &&
	for i in 1 2 3 4 5; do echo "young loose $i" | git hash-object -w --stdin; done >young &&
	for i in 1 2 3 4 5; do echo "young packed $i" | git hash-object -w --stdin; done >ypacked &&
	git pack-objects -q .git/objects/pack/pack <ypacked >/dev/null && git prune-packed &&
	for i in 1 2 3; do echo "old loose $i" | git hash-object -w --stdin; done >old &&
	while read -r o; do
		touch -d "2 hours ago" ".git/objects/$(echo "$o" | cut -c1-2)/$(echo "$o" | cut -c3-)"
	done <old &&
	for i in 1 2 3; do echo "old packed $i" | git hash-object -w --stdin; done >opacked &&
	opack=$(git pack-objects -q .git/objects/pack/pack <opacked) && git prune-packed &&
	touch -d "2 hours ago" .git/objects/pack/pack-$opack.* &&
	gt-maintain --repack --no-verify --json >st &&
	jq -e ".repack == \"full\" and .repacked == true and .loose_after == 0" st &&
	cat young ypacked | while read -r o; do git cat-file -e "$o" || die "lost $o" || exit 1; done &&
	cat old opacked | while read -r o; do ! git cat-file -e "$o" 2>/dev/null || die "kept $o" || exit 1; done &&
	ledger_ok &&
	# and a roll-up, started by a writer, keeps them too
	git config gt.autoPacks 1 &&
	for i in 6 7 8; do echo "young loose $i" | git hash-object -w --stdin; done >>young &&
	one_pack 1 && wait_for idle &&
	grep -q "gt-maintain --auto" .git/gt/maintain.lock &&
	cat young ypacked | while read -r o; do git cat-file -e "$o" || die "lost $o" || exit 1; done
'

test_expect_success 'a failed maintenance is not retried by every writer' '
	new_ledger f && cd f &&
	# two packs of a size: a full repack is due (git repack, where a
	# roll-up of packs needs no git)
	GT_AUTO_MAINTAIN=0 one_pack 0 &&
	git config gt.autoPacks 1 && git config gt.autoFullPercent 1 &&
	printf "%s\n" "{\"id\":\"t-f1\",\"title\":\"f\",\"status\":\"open\"}" >f.jsonl &&
	# gt-maintain is found beside the writer; git is not on this PATH
	PATH="$BIN" gt-bead-import -q f.jsonl &&
	wait_for idle && test -s .git/gt/maintain.failed &&
	rm -f .git/gt/maintain.log &&
	one_pack 2 && [ ! -e .git/gt/maintain.log ] &&
	gt-maintain -q --repack --no-verify && [ ! -e .git/gt/maintain.failed ]
'

# leave no maintenance behind to race with the removal of the directory
for d in "$TRASH"/*/.git; do
	(cd "${d%/.git}" && wait_for idle)
done
test_done
