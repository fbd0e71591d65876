#!/bin/sh
# Agents and the hook: crew records, hook attach/detach/show/list in one
# transaction each, conflicts, force with mail, polecat removal that
# refuses to lose work.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'a town, a crew member with its own worktree' '
	new_town && cd town &&
	gt-agent-add app/crew/ann >out &&
	test "$(cat out)" = app/crew/ann &&
	test "$(git -C app/crew/ann symbolic-ref --short HEAD)" = crew/ann &&
	gt-agent-show --json app/crew/ann |
		jq -e ".role == \"crew\" and .rig == \"app\" and .state == \"idle\" and .runtime == \"scripted\""
'

test_expect_success 'agent-add refuses duplicates, bad addresses, unknown rigs' '
	cd town &&
	expect_code 4 gt-agent-add app/crew/ann &&
	expect_code 5 gt-agent-add "app/crew/A B" &&
	expect_code 5 gt-agent-add "app/crew/../x" &&
	expect_code 2 gt-agent-add app/polecats/zed &&
	expect_code 3 gt-agent-add nope/crew/x &&
	expect_code 2 gt-agent-add
'

test_expect_success 'hook-attach sets bead and agent in one commit' '
	cd town &&
	id=$(gt-bead-add "Crew work") && echo "$id" >../id &&
	before=$(git rev-list --count refs/gt/ledger) &&
	gt-hook-attach app/crew/ann "$id" &&
	test "$(git rev-list --count refs/gt/ledger)" = $((before + 1)) &&
	gt-bead-show --json "$id" | jq -e ".status == \"hooked\" and .assignee == \"app/crew/ann\"" &&
	gt-agent-show --json app/crew/ann | jq -e ".hook == \"$id\" and .state == \"working\"" &&
	gt-hook-show app/crew/ann | cut -f1 | grep -qx "$id" &&
	gt-hook-list --json | jq -r "select(.agent == \"app/crew/ann\") | .bead == \"$id\"" | grep -qx true
'

test_expect_success 'attaching again is a no-op; a second bead is a conflict' '
	cd town && id=$(cat ../id) &&
	tip=$(ledger_tip) &&
	gt-hook-attach app/crew/ann "$id" &&
	test "$(ledger_tip)" = "$tip" &&
	other=$(gt-bead-add "Other") &&
	expect_code 4 gt-hook-attach app/crew/ann "$other"
'

test_expect_success 'another agent needs --force, and the holder is mailed' '
	cd town && id=$(cat ../id) &&
	gt-agent-add --no-workspace app/crew/bob &&
	expect_code 4 gt-hook-attach app/crew/bob "$id" &&
	gt-hook-attach --force app/crew/bob "$id" 2>err &&
	grep -q "took" err &&
	gt-agent-show --json app/crew/ann | jq -e ".hook == null and .state == \"idle\"" &&
	gt-mail-inbox --json app/crew/ann >mail &&
	jq -r ".title == \"HOOK_TAKEN: $id\" and .ephemeral" mail | grep -qx true &&
	! gt-bead-list --type message --json | grep -q HOOK_TAKEN &&
	GT_AGENT=app/crew/ann gt-prime --json | jq -e ".mail | length == 1"
'

test_expect_success 'hook-detach puts the bead back to open; an empty hook exits 1' '
	cd town && id=$(cat ../id) &&
	test "$(gt-hook-detach app/crew/bob)" = "$id" &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.assignee // \"\") == \"\"" &&
	expect_code 1 gt-hook-show -q app/crew/bob &&
	tip=$(ledger_tip) && gt-hook-detach app/crew/bob && test "$(ledger_tip)" = "$tip"
'

test_expect_success 'closed beads and unknown agents are refused' '
	cd town &&
	c=$(gt-bead-add "Done already") && gt-bead-close -q "$c" &&
	expect_code 4 gt-hook-attach app/crew/bob "$c" &&
	gt-hook-attach --force app/crew/bob "$c" &&
	gt-hook-detach -q app/crew/bob &&
	expect_code 3 gt-hook-attach app/crew/nobody "$c" &&
	expect_code 3 gt-hook-attach app/crew/bob no-such-bead &&
	expect_code 5 gt-hook-attach "bad address" "$c"
'

test_expect_success 'two agents racing for one bead: exactly one wins' '
	cd town &&
	id=$(gt-bead-add "Contested") &&
	for n in c1 c2 c3 c4; do gt-agent-add -q --no-workspace "app/crew/$n" >/dev/null; done &&
	for n in c1 c2 c3 c4; do
		(r=0; gt-hook-attach "app/crew/$n" "$id" >/dev/null 2>&1 || r=$?; echo $r >"rc.$n") &
	done; wait &&
	test "$(cat rc.c1 rc.c2 rc.c3 rc.c4 | grep -c "^0$")" = 1 &&
	test "$(cat rc.c1 rc.c2 rc.c3 rc.c4 | grep -c "^4$")" = 3 &&
	test "$(gt-hook-list --json | jq -r "select(.bead == \"$id\") | .agent" | wc -l)" = 1
'

test_expect_success 'agent-list shows state, hook and session' '
	cd town &&
	gt-agent-list --rig app --role crew | cut -f1 | grep -qx app/crew/ann &&
	gt-agent-list --json | jq -r "select(.address == \"app/crew/ann\") | .session_running == false" | grep -qx true
'

test_expect_success 'polecat-remove refuses unsaved work, --force says what it discarded' '
	cd town &&
	id=$(gt-bead-add "Unsaved") &&
	gt-sling --no-start "$id" app >out && p=$(cut -f2 out) &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo draft >"$ws/draft.txt" &&
	expect_code 4 gt-polecat-remove "$p" 2>err &&
	grep -q "draft.txt" err &&
	test -f "$ws/draft.txt" &&
	gt-polecat-remove --force "$p" 2>err &&
	grep -q "discarded" err && grep -q "draft.txt" err &&
	! test -e "$ws" &&
	expect_code 3 gt-agent-show "$p" &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\"" &&
	expect_code 2 gt-polecat-remove app/crew/ann
'

test_done
