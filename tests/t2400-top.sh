#!/bin/sh
# gt-top, the cockpit: --once as plain text, then the curses screen in a
# tmux window of its own (send-keys, capture-pane) against a town whose
# agents run small scripts: what it shows, refreshing when the ledger
# moves, selection, peek, nudge, attach, acknowledging escalations,
# resizing, quitting and SIGTERM with the terminal restored.
. "$(dirname "$0")/lib/test.sh"

# the crew's program: says who it is, then echoes what is typed at its prompt
cat >agent.sh <<'EOF'
printf 'pane of %s\n' "$GT_AGENT"
printf '\033[31mred words\033[0m\n'
printf 'READY> '
while read -r l; do printf 'got:%s\n' "$l"; printf 'READY> '; done
EOF
# a polecat that works forever
cat >hang.sh <<'EOF'
echo working
exec sleep 100000
EOF
# the cockpit's window runs gt-top, then says how it ended
cat >cockpit.sh <<'EOF'
cd "$1" || exit 1
shift
s=$(stty -g)
gt-top "$@"
echo "gt-top exited $?"
[ "$(stty -g)" = "$s" ] && echo "terminal restored"
exec sleep 100000
EOF

# the cockpit's tmux server, apart from the town's
ctmux() {
	tmux -L cockpit "$@"
}
screen() {
	ctmux capture-pane -p -t "${WIN:-cp}"
}
# shows TEXT: the cockpit's screen holds TEXT (a fixed string)
shows() {
	screen | grep -qF -- "$1"
}
hides() {
	! shows "$1"
}
# selected_is TEXT: the selected row (marked ">") holds TEXT
selected_is() {
	screen | grep "^> " | grep -qF -- "$1"
}
# narrower_than N: no line of the screen is N columns wide
narrower_than() {
	test "$(screen | awk "length >= $1" | wc -l)" = 0
}
# frames_at_least N: plain frames printed, scrolled off the screen too
frames_at_least() {
	test "$(ctmux capture-pane -p -S - -t "${WIN:-cp}" | grep -c "^AGENTS (3)")" -ge "$1"
}
keys() {
	ctmux send-keys -t "${WIN:-cp}" "$@"
}
# gt-top's pid in window $1
top_pid() {
	pgrep -x -P "$(ctmux display -p -t "$1" "#{pane_pid}")" gt-top
}
# start_cockpit NAME COLS ROWS [ENV...] -- [gt-top options]
start_cockpit() {
	_n=$1 _c=$2 _r=$3
	shift 3
	_env=
	while [ "$1" != -- ]; do
		_env="$_env $1"
		shift
	done
	shift
	# shellcheck disable=SC2086 # the words of _env are meant
	ctmux new-session -d -x "$_c" -y "$_r" -s "$_n" env $_env sh "$TRASH/cockpit.sh" "$TRASH/town" "$@"
}

test_expect_success 'a town: crew with sessions, a working polecat, a convoy, an escalation' '
	new_town && cd town &&
	gt-config runtime.echo.command "sh $TRASH/agent.sh" &&
	gt-config runtime.echo.prompt none &&
	gt-config runtime.echo.ready "READY> " &&
	gt-config runtime.hang.command "sh $TRASH/hang.sh" &&
	gt-config runtime.hang.prompt none &&
	gt-agent-add -q --agent echo app/crew/ann &&
	gt-agent-add -q --agent echo app/crew/bob &&
	gt-session-start -q app/crew/ann &&
	wait_for sh -c "gt-peek app/crew/ann | grep -q READY" &&
	w=$(gt-bead-add "Work forever") &&
	gt-sling --no-convoy --agent hang "$w" app | cut -f2 >../polecat &&
	test -s ../polecat &&
	b1=$(gt-bead-add "First thing") && b2=$(gt-bead-add "Second thing") &&
	gt-convoy-create "Launch" "$b1" "$b2" >/dev/null &&
	gt-bead-close -q "$b1" &&
	# what runs cost: two on the convoy'"'"'s open bead, and bob'"'"'s run
	# going on (gt-run'"'"'s run file of his session)
	gt-bead-update -q --metadata "{\"runs\":[{\"run\":\"r1\",\"tokens_in\":1000,\"tokens_out\":300,\"cost_usd\":0.4},{\"run\":\"r2\",\"tokens_in\":200,\"tokens_out\":40,\"cost_usd\":0.02}]}" "$b2" &&
	mkdir -p .git/gt/run/sessions &&
	echo "{\"runtime\":\"claude\",\"mode\":\"stream-json\",\"status\":\"idle\",\"usage\":{\"tokens_in\":4821,\"tokens_out\":312,\"cost_usd\":0.0213}}" >.git/gt/run/sessions/gt-app-crew-bob.json &&
	gt-status --json | jq -e ".agents[] | select(.address == \"app/crew/bob\") | .run.usage.tokens_in == 4821" &&
	gt-escalate -s high "Disk is full" >../esc &&
	echo "$w" >../work
'

test_expect_success '--once prints one frame as text: agents, convoy progress, escalation' '
	cd town &&
	p=$(cat ../polecat) w=$(cat ../work) &&
	COLUMNS=120 gt-top --once >out &&
	grep -q "^AGENTS (3)$" out &&
	grep -Eq "^  app/crew/ann +idle +- +- +running" out &&
	grep -Eq "^  app/crew/bob +idle +- +- +stopped" out &&
	grep -Eq "^  $p +working +$w " out &&
	grep -Eq "^  hq-cv-[a-z0-9]+ +\[##########----------\] 1/2  Launch  1200 in/340 out \\\$0\.4200$" out &&
	grep -Eq "^  $(cat ../esc) +high +1x +Disk is full$" out &&
	grep -q "^FEED (8)$" out &&
	grep -q "gt-escalate: escalate \[high\] Disk is full" out &&
	# what runs used: a column for the agents when one reported it
	COLUMNS=160 gt-top --once >wide &&
	grep -Eq "^  ADDRESS .* RESTARTS +USAGE +LAST COMMAND$" wide &&
	grep -Eq "^  app/crew/bob +idle +- +- +stopped +- +0 +4821 in/312 out \\\$0\.0213 +-$" wide &&
	grep -Eq "^  app/crew/ann +idle .* 0 +- +gt-" wide &&
	COLUMNS=40 gt-top --once --feed 0 >narrow &&
	grep -q "^FEED (0)$" narrow &&
	test "$(awk "length > 40" narrow | wc -l)" = 0
'

test_expect_success 'without a terminal it says so (2); bad options are usage errors (2)' '
	cd town &&
	expect_code 2 gt-top >out 2>err </dev/null &&
	grep -q "^gt-top: error: the cockpit needs a terminal" err &&
	grep -q "^hint: gt-top --once" err &&
	test ! -s out &&
	expect_code 2 gt-top --once --interval 1ms 2>/dev/null &&
	expect_code 2 gt-top --once --feed -1 2>/dev/null &&
	expect_code 2 gt-top --once --nudge-mode loud 2>/dev/null &&
	expect_code 2 gt-top --once extra 2>/dev/null
'

# An hour between reads: whatever shows up later came from the ledger
# moving (or a key), not from the interval.
test_expect_success 'the cockpit draws the agents, their states and the convoy' '
	p=$(cat polecat) &&
	start_cockpit cp 120 50 -- --interval 1h &&
	wait_for shows "AGENTS (3)" &&
	screen >s &&
	grep -Eq "^> app/crew/ann +idle +- +- +running" s &&
	grep -Eq "^  $p +working +$(cat work) " s &&
	grep -Eq "\[##########----------\] 1/2  Launch" s &&
	grep -q "Disk is full" s &&
	grep -q "q quit" s
'

test_expect_success 'a ledger write shows up without waiting for the interval' '
	(cd town && b3=$(gt-bead-add "Third thing") &&
		gt-convoy-add "$(gt-convoy-list --json | jq -r .id)" "$b3" >/dev/null) &&
	wait_for shows "1/3  Launch" &&
	shows "Third thing"
'

test_expect_success 'j and k move the selection' '
	p=$(cat polecat) &&
	{ wait_for selected_is app/crew/ann || die "not on ann: $(screen)"; } &&
	keys j && { wait_for selected_is app/crew/bob || die "j: $(screen)"; } &&
	keys Down && { wait_for selected_is "$p" || die "Down: $(screen)"; } &&
	keys j r && { wait_for selected_is "$p" || die "j r: $(screen)"; } &&
	keys k k && { wait_for selected_is app/crew/ann || die "k k: $(screen)"; }
'

test_expect_success 'p shows the pane the agent printed, and closes again' '
	keys p &&
	{ wait_for shows "pane of app/crew/ann" || die "p: $(screen)"; } &&
	shows "app/crew/ann (p or Esc closes)" &&
	shows "red words" &&
	keys p &&
	wait_for hides "pane of app/crew/ann" &&
	shows "AGENTS (3)"
'

test_expect_success 'n prompts for a line and nudges the agent with it, as data' '
	keys n &&
	wait_for shows "nudge app/crew/ann:" &&
	keys -l "hello \$(touch $TRASH/pwned) C-c" &&
	wait_for shows "C-c" &&
	keys Enter &&
	wait_for shows "nudged app/crew/ann (typed)" &&
	(cd town && wait_for sh -c "gt-peek app/crew/ann | grep -qF \"got:hello \\\$(touch\"") &&
	(cd town && gt-peek app/crew/ann) | grep -qF "C-c" &&
	test ! -e pwned
'

test_expect_success 'a nudge given up with Esc types nothing' '
	keys n && wait_for shows "nudge app/crew/ann:" &&
	keys -l "never sent" && wait_for shows "never sent" &&
	keys Escape &&
	wait_for shows "nudge cancelled" &&
	(cd town && gt-peek app/crew/ann) >pane &&
	! grep -q "never sent" pane
'

test_expect_success 'p shows what the nudge made of the pane' '
	keys p &&
	wait_for shows "got:hello \$(touch" &&
	keys Escape &&
	wait_for hides "pane of app/crew/ann"
'

test_expect_success 'e selects the escalations; A acknowledges the selected one' '
	esc=$(cat esc) &&
	keys e &&
	wait_for selected_is "$esc" &&
	keys A &&
	wait_for shows "$esc acked" &&
	wait_for shows "ESCALATIONS (0)" &&
	(cd town && gt-escalation-list --all --json) >list &&
	jq -e "select(.id == \"$esc\") | .status == \"closed\" and (.close_reason | test(\"acked\"))" list &&
	test -z "$(cd town && gt-escalation-list --json)"
'

test_expect_success 'Enter acknowledges too, once the escalations are selected' '
	e2=$(cd town && gt-escalate -s low "Logs are big") &&
	wait_for shows "Logs are big" &&
	keys e &&
	wait_for selected_is "$e2" &&
	keys Enter &&
	wait_for shows "$e2 acked" &&
	(cd town && gt-escalation-list --all --json) | jq -e "select(.id == \"$e2\") | .status == \"closed\"" &&
	wait_for selected_is app/crew/ann
'

test_expect_success '? shows the keys, any key closes them' '
	keys "?" &&
	wait_for shows "gt-top keys" &&
	keys x &&
	wait_for hides "gt-top keys"
'

test_expect_success 'a resized window is drawn again, down to one too small to use' '
	ctmux resize-window -t cp -x 50 -y 10 &&
	wait_for narrower_than 51 &&
	wait_for shows "> app/crew/ann" &&
	shows "j/k select" &&
	ctmux resize-window -t cp -x 12 -y 2 &&
	wait_for shows "gt-top: too" &&
	ctmux resize-window -t cp -x 3 -y 1 &&
	ctmux resize-window -t cp -x 120 -y 50 &&
	wait_for shows "ESCALATIONS (0)" &&
	shows "AGENTS (3)" &&
	top_pid cp >/dev/null
'

test_expect_success 'a attaches to the agent session; detaching comes back to the cockpit' '
	keys a &&
	# the inner tmux status line names the session, cut to 10 columns
	wait_for shows "[gt-app-cr" &&
	hides "AGENTS (3)" &&
	shows "READY>" &&
	keys C-b d &&
	wait_for shows "back from app/crew/ann" &&
	shows "AGENTS (3)"
'

test_expect_success 'q quits and leaves the terminal as it was' '
	keys q &&
	wait_for shows "gt-top exited 0" &&
	shows "terminal restored" &&
	test "$(ctmux display -p -t cp "#{alternate_on} #{cursor_flag}")" = "0 1"
'

test_expect_success 'SIGTERM ends it cleanly too, the terminal restored' '
	WIN=term && export WIN &&
	start_cockpit term 100 30 -- --interval 200ms &&
	wait_for shows "AGENTS (3)" &&
	kill -TERM "$(top_pid term)" &&
	wait_for shows "gt-top exited 0" &&
	shows "terminal restored" &&
	test "$(ctmux display -p -t term "#{alternate_on}")" = 0
'

test_expect_success 'with colours, the pane keeps its own; the interval refreshes the peek' '
	WIN=colour && export WIN &&
	start_cockpit colour 100 30 -u NO_COLOR TERM=screen -- --interval 200ms &&
	wait_for shows "AGENTS (3)" &&
	keys p &&
	wait_for shows "red words" &&
	ctmux capture-pane -e -p -t colour | grep "red words" | grep -q "\[31m" &&
	(cd town && gt-nudge --mode immediate app/crew/ann "from outside" >/dev/null) &&
	wait_for shows "got:from outside" &&
	keys q && wait_for shows "gt-top exited 0"
'

test_expect_success 'TERM=dumb: a plain frame every interval' '
	WIN=dumb && export WIN &&
	start_cockpit dumb 100 30 TERM=dumb -- --interval 200ms &&
	wait_for shows "AGENTS (3)" &&
	wait_for frames_at_least 2 &&
	kill -TERM "$(top_pid dumb)" &&
	wait_for shows "gt-top exited 0"
'

test_expect_success 'inside the town tmux server, a switches the client to the agent session' '
	WIN=inner && export WIN &&
	sock=$(ls "$TMUX_TMPDIR/tmux-$(id -u)" | grep "^gt-") &&
	ctmux new-session -d -x 100 -y 30 -s inner env -u TMUX \
		tmux -L "$sock" new-session -s cockpit -c "$TRASH/town" gt-top &&
	wait_for shows "AGENTS (3)" &&
	keys a &&
	wait_for sh -c "tmux -L $sock list-clients -F \"#{session_name}\" | grep -qx gt-app-crew-ann" &&
	wait_for shows "READY>" &&
	tmux -L "$sock" switch-client -t =cockpit &&
	wait_for shows "switched to app/crew/ann" &&
	keys q &&
	wait_for sh -c "! tmux -L $sock has-session -t =cockpit"
'

test_expect_success 'an e-stop shows while it is in force; SIGINT ends the cockpit cleanly' '
	WIN=stop && export WIN &&
	start_cockpit stop 100 30 -- --interval 200ms &&
	wait_for shows "e-stop off" &&
	(cd town && gt-estop -q -m "bad deploy" app) &&
	wait_for shows "E-STOP in force for rig app: bad deploy" &&
	screen | head -1 | grep -q "E-STOP$" &&
	(cd town && gt-thaw app >/dev/null) &&
	wait_for shows "e-stop off" &&
	hides "E-STOP in force" &&
	kill -INT "$(top_pid stop)" &&
	wait_for shows "gt-top exited 0" &&
	shows "terminal restored"
'

test_done
