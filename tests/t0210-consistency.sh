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

test_expect_success 'partial ids work for convoys, molecules and escalations too' '
	cd town &&
	b=$(gt-bead-add "tracked") &&
	c=$(gt-convoy-create "conv" "$b" | cut -f1) &&
	gt-convoy-status "${c##*-}" | head -n 1 | grep -q "^$c	" &&
	gt-convoy-add "${c##*-}" "$(gt-bead-add other)" >/dev/null &&
	m=$(gt-mol-pour --on "$b" mol-polecat-work) &&
	gt-mol-status "${m##*-}" | head -n 1 | grep -q "^$m	" &&
	e=$(gt-escalate "needs a look" | cut -f1) &&
	gt-escalation-ack "${e##*-}" | grep -q "^$e	acked"
'

test_expect_success 'epics: status, eligible once every child is closed, closed on request' '
	cd town &&
	ep=$(gt-bead-add -t epic "Big epic") &&
	c1=$(gt-bead-add --parent "$ep" "one") && c2=$(gt-bead-add --parent "$ep" "two") &&
	gt-epic-status "$ep" | grep -q "^$ep	0/2	open	Big epic" &&
	gt-bead-close -q "$c1" &&
	gt-epic-status --eligible >out && test ! -s out &&
	gt-bead-close -q "$c2" &&
	gt-epic-status --eligible | grep -q "^$ep	2/2	open (eligible)" &&
	tip=$(ledger_tip) &&
	gt-epic-status --close-eligible --dry-run | grep -q "would close" &&
	test "$(ledger_tip)" = "$tip" &&
	gt-epic-status --close-eligible --json | jq -e ".id == \"$ep\" and .action == \"closed\"" &&
	gt-bead-show --json "$ep" | jq -e ".status == \"closed\" and .close_reason == \"All children closed\"" &&
	empty=$(gt-bead-add -t epic "No children") &&
	gt-epic-status --json "$empty" | jq -e ".eligible == false"
'

test_expect_success 'gt-bead-dep tree --up shows an epic and its children (it crashed)' '
	cd town &&
	ep=$(gt-bead-add -t epic "Tree epic") &&
	k1=$(gt-bead-add --parent "$ep" "leaf one") && k2=$(gt-bead-add --parent "$ep" "leaf two") &&
	gt-bead-dep tree --up "$ep" >out &&
	test "$(wc -l <out)" = 3 && grep -q "$k1: leaf one" out && grep -q "$k2: leaf two" out
'

test_expect_success 'filters that name no known value are usage errors listing the known ones' '
	cd town &&
	expect_code 2 gt-bead-list --status bogus 2>err && grep -q "known: all, open, in_progress" err &&
	expect_code 2 gt-bead-list -s in-progress 2>err && grep -q "unknown status .in-progress." err &&
	expect_code 2 gt-ready -t nosuchtype 2>err && grep -q "unknown type .nosuchtype." err &&
	gt-bead-list -t feat -n 1 >/dev/null &&
	gt-config status.custom review && gt-bead-list -s review >/dev/null &&
	gt-config types.custom spike2 && expect_code 2 gt-bead-count -t bogus &&
	gt-ready -t spike2 >/dev/null
'

test_expect_success 'poured molecule steps: out of plain gt-ready, listed under --parent, slung like any bead' '
	cd town &&
	b=$(gt-bead-add "needs a molecule") &&
	m=$(gt-mol-pour --on "$b" --var version=1.0.0 release) &&
	gt-bead-show --json "$m.1" >/dev/null &&
	! gt-ready --json -n 0 | jq -r .id | grep -q "^$m\." &&
	gt-ready --json -n 0 --parent "$m" | jq -r .id | grep -q "^$m\.1$"
'

test_done
