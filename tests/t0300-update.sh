#!/bin/sh
# Changing beads: update, claim, close, reopen, delete, labels, comments.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' '
	new_ledger l && cd l &&
	gt-bead-add --id t-a "bead a" && gt-bead-add --id t-b "bead b" &&
	gt-bead-add --id t-c "bead c"
'

test_expect_success 'update changes the given fields and updated_at' '
	cd l &&
	old=$(gt-bead-show --json t-a | jq -r .updated_at) &&
	gt-bead-update t-a --title "new title" -p 0 -t bug -d "desc" --notes n &&
	gt-bead-show --json t-a | jq -e "
		.title == \"new title\" and .priority == 0 and .issue_type == \"bug\" and
		.description == \"desc\" and .notes == \"n\" and .updated_at != \"$old\"" &&
	git log -1 --format=%s refs/gt/ledger | grep -q "update t-a: title"
'

test_expect_success 'an update that changes nothing writes nothing' '
	cd l &&
	before=$(ledger_tip) &&
	gt-bead-update t-a --title "new title" -p 0 &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'empty values clear optional fields' '
	cd l &&
	gt-bead-update t-a -d "" -a "" --notes "" &&
	gt-bead-show --json t-a | jq -e "has(\"description\") | not" &&
	gt-bead-show --json t-a | jq -e "has(\"notes\") | not"
'

test_expect_success 'status changes keep closed_at and started_at right' '
	cd l &&
	gt-bead-update t-b -s in_progress &&
	gt-bead-show --json t-b | jq -e ".status == \"in_progress\" and has(\"started_at\")" &&
	gt-bead-update t-b -s closed --reason "all done" &&
	gt-bead-show --json t-b | jq -e ".status == \"closed\" and has(\"closed_at\") and .close_reason == \"all done\"" &&
	gt-bead-update t-b -s open &&
	gt-bead-show --json t-b | jq -e "(has(\"closed_at\") or has(\"close_reason\")) | not"
'

test_expect_success 'tombstone is not a status update can set (5)' '
	cd l && expect_code 5 gt-bead-update t-b -s tombstone
'

test_expect_success 'claim takes an open, unassigned bead' '
	cd l &&
	gt-bead-update --claim --actor alice t-c &&
	gt-bead-show --json t-c | jq -e ".assignee == \"alice\" and .status == \"in_progress\"" &&
	assert_eq "alice" "$(git log -1 --format=%an refs/gt/ledger)"
'

test_expect_success 'claiming again as the same actor is a no-op' '
	cd l &&
	before=$(ledger_tip) &&
	gt-bead-update --claim --actor alice t-c &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'claiming a bead someone holds is a conflict naming them (4)' '
	cd l &&
	expect_code 4 gt-bead-update --claim --actor bob t-c 2>err &&
	grep -q "claimed by '"'"'alice'"'"'" err
'

test_expect_success 'claiming a closed bead is a conflict (4)' '
	cd l &&
	gt-bead-close t-b &&
	expect_code 4 gt-bead-update --claim t-b 2>err && grep -q "closed" err
'

test_expect_success 'close and reopen record the reason' '
	cd l &&
	gt-bead-close t-a -r "fixed in abc" &&
	gt-bead-show --json t-a | jq -e ".status == \"closed\" and .close_reason == \"fixed in abc\"" &&
	git log -1 --format=%b refs/gt/ledger | grep -q "^Gt-Reason: fixed in abc$" &&
	before=$(ledger_tip) && gt-bead-close t-a && assert_eq "$before" "$(ledger_tip)" &&
	gt-bead-reopen t-a -r "regressed" &&
	gt-bead-show --json t-a | jq -e ".status == \"open\" and (has(\"closed_at\") | not)" &&
	git log -1 --format=%b refs/gt/ledger | grep -q "^Gt-Reason: regressed$"
'

test_expect_success 'update --stdin is one transaction; bad ids fail it all' '
	cd l &&
	before=$(git rev-list --count refs/gt/ledger) &&
	printf "%s\n" t-a "{\"id\":\"t-b\",\"priority\":4}" | gt-bead-update --stdin -l batch &&
	assert_eq $((before + 1)) "$(git rev-list --count refs/gt/ledger)" &&
	gt-bead-show --json t-a | jq -e ".labels == [\"batch\"]" &&
	gt-bead-show --json t-b | jq -e ".priority == 4 and .labels == [\"batch\"]" &&
	tip=$(ledger_tip) &&
	printf "%s\n" t-a t-missing | expect_code 3 gt-bead-update --stdin -l other &&
	assert_eq "$tip" "$(ledger_tip)"
'

test_expect_success 'labels: add, list, remove' '
	cd l &&
	gt-bead-label add t-c ui backend &&
	gt-bead-label add t-a ui &&
	gt-bead-label list t-c | tr "\n" " " | grep -q "^backend ui $" &&
	gt-bead-label list >all &&
	grep -q "^ui	2$" all && grep -q "^batch	2$" all &&
	gt-bead-label rm t-c ui &&
	gt-bead-label list t-c | grep -qx backend &&
	before=$(ledger_tip) && gt-bead-label rm t-c ui && assert_eq "$before" "$(ledger_tip)" &&
	expect_code 5 gt-bead-label add t-c "bad$(printf "\t")label" &&
	expect_code 2 gt-bead-label frob t-c
'

test_expect_success 'comments: add and list, in order, with authors' '
	cd l &&
	assert_eq 1 "$(gt-bead-comment add t-c first comment)" &&
	assert_eq 2 "$(gt-bead-comment add --actor bob t-c second)" &&
	printf "from a file\nwith two lines\n" >c.txt &&
	gt-bead-comment add t-c -F c.txt >/dev/null &&
	gt-bead-comment list --json t-c >cs &&
	jq -s -e "map(.text) == [\"first comment\",\"second\",\"from a file\nwith two lines\"]" cs &&
	jq -s -e "map(.author) == [\"Test User\",\"bob\",\"Test User\"]" cs &&
	expect_code 2 gt-bead-comment add t-c
'

test_expect_success 'delete makes a tombstone and drops edges pointing at it' '
	cd l &&
	gt-bead-add --id t-d "to delete" && gt-bead-add --id t-e --deps t-d "depends on d" &&
	gt-bead-delete t-d -r "duplicate" &&
	gt-bead-show --json t-d | jq -e "
		.status == \"tombstone\" and .deleted_by == \"Test User\" and
		.delete_reason == \"duplicate\" and .original_type == \"task\" and has(\"deleted_at\")" &&
	gt-bead-show --json t-e | jq -e "has(\"dependencies\") | not" &&
	! gt-bead-list --json | jq -r .id | grep -qx t-d &&
	gt-bead-list -s tombstone --json | jq -r .id | grep -qx t-d
'

test_expect_success 'a deleted bead cannot be updated (3); delete twice is a no-op' '
	cd l &&
	expect_code 3 gt-bead-update t-d -p 1 2>err && grep -q "deleted" err &&
	before=$(ledger_tip) && gt-bead-delete t-d && assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'the bead log shows who changed what' '
	cd l &&
	gt-bead-log t-c >log &&
	grep -q "gt-bead-update: claim t-c: alice" log &&
	grep -q "assignee: (none) -> alice" log &&
	grep -q "gt-bead-add: add t-c" log &&
	gt-bead-log --json t-c | jq -s -e ".[-1].changes.id.new == \"t-c\" and .[0].author != null" &&
	gt-bead-log --reverse t-c | head -1 | grep -q "gt-bead-add" &&
	[ "$(gt-bead-log -n 2 --json t-c | wc -l)" = 2 ]
'

test_expect_success 'the bead log shows a long value as its first 57 characters and ...' '
	cd l && gt-bead-add -q --id t-long "long" &&
	for k in 1 2 3 4 5 6; do gt-bead-label add t-long "label-number-$k" >/dev/null || return 1; done &&
	gt-bead-log -n 1 t-long | sed -n "s/^    labels: //p" >got &&
	gt-bead-log -n 1 --json t-long >entry &&
	old=$(jq -c ".changes.labels.old" entry) && new=$(jq -c ".changes.labels.new" entry) &&
	[ ${#old} -gt 60 ] && [ ${#new} -gt 60 ] &&
	echo "$(printf %s "$old" | cut -c1-57)... -> $(printf %s "$new" | cut -c1-57)..." >want &&
	test_cmp_files want got
'

test_expect_success '-F - is read once and given to every bead' '
	cd l &&
	printf "shared text\n" | gt-bead-update -F - t-a t-c &&
	assert_eq "shared text" "$(gt-bead-show --json t-a | jq -r .description)" &&
	assert_eq "shared text" "$(gt-bead-show --json t-c | jq -r .description)"
'

test_expect_success 'reopen only reopens closed beads (4 otherwise)' '
	cd l && gt-bead-add -q --id t-ip "in progress" && gt-bead-update -q -s in_progress t-ip &&
	expect_code 4 gt-bead-reopen t-ip 2>err && grep -q "not closed" err &&
	gt-bead-show --json t-ip | jq -e ".status == \"in_progress\""
'

test_expect_success 'a failing stdin record is named by its line' '
	cd l &&
	printf "t-a\nt-nope\n" | expect_code 3 gt-bead-update --stdin -p 1 2>err &&
	grep -q "stdin: line 2: bead .t-nope. not found" err
'

test_done
