#!/bin/sh
# Sessions on the town's tmux server: start, list, peek, nudge (immediate,
# wait-idle, queued), handoff, the environment a session gets, and
# gt-prime as the first thing an agent reads.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'a town with two crew members running small programs' '
	new_town && cd town &&
	gt-config runtime.echo.command "sh -c '\''printf \"READY> \"; while read -r l; do printf \"got:%s\\n\" \"\$l\"; printf \"READY> \"; done'\''" &&
	gt-config runtime.echo.prompt none &&
	gt-config runtime.echo.ready "READY> " &&
	gt-config runtime.envdump.command "sh -c '\''env >\"\$GT_TOWN_ROOT/env.\$GT_SESSION\"; exec sleep 600'\''" &&
	gt-agent-add -q --agent echo app/crew/ann &&
	gt-agent-add -q --agent envdump app/crew/bob
'

test_expect_success 'session-start, session-list, peek' '
	cd town &&
	test "$(gt-session-start app/crew/ann)" = gt-app-crew-ann &&
	expect_code 4 gt-session-start app/crew/ann &&
	gt-session-list --json | jq -r "select(.session == \"gt-app-crew-ann\") | .agent" | grep -qx app/crew/ann &&
	wait_for sh -c "gt-peek app/crew/ann | grep -q READY" &&
	gt-agent-show --json app/crew/ann | jq -e ".session_running == true" &&
	gt-agent-list --json | jq -r "select(.address == \"app/crew/ann\") | .session_running" | grep -qx true &&
	gt-agent-list --json | jq -r "select(.address == \"app/crew/bob\") | .session_running" | grep -qx false
'

test_expect_success 'a session gets its identity in the environment' '
	cd town &&
	gt-session-start -q app/crew/bob &&
	wait_for test -s env.gt-app-crew-bob &&
	grep -qx "GT_AGENT=app/crew/bob" env.gt-app-crew-bob &&
	grep -qx "GT_ROLE=crew" env.gt-app-crew-bob &&
	grep -qx "GT_RIG=app" env.gt-app-crew-bob &&
	grep -q "^GT_DIR=/" env.gt-app-crew-bob &&
	grep -qx "GIT_AUTHOR_NAME=app/crew/bob" env.gt-app-crew-bob &&
	grep -q "^GIT_AUTHOR_EMAIL=app.crew.bob@" env.gt-app-crew-bob &&
	test "$(sed -n "s/^GT_DIR=//p" env.gt-app-crew-bob)" = "$(cd .git && pwd)"
'

test_expect_success 'nudge immediately: the text arrives literally, then Enter' '
	cd town &&
	gt-nudge --mode immediate app/crew/ann "hello \$(touch $TRASH/pwned) C-c Enter" >out &&
	grep -q typed out &&
	wait_for sh -c "gt-peek app/crew/ann | grep -qF \"got:hello \\\$(touch\"" &&
	gt-peek app/crew/ann | grep -qF "C-c Enter" &&
	! test -e "$TRASH/pwned"
'

test_expect_success 'nudge waiting for idle types when the prompt shows' '
	cd town &&
	gt-nudge app/crew/ann "second" | grep -q typed &&
	wait_for sh -c "gt-peek app/crew/ann | grep -q got:second"
'

test_expect_success 'two nudges at once never interleave' '
	cd town &&
	for x in a b; do
		(r=0; gt-nudge --mode immediate app/crew/ann "$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x" >"nudge.$x" 2>&1 || r=$?; echo $r >"rc.$x") &
	done; wait &&
	cat nudge.a nudge.b && test "$(cat rc.a rc.b)" = "0
0" &&
	wait_for sh -c "gt-peek app/crew/ann 50 | grep -q got:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" &&
	wait_for sh -c "gt-peek app/crew/ann 50 | grep -q got:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
'

test_expect_success 'queued nudges wait for gt-prime or --drain' '
	cd town &&
	gt-nudge --mode queue app/crew/ann "first queued" | grep -q queued &&
	gt-nudge --mode queue app/crew/ann "second queued" >/dev/null &&
	GT_AGENT=app/crew/ann gt-prime --json >p &&
	jq -e "[.nudges[].text] == [\"first queued\", \"second queued\"]" p &&
	GT_AGENT=app/crew/ann gt-prime --json | jq -e ".nudges == []" &&
	gt-nudge --mode queue app/crew/ann "third" >/dev/null &&
	test "$(gt-nudge --drain app/crew/ann)" = "[from Test User] third" &&
	test -z "$(gt-nudge --drain app/crew/ann)"
'

test_expect_success 'prime: identity, hook, procedure ending in gt-done' '
	cd town &&
	id=$(gt-bead-add "Fix the parser" -d "The parser breaks on tabs." --acceptance "tabs parse") &&
	gt-hook-attach -q app/crew/ann "$id" &&
	GT_AGENT=app/crew/ann gt-prime >p &&
	grep -q "^You are app/crew/ann, a gt crew of rig app" p &&
	grep -q "^$id .*hooked" p && grep -q "The parser breaks on tabs." p &&
	grep -q "tabs parse" p &&
	tail -1 p | grep -q gt-done &&
	GT_AGENT=app/crew/ann gt-prime --json | jq -e ".bead.id == \"$id\" and .agent.address == \"app/crew/ann\" and (.procedure | length) >= 3"
'

test_expect_success 'prime from a runtime hook finds the agent by the cwd it reports' '
	cd town &&
	ws=$(gt-agent-show --json app/crew/ann | jq -r .workspace) &&
	printf "{\"session_id\":\"abc\",\"source\":\"startup\",\"cwd\":\"%s\",\"hook_event_name\":\"SessionStart\"}" "$ws" |
		gt-prime --hook --json >p &&
	jq -e ".agent.address == \"app/crew/ann\" and .session_id == \"abc\"" p &&
	(cd "$ws" && gt-prime --json) | jq -e ".agent.address == \"app/crew/ann\"" &&
	echo "{bad" | expect_code 5 gt-prime --hook
'

test_expect_success 'prime says so when the hook is empty, and fails loudly on errors' '
	cd town &&
	GT_AGENT=app/crew/bob gt-prime >p &&
	grep -q "Nothing is on your hook" p &&
	GT_AGENT=app/crew/nobody expect_code 3 gt-prime >p 2>err &&
	! grep -qi "nothing is on" p && test -s err &&
	GT_DIR=$TRASH/nowhere GT_AGENT=app/crew/ann expect_code 3 gt-prime >p 2>err &&
	! test -s p
'

test_expect_success 'handoff restarts the session in place with notes for the next one' '
	cd town &&
	pid1=$(gt-session-list --json | jq -r "select(.agent == \"app/crew/ann\") | .pid") &&
	gt-handoff -q -m "tried the lexer first" app/crew/ann &&
	wait_for sh -c "gt-session-list --json | jq -r \"select(.agent == \\\"app/crew/ann\\\") | .pid\" | grep -vqx $pid1" &&
	GT_AGENT=app/crew/ann gt-prime --json | jq -e ".handoff.notes == \"tried the lexer first\" and .bead != null" &&
	GT_AGENT=app/crew/ann gt-prime | grep -q "tried the lexer first"
'

test_expect_success 'session-stop keeps the hook; attach needs a terminal' '
	cd town &&
	gt-session-stop app/crew/ann >/dev/null &&
	expect_code 3 gt-session-stop app/crew/ann &&
	gt-hook-show -q app/crew/ann >/dev/null &&
	expect_code 3 gt-peek app/crew/ann &&
	gt-session-start -q app/crew/ann &&
	expect_code 2 gt-session-attach app/crew/ann </dev/null &&
	expect_code 3 gt-nudge --mode immediate app/crew/nobody hi &&
	expect_code 2 gt-nudge --mode loud app/crew/ann hi &&
	expect_code 2 gt-peek app/crew/ann notanumber
'

test_done
