#!/bin/sh
# What a git or Beads user expects of any command: git's order for the
# actor's name and email, a list that says when it was cut, a mistyped rig
# named as such, mail marked read only by its recipient.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'the actor follows git: GIT_AUTHOR_NAME and _EMAIL, then user.name/email' '
	new_ledger l && cd l &&
	GIT_AUTHOR_NAME="Ann Author" GIT_AUTHOR_EMAIL=ann@example.com gt-bead-add -q "by ann" &&
	git log -1 --format="%an <%ae>" refs/gt/ledger >got &&
	echo "Ann Author <ann@example.com>" >want && test_cmp_files want got &&
	GIT_AUTHOR_NAME="Bo Only" gt-bead-add -q "by bo" &&
	git log -1 --format="%an <%ae>" refs/gt/ledger >got &&
	echo "Bo Only <test@example.com>" >want && test_cmp_files want got &&
	gt-bead-add -q "by the config" &&
	git log -1 --format="%an <%ae>" refs/gt/ledger >got &&
	echo "Test User <test@example.com>" >want && test_cmp_files want got
'

test_expect_success 'gt-bead-list says when it cut the list, and how to see it all' '
	cd l &&
	i=0 && while [ $i -lt 55 ]; do echo "{\"title\":\"b$i\"}"; i=$((i + 1)); done |
		gt-bead-add --stdin >/dev/null &&
	gt-bead-list >out 2>err &&
	test "$(wc -l <out)" = 50 &&
	grep -q "showing 50 of 58; -n 0 shows all" err &&
	gt-bead-list -n 0 >out 2>err && test "$(wc -l <out)" = 58 && test ! -s err &&
	gt-bead-list -n 100 >out 2>err && test ! -s err &&
	gt-bead-list -n 3 --title b5 >out 2>err && grep -q "more may match" err
'

test_expect_success 'gt-sling BEAD typo: no rig or agent of that name, with the near ones' '
	new_town && cd town &&
	id=$(gt-bead-add "x") &&
	expect_code 3 gt-sling "$id" apq 2>err &&
	grep -q "no rig or agent is named .apq." err && grep -q "did you mean app" err &&
	expect_code 3 gt-sling "$id" zzzz 2>err && grep -q "rigs: app" err &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\""
'

test_done
