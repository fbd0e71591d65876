#!/bin/sh
# Supervision: the witness's ladder on agents that hang, crash-loop, die
# mid-step, stay open after gt-done or are left spawning; closed beads on
# hooks; snapshots before anything is stopped; escalations; the deacon,
# gt-up and gt-down; polecat removal refusing live work; an idle town
# writing nothing.  Real tmux sessions and real processes throughout.
. "$(dirname "$0")/lib/test.sh"

WLOG=$TRASH/witness.log

# has FILTER: some JSON record on stdin satisfies FILTER (jq 1.6's -e
# goes by the last record only, and says yes to no input at all)
has() {
	jq -s -e "any(.[]; $1)" >/dev/null
}

# gone PID: the process has ended (a zombie nobody reaped counts)
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q "^[0-9]* (.*) Z" "/proc/$1/stat" 2>/dev/null
}

# patrol_until ACTION: patrol the rig until the log shows ACTION (for
# AGENT when given).  Waits for the condition, not for a time.
patrol_until() {
	wait_for sh -c "gt-witness --json app >>'$WLOG' &&
		grep '\"action\":\"$1\"' '$WLOG' | grep -q '${2:-}'"
}

# the order of the actions for agent $1 in the log, one per line
actions_of() {
	jq -r "select(.agent == \"$1\") | .action" "$WLOG"
}

step_bead() {
	gt-bead-add "$1" -d "Steps:
\`\`\`sh
$2
\`\`\`"
}

sling_to() {
	gt-sling --no-convoy --agent "$1" "$2" app | cut -f2
}

test_expect_success 'a town whose workers can hang, crash, stay open' '
	new_town && cd town &&
	gt-config runtime.hang.command "sh -c '\''echo working; exec sleep 100000'\''" &&
	gt-config runtime.hang.prompt none &&
	gt-config runtime.crash.command "sh -c '\''exit 3'\''" &&
	gt-config runtime.crash.prompt none &&
	gt-config runtime.stay.command "sh -c '\''gt-scripted-agent; exec sleep 100000'\''" &&
	gt-config runtime.stay.prompt none &&
	gt-config rig.stall-after 1s &&
	gt-config rig.max-restarts 1
'

test_expect_success 'gt commands an agent runs leave a heartbeat, not a ledger write' '
	cd town &&
	tip=$(ledger_tip) &&
	GT_AGENT=app/polecats/jasper GT_BEAD=hq-x gt-ready >/dev/null &&
	f=.git/gt/run/agents/app.polecats.jasper.cmd &&
	jq -e ".command == \"gt-ready\" and .bead == \"hq-x\" and .at > 0" "$f" &&
	test "$(ledger_tip)" = "$tip" &&
	GT_AGENT="../../etc" gt-ready >/dev/null &&
	! ls .git/gt/run/agents | grep -v "^app.polecats.jasper.cmd$"
'

test_expect_success 'a hung worker: nudged, restarted, then released and escalated (Gas Town #1266)' '
	cd town &&
	id=$(gt-bead-add "Hangs") && p=$(sling_to hang "$id") &&
	echo "$id $p" >"$TRASH/hung" &&
	patrol_until escalated "$p" &&
	actions_of "$p" | uniq >order &&
	printf "nudged\nrestarted\nnudged\nreleased\nescalated\n" >want &&
	test_cmp_files want order &&
	gt-bead-show --json "$id" >b &&
	jq -e ".status == \"open\" and ((.assignee // \"\") == \"\") and .metadata.attempts == 2" b &&
	jq -e ".metadata.released_from == \"$p\"" b &&
	jq -e "[.comments[].text] | any(test(\"Released by the witness\"))" b &&
	gt-agent-show --json "$p" | jq -e ".state == \"idle\" and (.hook // null) == null" &&
	! gt-session-list --json | has ".agent == \"$p\""
'

test_expect_success 'the nudge reached the hung session, the restart came with handoff notes' '
	cd town &&
	read -r id p <"$TRASH/hung" &&
	gt-feed -n 200 --json --agent "app/witness" | has ".summary | test(\"handoff $p\")" &&
	grep "\"action\":\"restarted\"" "$WLOG" | jq -e ".snapshot | startswith(\"refs/gt/snapshots/$p/\")"
'

test_expect_success 'the escalation is mailed once and counted when it happens again' '
	cd town &&
	read -r id p <"$TRASH/hung" &&
	gt-escalation-list --json >esc &&
	test "$(jq -s length esc)" = 1 &&
	jq -e ".metadata.severity == \"high\" and .metadata.bead == \"$id\" and .metadata.count == 1" esc &&
	test "$(gt-mail-inbox --json overseer | jq -s "map(select(.title | test(\"gave up\"))) | length")" = 1 &&
	p2=$(sling_to hang "$id") && test "$p2" = "$p" &&
	patrol_until escalated "\"new\":false" &&
	gt-escalation-list --json | jq -e ".metadata.count == 2" &&
	test "$(gt-mail-inbox --json overseer | jq -s "map(select(.title | test(\"gave up\"))) | length")" = 1 &&
	gt-bead-show --json "$id" | jq -e ".metadata.attempts == 4"
'

test_expect_success 'a crash loop backs off into a release, with its attempts recorded (Gas Town #1380)' '
	cd town &&
	gt-config rig.app.max-restarts 2 &&
	id=$(gt-bead-add "Crashes") && p=$(sling_to crash "$id") &&
	patrol_until released "$id" &&
	grep "\"bead\":\"$id\"" "$WLOG" | jq -r .action >order &&
	printf "restarted\nrestarted\nreleased\nescalated\n" >want &&
	test_cmp_files want order &&
	grep "\"bead\":\"$id\"" "$WLOG" | jq -r "select(.action == \"restarted\") | .reason" | sort -u >why &&
	grep -q "gone" why &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and .metadata.attempts == 3" &&
	gt-config --unset rig.app.max-restarts
'

test_expect_success 'a worker killed mid-step is restarted and resumes at that step' '
	cd town &&
	gt-config rig.stall-after 1h &&
	id=$(gt-bead-add "Two steps" -d "First:
\`\`\`sh
echo one >>\"$TRASH/count\"; echo a >a.txt
\`\`\`
Then:
\`\`\`sh
while [ ! -e \"$TRASH/go\" ]; do sleep 0.1; done; echo b >b.txt
\`\`\`") &&
	p=$(sling_to scripted "$id") &&
	wait_for sh -c "gt-peek $p | grep -q \"step 2\"" &&
	pid=$(gt-session-list --json | jq -r "select(.agent == \"$p\") | .pid") &&
	kill -9 "$pid" &&
	wait_for sh -c "! gt-session-list --json | jq -s -e \"any(.[]; .agent == \\\"$p\\\")\" >/dev/null" &&
	patrol_until restarted "$id" &&
	touch "$TRASH/go" &&
	wait_for sh -c "gt-bead-list --type merge-request --json | jq -s -e \"any(.[]; .metadata.source_bead == \\\"$id\\\")\" >/dev/null" &&
	test "$(wc -l <"$TRASH/count")" = 1 &&
	gt-config rig.stall-after 1s
'

test_expect_success 'a runtime whose program died inside a live pane is restarted' '
	cd town &&
	gt-config runtime.wrapped.command "sh -c '\''sleep 100000; exec tail -f /dev/null'\''" &&
	gt-config runtime.wrapped.prompt none &&
	gt-config runtime.wrapped.process sleep &&
	gt-config rig.stall-after 1h &&
	id=$(gt-bead-add "Wrapped") && p=$(sling_to wrapped "$id") &&
	pane=$(gt-session-list --json | jq -r "select(.agent == \"$p\") | .pid") &&
	wait_for pgrep -s "$pane" -x sleep &&
	gt-witness --json app >w && ! has ".agent == \"$p\" and .action == \"restarted\"" <w &&
	hb=.git/gt/run/agents/$(echo "$p" | tr / .).json &&
	jq -e ".bead == \"$id\" and .step == \"load-context\" and .pid == $pane and (.screen | length) == 16" "$hb" &&
	pkill -s "$pane" -x sleep &&
	wait_for pgrep -s "$pane" -x tail &&
	gt-witness --json app >w &&
	has ".agent == \"$p\" and .action == \"restarted\" and (.reason | test(\"program is gone\"))" <w &&
	gt-config rig.stall-after 1s &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'a closed bead on a hook is unhooked and its session stopped, never redone (Gas Town #4698)' '
	cd town &&
	id=$(gt-bead-add "Closed under it") && p=$(sling_to hang "$id") &&
	gt-bead-close "$id" &&
	patrol_until unhooked "$id" &&
	grep "\"bead\":\"$id\"" "$WLOG" | jq -r .action >order &&
	printf "stopped\nunhooked\n" >want && test_cmp_files want order &&
	gt-agent-show --json "$p" | jq -e "(.hook // null) == null and .state == \"idle\"" &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\"" &&
	gt-witness --json app >again &&
	! grep -q "$id" again &&
	! gt-session-list --json | has ".agent == \"$p\""
'

test_expect_success 'a second bead to a rig whose idle polecat stayed open reuses it, restarted' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	one=$(step_bead "First of two" "echo 1 >one.txt") && p=$(sling_to stay "$one") &&
	wait_for sh -c "gt-agent-show --json $p | jq -e \".state == \\\"idle\\\"\"" &&
	pid=$(gt-session-list --json | jq -r "select(.agent == \"$p\") | .pid") && test -n "$pid" &&
	two=$(step_bead "Second of two" "echo 2 >two.txt") &&
	gt-sling --no-convoy --agent stay "$two" app >out && grep -q "^$two	$p	reuse$" out &&
	wait_for sh -c "gt-bead-list --type merge-request --json | jq -s -e \"any(.[]; .metadata.source_bead == \\\"$two\\\")\" >/dev/null" &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	test "$(gt-session-list --json | jq -r "select(.agent == \"$p\") | .pid")" != "$pid" &&
	three=$(gt-bead-add "Third, refused") && gt-bead-close "$three" &&
	wait_for sh -c "gt-agent-show --json $p | jq -e \".state == \\\"idle\\\"\"" &&
	expect_code 4 gt-sling --no-convoy --agent stay "$three" app &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'sessions without a hook or a record behind them are stopped (Gas Town #3658)' '
	cd town &&
	id=$(step_bead "Stays open" "echo s >s.txt") && p=$(sling_to stay "$id") &&
	wait_for sh -c "gt-agent-show --json $p | jq -e \".state == \\\"idle\\\"\"" &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	sock=$(ls -d "$TMUX_TMPDIR"/tmux-*/gt-* | head -1) &&
	tmux -S "$sock" new-session -d -s gt-app-ghost sleep 100000 &&
	gt-witness --json app >out &&
	has ".agent == \"$p\" and .action == \"stopped\"" <out &&
	has ".agent == \"ghost\" and .action == \"stopped\"" <out &&
	! gt-session-list --json | has ".agent == \"$p\"" &&
	! tmux -S "$sock" has-session -t =gt-app-ghost 2>/dev/null
'

test_expect_success 'a record left spawning by a killed sling is cleaned up' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	gt-config rig.app.setup "echo \$\$ >\"$TRASH/setup.pid\"; exec sleep 100000" &&
	id=$(gt-bead-add "Spawn dies") &&
	{ gt-sling --no-convoy --agent hang "$id" app >/dev/null 2>&1 & } &&
	sling=$! &&
	wait_for test -s "$TRASH/setup.pid" &&
	p=$(gt-agent-list --json | jq -r "select(.state == \"spawning\") | .address") &&
	test -n "$p" &&
	kill -9 "$sling" && kill -9 "$(cat "$TRASH/setup.pid")" &&
	gt-config --unset rig.app.setup &&
	gt-config rig.spawn-timeout 0s &&
	patrol_until spawn-cleaned "$p" &&
	! gt-agent-list --json | has ".address == \"$p\" and .state == \"spawning\"" &&
	gt-config --unset rig.spawn-timeout &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\""
'

test_expect_success 'snapshots keep tracked changes and untracked files, not ignored ones' '
	cd town &&
	id=$(gt-bead-add "Snap") && p=$(gt-sling --no-convoy --no-start --agent hang "$id" app | cut -f2) &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo ignored.log >"$ws/.gitignore" && git -C "$ws" add .gitignore && git -C "$ws" commit -qm ignore &&
	head=$(git -C "$ws" rev-parse HEAD) &&
	echo change >>"$ws/README.md" && echo new >"$ws/new.txt" && echo noise >"$ws/ignored.log" &&
	expect_code 4 gt-polecat-remove "$p" 2>err && grep -q "new.txt" err &&
	gt-polecat-remove --force "$p" 2>err &&
	grep -q "kept in the snapshot $p/" err && ! test -e "$ws" &&
	snap=$(gt-snapshot-list --json "$p" | jq -r "select(.reason == \"polecat removed\") | \"\(.agent)/\(.n)\"" | tail -1) &&
	gt-snapshot-list | grep -q "^$snap	" &&
	gt-snapshot-show "$snap" >show &&
	grep -q "README.md" show && grep -q "new.txt" show &&
	! grep -q ignored.log show &&
	gt-snapshot-show --json "$snap" | jq -e ".parent == \"$head\" and .rig == \"app\"" &&
	git -C app/.repo.git worktree add -q --detach "$TRASH/wt" "$head" &&
	gt-snapshot-restore --to "$TRASH/wt" "$snap" &&
	test "$(cat "$TRASH/wt/new.txt")" = new &&
	grep -q change "$TRASH/wt/README.md" && ! test -e "$TRASH/wt/ignored.log" &&
	expect_code 3 gt-snapshot-show app/polecats/nobody/1 &&
	expect_code 3 gt-snapshot-restore "$snap" &&
	expect_code 2 gt-snapshot-show not-a-snapshot
'

test_expect_success 'polecat removal refuses a bead on the hook without --force' '
	cd town &&
	id=$(gt-bead-add "Hooked") && p=$(gt-sling --no-convoy --no-start --agent hang "$id" app | cut -f2) &&
	expect_code 4 gt-polecat-remove "$p" 2>err &&
	grep -q "has $id on its hook" err &&
	gt-agent-show --json "$p" | jq -e ".hook == \"$id\"" &&
	gt-polecat-remove --force "$p" >/dev/null &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\""
'

test_expect_success 'taking a snapshot leaves the workspace, its index and HEAD alone' '
	cd town &&
	id=$(gt-bead-add "Snap live") && p=$(gt-sling --no-convoy --no-start --agent hang "$id" app | cut -f2) &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo staged >"$ws/staged.txt" && git -C "$ws" add staged.txt &&
	echo loose >"$ws/loose.txt" &&
	git -C "$ws" status --porcelain >before && git -C "$ws" rev-parse HEAD >hbefore &&
	gt-agent-show --json "$p" | jq -e ".state == \"working\"" &&
	gt-witness --json app >out &&
	has ".agent == \"$p\" and .action == \"restarted\" and (.snapshot | type) == \"string\"" <out &&
	git -C "$ws" status --porcelain >after && git -C "$ws" rev-parse HEAD >hafter &&
	test_cmp_files before after && test_cmp_files hbefore hafter &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'polecat removal refuses a live session without --force' '
	cd town &&
	id=$(gt-bead-add "Live") && p=$(sling_to hang "$id") &&
	expect_code 4 gt-polecat-remove "$p" 2>err &&
	grep -q "has a live session" err &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	gt-polecat-remove --force "$p" &&
	! gt-session-list --json | has ".agent == \"$p\""
'

test_expect_success 'gt-escalate: severities, dedupe keys, the notify command, ack' '
	cd town &&
	cat >"$TRASH/notify" <<-EOF &&
	#!/bin/sh
	printf "%s\n" "\$@" >>"$TRASH/notified"
	EOF
	chmod +x "$TRASH/notify" &&
	gt-config escalation.notify "$TRASH/notify --from gt" &&
	expect_code 2 gt-escalate -s urgent "x" &&
	expect_code 2 gt-escalate &&
	e=$(gt-escalate -s critical --key disk "disk full \$(touch $TRASH/pwned)") &&
	test "$(gt-escalate -s critical --key disk "disk full again")" = "$e" &&
	! test -e "$TRASH/pwned" &&
	grep -qx -- "--from" "$TRASH/notified" && grep -qx "$e" "$TRASH/notified" &&
	grep -qx "critical" "$TRASH/notified" &&
	test "$(grep -c "^$e\$" "$TRASH/notified")" = 1 &&
	gt-escalation-list --json | jq -s -e ".[0].id == \"$e\" and .[0].metadata.count == 2" &&
	gt-escalation-ack -m "freed space" "$e" | grep -q acked &&
	! gt-escalation-list --json | has ".id == \"$e\"" &&
	gt-escalation-list --all --json | has ".id == \"$e\" and .status == \"closed\"" &&
	test "$(gt-escalate --key disk "disk full once more")" = "$e" &&
	test "$(grep -c "^$e\$" "$TRASH/notified")" = 2 &&
	expect_code 3 gt-escalation-ack hq-esc-nosuch &&
	expect_code 2 gt-escalation-ack "$(gt-bead-add plain)"
'

test_expect_success 'an unacknowledged escalation is raised again after escalation.timeout' '
	cd town &&
	n=$(wc -l <"$TRASH/notified") &&
	gt-config escalation.timeout 0s &&
	gt-deacon --once --json >out &&
	has ".patrol == \"escalation\" and .action == \"raised-again\"" <out &&
	test "$(wc -l <"$TRASH/notified")" -gt "$n" &&
	gt-config escalation.timeout 1h &&
	gt-deacon --once --json >out2 &&
	! has ".action == \"raised-again\"" <out2 &&
	gt-config --unset escalation.notify
'

test_expect_success 'the deacon runs the refinery when the queue has work' '
	cd town &&
	id=$(step_bead "Merge me" "echo m >m.txt") && p=$(sling_to scripted "$id") &&
	wait_for sh -c "gt-mq-list --json | jq -s -e \"any(.[]; .metadata.source_bead == \\\"$id\\\")\" >/dev/null" &&
	gt-deacon --once --json >out &&
	has ".patrol == \"refinery\" and .action == \"ran\" and any(.outcomes[]; .outcome == \"merged\")" <out &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\"" &&
	git -C ../project show HEAD:m.txt
'

test_expect_success 'gt-up starts one deacon, gt-up again finds it, SIGKILL and gt-up bring it back' '
	cd town &&
	gt-up --interval 100ms >up && pid=$(cut -f1 up) && grep -q started up &&
	kill -0 "$pid" &&
	gt-up >up2 && grep -q "running already" up2 && test "$(cut -f1 up2)" = "$pid" &&
	expect_code 4 gt-deacon --once 2>err && grep -q "pid $pid" err &&
	gt-status --json | jq -e ".deacon.running == true and .deacon.pid == $pid" &&
	kill -9 "$pid" &&
	wait_for gone "$pid" &&
	gt-up --interval 100ms >up3 && pid3=$(cut -f1 up3) && test "$pid3" != "$pid" &&
	grep -q started up3 &&
	gt-down >down && grep -q "$pid3" down && wait_for gone "$pid3" &&
	gt-down | grep -q "not running" &&
	gt-status --json | jq -e ".deacon.running == false"
'

test_expect_success 'two gt-up at once start one deacon' '
	cd town &&
	(gt-up --interval 100ms >a &) && (gt-up --interval 100ms >b &) &&
	wait_for test -s a && wait_for test -s b &&
	test "$(cut -f1 a)" = "$(cut -f1 b)" &&
	test "$(pgrep -c -f "gt-deacon --watch --gt-dir $(cd .git && pwd)")" = 1 &&
	gt-down >/dev/null
'

test_expect_success 'gt-up --print-systemd prints a unit that runs the deacon' '
	cd town &&
	gt-up --print-systemd >unit &&
	grep -q "^ExecStart=.*/gt-deacon --watch --interval 30s --gt-dir /" unit &&
	grep -q "^Restart=always" unit
'

test_expect_success 'an idle town: patrols write nothing, to the ledger or the run files' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.hook != null) | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	gt-witness app >/dev/null && gt-deacon --once >/dev/null &&
	tip=$(ledger_tip) &&
	ls -l --time-style=+%s.%N -R .git/gt/run >ls1 &&
	for i in 1 2 3; do gt-witness app && gt-deacon --once; done >out &&
	test ! -s out &&
	test "$(ledger_tip)" = "$tip" &&
	ls -l --time-style=+%s.%N -R .git/gt/run | grep -v "deacon\.\(lock\|pid\)" >ls2 &&
	grep -v "deacon\.\(lock\|pid\)" ls1 >ls1b &&
	test_cmp_files ls1b ls2
'

test_expect_success 'a writer stopped while holding the ledger lock: others wait a bound, then say who' '
	cd town &&
	: >.git/gt/ledger.lock &&
	{ flock .git/gt/ledger.lock sh -c "echo \"\$\$ (gt-test-holder, since then)\" >.git/gt/ledger.lock; kill -STOP \$\$" & } &&
	holder=$! &&
	wait_for sh -c "grep -q gt-test-holder .git/gt/ledger.lock && grep -q \"^[0-9]* (.*) T\" /proc/\$(cut -d\" \" -f1 .git/gt/ledger.lock)/stat" &&
	tip=$(ledger_tip) &&
	GT_LEDGER_LOCK_TIMEOUT=300ms expect_code 6 gt-bead-add "blocked" 2>err &&
	cat err &&
	grep -q "held by pid [0-9]* (gt-test-holder, since then), which is stopped" err &&
	test "$(ledger_tip)" = "$tip" &&
	kill -CONT "$(cut -d" " -f1 .git/gt/ledger.lock)" && wait "$holder" &&
	gt-bead-add -q "unblocked" &&
	grep -q "gt-bead-add, since" .git/gt/ledger.lock
'

test_expect_success 'a leftover directory at the first free polecat name does not block slings (Gas Town #618)' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	mkdir -p app/polecats/agate && echo junk >app/polecats/agate/junk &&
	id=$(gt-bead-add "Name in the way") &&
	p=$(gt-sling --no-convoy --no-start "$id" app | cut -f2) &&
	test "$p" = app/polecats/basalt &&
	test -f app/polecats/agate/junk &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'e-stop: no slings, no merges, sessions stopped with work kept; thaw resumes' '
	cd town &&
	gt-config runtime.ticker.command "sh -c '\''while :; do date +%s%N >>\"$TRASH/tick\"; sleep 0.05; done'\''" &&
	gt-config runtime.ticker.prompt none &&
	id=$(gt-bead-add "Ticks") && p=$(sling_to ticker "$id") &&
	wait_for test -s "$TRASH/tick" &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) && echo wip >"$ws/wip.txt" &&
	gt-estop -m "db migration" app >out &&
	grep -q "^app	estop	1 session stopped" out &&
	! gt-session-list --json | has ".agent == \"$p\"" &&
	n=$(wc -l <"$TRASH/tick") && gt-witness --json app >w && test ! -s w &&
	test "$(wc -l <"$TRASH/tick")" = "$n" &&
	gt-agent-show --json "$p" | jq -e ".hook == \"$id\"" && test -f "$ws/wip.txt" &&
	gt-snapshot-list --json "$p" | has ".reason == \"e-stop: db migration\"" &&
	id2=$(gt-bead-add "Refused") &&
	expect_code 4 gt-sling "$id2" app 2>err && grep -q "e-stop of rig .app. is in force" err &&
	grep -q "db migration" err &&
	gt-refinery --json app | has ".outcome == \"paused\"" &&
	gt-status --json >/dev/null &&
	gt-thaw app >out && grep -q "^app	thaw	1 session started" out &&
	wait_for sh -c "test \$(wc -l <\"$TRASH/tick\") -gt $n" &&
	gt-estop >out && grep -q "^town	estop" out &&
	expect_code 4 gt-sling "$id2" app &&
	gt-thaw app >out && grep -q "0 sessions started" out &&
	expect_code 4 gt-sling "$id2" app &&
	gt-thaw >out && grep -q "1 session started" out &&
	gt-maintain --no-repack -q &&
	gt-estop -m "again" app >/dev/null &&
	gt-status --json | jq -e ".estop.rigs.app.reason == \"again\"" &&
	gt-status | grep -q "E-STOP in force for rig app (again)" &&
	gt-thaw app >/dev/null &&
	gt-status --json | jq -e "(.estop.rigs // {}) | length == 0" &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'a parked rig takes no new work until it is unparked' '
	cd town &&
	gt-rig-park -m "maintenance" app | grep -q parked &&
	id=$(gt-bead-add "Later") &&
	expect_code 4 gt-sling "$id" app 2>err && grep -q "rig .app. is parked" err &&
	gt-refinery --json app | has ".outcome == \"paused\"" &&
	gt-rig-park app | grep -q "parked already" &&
	gt-rig-unpark app | grep -q unparked &&
	p=$(gt-sling --no-convoy --no-start "$id" app | cut -f2) &&
	gt-polecat-remove --force "$p" >/dev/null &&
	expect_code 3 gt-rig-park nosuchrig &&
	expect_code 2 gt-rig-park
'

test_expect_success 'at max-workers gt-sling queues, says so, and the deacon slings by priority as slots free (Gas Town #4037)' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	gt-config rig.app.max-workers 1 &&
	a=$(gt-bead-add -p 2 "First") && b=$(gt-bead-add -p 3 "Low") && c=$(gt-bead-add -p 1 "High") &&
	gt-sling --no-convoy --agent hang "$a" app | grep -q "	spawn$" &&
	gt-sling --no-convoy --agent hang "$b" app 2>err | grep -q "	queued$" &&
	grep -q "no deacon runs to dispatch it" err &&
	gt-sling --no-convoy --json --agent hang "$c" app | jq -e ".action == \"queued\" and .rig == \"app\"" &&
	gt-bead-show --json "$b" | jq -e "(.labels | index(\"queued\")) and .metadata.queued.runtime == \"hang\" and .status == \"open\"" &&
	gt-deacon --once --json >d && ! has ".patrol == \"queue\"" <d &&
	gt-bead-close "$a" &&
	gt-deacon --once --json >d &&
	has ".patrol == \"queue\" and .action == \"dispatched\" and .what == \"$c\"" <d &&
	! has ".what == \"$b\"" <d &&
	gt-bead-show --json "$c" | jq -e ".status == \"hooked\" and ((.labels // []) | index(\"queued\") | not)" &&
	gt-bead-show --json "$b" | jq -e ".status == \"open\"" &&
	gt-config --unset rig.app.max-workers &&
	gt-config town.max-workers 1 &&
	d=$(gt-bead-add "Town full") &&
	gt-sling --no-convoy --agent hang "$d" app | grep -q "	queued$" &&
	gt-config --unset town.max-workers &&
	gt-deacon --once --json >d &&
	has ".patrol == \"queue\" and .action == \"dispatched\"" <d &&
	for x in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$x" >/dev/null
	done
'

test_expect_success 'a request that fails its gate goes back to its worker once, then escalates' '
	cd town &&
	gt-config rig.app.test "test ! -e g.txt" &&
	id=$(step_bead "Gated" "echo g >g.txt") && p=$(sling_to scripted "$id") &&
	wait_for sh -c "gt-mq-list --json | jq -s -e \"any(.[]; .metadata.source_bead == \\\"$id\\\")\" >/dev/null" &&
	wait_for sh -c "gt-agent-show --json $p | jq -e \".state == \\\"idle\\\"\"" &&
	gt-refinery --json app | has ".outcome == \"failed\"" &&
	gt-witness --json app >w &&
	has ".action == \"sent-back\" and .agent == \"$p\" and .bead == \"$id\"" <w &&
	gt-agent-show --json "$p" | jq -e ".hook == \"$id\" and (.args | test(\"failed the test gate\"))" &&
	gt-witness --json app >w2 && ! has ".action == \"sent-back\"" <w2 &&
	wait_for sh -c "gt-agent-show --json $p | jq -e \".state == \\\"idle\\\"\"" &&
	gt-witness --json app >w3 &&
	has ".action == \"escalated\" and .bead == \"$id\" and (.reason | test(\"came back unfixed\"))" <w3 &&
	gt-witness --json app >w4 && test ! -s w4 &&
	gt-config --unset rig.app.test
'

test_expect_success 'a removed polecat'"'"'s name is reused at once with a fresh workspace (Gas Town #4478)' '
	cd town &&
	id=$(gt-bead-add "Old") && p=$(sling_to hang "$id") &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) && echo old >"$ws/old.txt" &&
	gt-polecat-remove --force "$p" >/dev/null &&
	id2=$(gt-bead-add "New") && p2=$(sling_to hang "$id2") &&
	test "$p2" = "$p" &&
	test -e "$ws/.git" &&
	! test -e "$ws/old.txt" &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	gt-witness --json app >w && ! has ".action == \"stopped\"" <w &&
	test -d "$ws" &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'the deacon expires wisp messages past wisp.ttl, never durable mail' '
	cd town &&
	w=$(gt-mail-send --json -s "FIX_NEEDED: nothing" overseer | jq -r .id) &&
	m=$(gt-mail-send --json -s "a durable note" overseer | jq -r .id) &&
	gt-mail-inbox --json overseer | has ".id == \"$w\" and .ephemeral == true" &&
	gt-config wisp.ttl 0s &&
	wait_for sh -c "gt-deacon --once --json >>deacon.log &&
		! gt-mail-inbox --json overseer | jq -s -e \"any(.[]; .id == \\\"$w\\\")\" >/dev/null" &&
	has ".patrol == \"wisps\" and .action == \"expired\" and .count >= 1" <deacon.log &&
	gt-mail-inbox --json overseer | has ".id == \"$m\"" &&
	gt-config --unset wisp.ttl
'

test_expect_success 'gt-doctor finds each seeded fault and fixes the safe ones' '
	cd town &&
	for a in $(gt-agent-list --json | jq -r "select(.role == \"polecat\") | .address"); do
		gt-polecat-remove --force "$a" >/dev/null
	done &&
	{ gt-doctor --json >before || true; } &&
	id=$(gt-bead-add "Orphan hook") &&
	p=$(gt-sling --no-convoy --no-start --agent hang "$id" app | cut -f2) &&
	sock=$(find "$TMUX_TMPDIR" -type s | head -1) &&
	tmux -S "$sock" new-session -d -s gt-app-ghost2 sleep 100000 &&
	mkdir -p app/polecats/nobody && echo keep >app/polecats/nobody/work.txt &&
	gt-mail-send -s "FIX_NEEDED: old" overseer >/dev/null && gt-config wisp.ttl 0s &&
	touch -d "2 hours ago" .git/objects/pack/tmp_pack_leftover &&
	git -C app/.repo.git branch -q polecat/ghost/hq-gone refs/remotes/origin/main &&
	git -C app/.repo.git branch -q polecat/ghost/hq-work "$(git -C app/.repo.git commit-tree -p refs/remotes/origin/main -m wip "$(git -C app/.repo.git rev-parse refs/remotes/origin/main^{tree})")" &&
	gt-config rig.app.restart-window soon &&
	nsnap=$(gt-snapshot-list | wc -l) && test "$nsnap" -gt 0 && gt-config snapshot.ttl 0s &&
	gt-config runtime.gone.command "no-such-agent-cli --yes" &&
	gt-agent-add -q --agent gone app/crew/zed &&
	wait_for sh -c "gt-doctor --json | jq -s -e \"map(select(.check == \\\"wisps\\\"))[0].ok == false\" >/dev/null" &&
	expect_code 1 gt-doctor --json >d &&
	for c in config runtimes orphan-sessions orphan-hooks orphan-workspaces orphan-branches snapshots wisps tmp-packs; do
		has ".check == \"$c\" and .ok == false" <d || die "$c not found: $(cat d)"
	done &&
	has ".check == \"ledger\" and .ok == true" <d &&
	has ".check == \"upstreams\" and .ok == true" <d &&
	has ".check == \"runtimes\" and any(.found[]; test(\"no-such-agent-cli\"))" <d &&
	has ".check == \"orphan-sessions\" and any(.found[]; test(\"gt-app-ghost2\"))" <d &&
	has ".check == \"orphan-hooks\" and any(.found[]; test(\"$id\"))" <d &&
	{ gt-doctor >txt || true; } && grep -q "^PROBLEM	tmp-packs	(--fix: remove them)" txt &&
	expect_code 1 gt-doctor --fix --json >f &&
	has ".check == \"orphan-sessions\" and (.fixed | length) == 1" <f &&
	has ".check == \"orphan-hooks\" and (.fixed | index(\"$p\"))" <f &&
	has ".check == \"tmp-packs\" and (.fixed | length) == 1" <f &&
	has ".check == \"snapshots\" and (.fixed | length) > 0" <f &&
	test "$(gt-snapshot-list | wc -l)" -lt "$nsnap" && gt-config --unset snapshot.ttl &&
	has ".check == \"orphan-branches\" and (.fixed | index(\"polecat/ghost/hq-gone\")) and (.fixed | index(\"polecat/ghost/hq-work\") | not)" <f &&
	git -C app/.repo.git rev-parse -q --verify refs/heads/polecat/ghost/hq-work >/dev/null &&
	! tmux -S "$sock" has-session -t =gt-app-ghost2 2>/dev/null &&
	gt-session-list --json | has ".agent == \"$p\"" &&
	! test -e .git/objects/pack/tmp_pack_leftover &&
	test -f app/polecats/nobody/work.txt &&
	gt-config --unset rig.app.restart-window && gt-config --unset wisp.ttl &&
	rm -rf app/polecats/nobody &&
	{ gt-doctor --json >after || true; } &&
	has ".check == \"config\" and .ok == true" <after &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'bead commands see wisps: show, update, close by id or partial id' '
	cd town &&
	w=$(gt-mail-send --json -s "FIX_NEEDED: see me" overseer | jq -r .id) &&
	gt-bead-show "$w" | grep -q "FIX_NEEDED: see me" &&
	gt-bead-show --json "${w##*-}" | jq -e ".id == \"$w\" and .ephemeral == true" &&
	tip=$(ledger_tip) &&
	gt-bead-update -p 0 "$w" | grep -qx "$w" &&
	gt-bead-show --json "$w" | jq -e ".priority == 0" &&
	test "$(ledger_tip)" = "$tip" &&
	x=$(gt-bead-add "A ledger bead") &&
	expect_code 2 gt-bead-close "$w" "$x" 2>err && grep -q "cannot change in one transaction" err &&
	gt-bead-close "$w" && gt-bead-show --json "$w" | jq -e ".status == \"closed\"" &&
	expect_code 3 gt-bead-show hq-wisp-nosuch
'

test_expect_success 'a partial id a wisp has whole wins over the start of a ledger id' '
	cd town &&
	w=$(gt-mail-send --json -s "FIX_NEEDED: which one" overseer | jq -r .id) &&
	h=${w##*-} && pfx=${w%%-*} &&
	gt-bead-add --id "$pfx-${h}zz" "Starts like the wisp" >/dev/null &&
	gt-bead-show --json "$h" | jq -e ".id == \"$w\"" &&
	gt-bead-show --json "${h}z" | jq -e ".id == \"$pfx-${h}zz\""
'

test_expect_success 'an upstream that refuses pushes: the refinery says why, the deacon backs off and escalates once' '
	git init -q refuser && (cd refuser && echo x >x && git add x && git commit -qm x) &&
	cd town &&
	gt-rig-add -q app2 ../refuser && gt-config rig.app2.agent scripted &&
	pfx=$(gt-rig-show --json app2 | jq -r .prefix) &&
	id=$(gt-bead-add --prefix "$pfx" "Refused push" -d "Steps:
\`\`\`sh
echo r >r.txt
\`\`\`") &&
	gt-sling -q --no-convoy "$id" app2 &&
	wait_for sh -c "gt-mq-list --json app2 | grep -q \"$id\"" &&
	expect_code 7 gt-refinery app2 2>err &&
	grep -q "origin refuses the push to main: branch is currently checked out" err &&
	grep -q "receive.denyCurrentBranch updateInstead" err &&
	{ gt-deacon --watch --interval 100ms --json >"$TRASH/deacon.out" 2>&1 & } &&
	dpid=$! &&
	wait_for sh -c "grep -q \"\\\"action\\\":\\\"escalated\\\",\\\"what\\\":\\\"app2\\\"\" \"$TRASH/deacon.out\"" &&
	kill "$dpid" && wait "$dpid" || true &&
	jq -s "map(select(.patrol == \"refinery\" and .what == \"app2\" and .action == \"failed\")) | length" \
		"$TRASH/deacon.out" >n && test "$(cat n)" -ge 3 &&
	jq -s "map(select(.patrol == \"refinery\" and .what == \"app2\" and .action == \"failed\") | .retry_in)" \
		"$TRASH/deacon.out" >waits && jq -e ".[0] == 5 and .[1] == 10" waits &&
	test "$(jq -s "map(select(.action == \"escalated\" and .what == \"app2\")) | length" "$TRASH/deacon.out")" = 1 &&
	gt-escalation-list --json | has ".title | test(\"refinery of app2 failed 3 times\")" &&
	gt-rig-park app2 >/dev/null
'

test_expect_success 'the pool never names a polecat like a role (Gas Town #836)' '
	cd town &&
	gt-config rig.app.names "witness,refinery,crew,mayor,jade" &&
	id=$(gt-bead-add "Named") && p=$(gt-sling --no-convoy --no-start "$id" app | cut -f2) &&
	test "$p" = app/polecats/jade &&
	gt-polecat-remove --force "$p" >/dev/null && gt-config --unset rig.app.names
'

test_expect_success 'the hook is durable before the session starts: the first gt-prime sees it (Gas Town #866, #2389)' '
	cd town &&
	gt-config runtime.primer.command "sh -c '\''gt-prime --json >\"$TRASH/first-prime.json\"; exec sleep 100000'\''" &&
	gt-config runtime.primer.prompt none &&
	id=$(gt-bead-add "Seen at once") && p=$(sling_to primer "$id") &&
	wait_for test -s "$TRASH/first-prime.json" &&
	jq -e ".bead.id == \"$id\"" "$TRASH/first-prime.json" &&
	gt-polecat-remove --force "$p" >/dev/null
'

test_expect_success 'gt-status shows rigs, agents, the queue, convoys and escalations' '
	cd town &&
	gt-status --json >st &&
	jq -e ".town and (.rigs | map(.name) | index(\"app\")) != null and (.agents | type) == \"array\"" st &&
	jq -e ".merge_queue | type == \"array\"" st &&
	jq -e "(.escalations | length) >= 1 and (.escalations[0].severity | type) == \"string\"" st &&
	gt-status >txt && grep -q "^AGENTS" txt && grep -q "^ESCALATIONS" txt &&
	expect_code 2 gt-status extra
'

test_done
