#!/bin/sh
# Many writers at once: nothing lost.  Writers killed at random moments:
# the ledger ref always names a complete, readable commit, git fsck is
# clean, and every write a writer reported as done is there.
. "$(dirname "$0")/lib/test.sh"

WRITERS=32
EACH=8

test_expect_success 'setup' '
	new_ledger l && cd l && gt-bead-add -q --id t-shared "everyone labels me"
'

test_expect_success "$WRITERS writers updating one bead and adding their own lose nothing" '
	cd l &&
	i=0 &&
	while [ $i -lt $WRITERS ]; do
		(
			j=0
			while [ $j -lt $EACH ]; do
				gt-bead-label add t-shared "w$i-$j" >/dev/null || exit 1
				gt-bead-add -q --actor "agent$i" "bead $i-$j" || exit 1
				j=$((j + 1))
			done
		) >"log$i" 2>&1 &
		i=$((i + 1))
	done &&
	wait &&
	cat log* >all.log && [ ! -s all.log ] &&
	labels=$(gt-bead-label list t-shared | wc -l) &&
	assert_eq $((WRITERS * EACH)) "$labels" "labels on the shared bead" &&
	beads=$(gt-bead-list -n 0 --json | jq -r .title | grep -c "^bead ") &&
	assert_eq $((WRITERS * EACH)) "$beads" "beads added" &&
	ops=$(git log --format="@@%n%B" refs/gt/ledger | awk "
		/^@@\$/ { if (seen) total += (n ? n : 1); seen = 1; n = 0; next }
		/^Gt-Op: / { n++ }
		END { total += (n ? n : 1); print total }") &&
	assert_eq $((WRITERS * EACH * 2 + 2)) "$ops" "one operation in the history per write" &&
	commits=$(git rev-list --count refs/gt/ledger) &&
	test "$commits" -le "$ops"
'

test_expect_success 'claims race: exactly one of many claimants wins' '
	cd l && gt-bead-add -q --id t-prize "one winner" &&
	i=0 &&
	while [ $i -lt 16 ]; do
		( set +e; gt-bead-update --claim --actor "claimer$i" t-prize >/dev/null 2>&1
		  echo $? >"claim$i" ) &
		i=$((i + 1))
	done && wait &&
	assert_eq 1 "$(cat claim* | grep -c "^0$")" "winners" &&
	assert_eq 15 "$(cat claim* | grep -c "^4$")" "conflicts" &&
	gt-bead-show --json t-prize | jq -e ".assignee | startswith(\"claimer\")"
'

test_expect_success 'writers killed with SIGKILL never leave the ledger broken' '
	new_ledger k && cd k &&
	round=0 &&
	while [ $round -lt 12 ]; do
		pids="" && w=0 &&
		while [ $w -lt 6 ]; do
			( while :; do gt-bead-add "r$round w$w" || break; done ) >>"ids.$w" 2>/dev/null &
			pids="$pids $!" && w=$((w + 1))
		done &&
		sleep 0.$(( (round * 37) % 9 + 1)) &&
		for p in $pids; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done;
		wait 2>/dev/null;
		tip=$(ledger_tip) &&
		git cat-file -e "$tip^{tree}" &&
		git cat-file -p "$tip" | grep -q "^tree " &&
		git ls-tree -r "$tip" >/dev/null &&
		round=$((round + 1))
	done &&
	git fsck --no-progress --strict 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; } &&
	gt-maintain -q --no-repack &&
	cat ids.* | grep -E "^t-[0-9a-z]+$" | sort -u >reported &&
	[ -s reported ] &&
	gt-bead-list -n 0 --json | jq -r .id | sort >present &&
	comm -23 reported present >lost && [ ! -s lost ]
'

test_expect_success 'a stale ref lock left by a killed writer is cleared' '
	cd k &&
	: >.git/refs/gt/ledger.lock &&
	touch -d "1 minute ago" .git/refs/gt/ledger.lock &&
	gt-bead-add -q "after the stale lock" >/dev/null &&
	[ ! -e .git/refs/gt/ledger.lock ]
'

test_expect_success 'a writer outside our lock moving the ref is detected (CAS)' '
	cd k &&
	id=$(gt-bead-add "cas target") &&
	old=$(ledger_tip) &&
	other=$(git commit-tree -p "$old" -m "foreign writer" "$old^{tree}") &&
	git update-ref refs/gt/ledger "$other" "$old" &&
	gt-bead-update "$id" -p 0 &&
	git rev-parse refs/gt/ledger^ | grep -q "$other" &&
	gt-bead-show --json "$id" | jq -e ".priority == 0"
'

test_done
