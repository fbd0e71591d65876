#!/bin/sh
# The main job: gt-demo (what `make demo` runs) takes an epic from filing
# to landing with scripted polecats in tmux, the refinery and a convoy,
# and leaves the town and the upstream in the state it reports.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'the demo runs to the end' '
	gt-demo "$TRASH/demo" >out 2>&1 || { cat out; false; } &&
	grep -q "^== Landed" out &&
	grep -q "^The town is $TRASH/demo/town" out
'

test_expect_success 'every bead merged, the conflict through a conflict bead' '
	cd demo/town &&
	convoy=$(gt-convoy-list --all --json | jq -r "select(.title == \"Shop launch\") | .id") &&
	gt-convoy-status --json "$convoy" >st &&
	jq -e ".status == \"closed\" and .done == .total and .total == 7" st &&
	test "$(gt-bead-list --all --label conflict --json | jq -r .status)" = closed &&
	test "$(gt-mq-list --all --json | jq -r "select(.queue == \"merged\") | .id" | wc -l)" = 6 &&
	gt-bead-list --all --type task --json |
		jq -r "select(.labels == null) | .close_reason | startswith(\"Merged in \")" | sort -u >r &&
	test "$(cat r)" = true
'

test_expect_success 'upstream has every change once, in dependency order, no branch left' '
	up=demo/shop.git &&
	git -C $up show main:menu.txt >menu &&
	test "$(grep -c coffee menu)" = 1 && test "$(grep -c tea menu)" = 1 &&
	for f in catalogue.txt basket.txt checkout.txt NOTES.md; do
		git -C $up cat-file -e "main:$f" || die "no $f"
	done &&
	git -C $up show main:NOTES.md | grep -q "coffee" &&
	git -C $up log --format=%s main >log &&
	test "$(grep -n "Add a basket" log | cut -d: -f1)" -lt "$(grep -n "Add the catalogue" log | cut -d: -f1)" &&
	test "$(grep -n "launch notes" log | cut -d: -f1)" = 1 &&
	test "$(git -C $up for-each-ref refs/heads | wc -l)" = 1
'

test_expect_success 'the overseer got one landing mail; the feed tells the story' '
	cd demo/town &&
	test "$(gt-mail-inbox --json overseer | jq -r .title | grep -c "^Convoy landed: Shop launch$")" = 1 &&
	gt-feed -n 0 >feed &&
	grep -q "gt-sling: " feed && grep -q "gt-refinery: merged" feed &&
	grep -q "gt-refinery: conflict" feed && grep -q "land convoy" feed
'

test_expect_success 'the demo refuses a directory in use (4)' '
	expect_code 4 gt-demo "$TRASH/demo"
'

test_done
