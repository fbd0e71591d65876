#!/bin/sh
# The ledger demo: gt-demo-ledger tells the ledger story and
# leaves a town in the state the story describes.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'the demo runs to the end' '
	gt-demo-ledger "$TRASH/town" >out 2>&1 &&
	grep -q "the export is the imported file, byte for byte" out &&
	grep -q "^The town is $TRASH/town" out
'

test_expect_success 'ready work before and after the agent finished' '
	awk "/^== Ready work/,/^== Blocked/" out | grep -q "^web-8kq	P0	open	task" &&
	awk "/^== Closing it unblocked/,/^== Everything/" out | grep -q "^web-2x1.2	P1	open	task" &&
	! awk "/^== Ready work/,/^== Blocked/" out | grep -q "web-c3v"
'

test_expect_success 'the town is left as the story says' '
	cd town &&
	gt-bead-show --json web-8kq | jq -e ".status == \"closed\" and
		.assignee == \"web/polecats/nux\" and .close_reason == \"Merged in 9b3e210\" and
		(.comments | length) == 1" &&
	gt-blocked --json | jq -r .id | sort | tr "\n" " " | grep -q "^web-2x1.3 web-4ht web-f0e $" &&
	gt-maintain -q --no-repack
'

test_expect_success 'the demo refuses to reuse a repository (4)' '
	expect_code 4 gt-demo-ledger "$TRASH/town"
'

test_expect_success 'the demo will not turn another repository into a town (4)' '
	git init -q project && mkdir project/sub &&
	expect_code 4 gt-demo-ledger "$TRASH/project/sub" &&
	expect_code 1 git -C project rev-parse -q --verify refs/gt/ledger
'

test_done
