#!/bin/sh
# Runtimes: agents run by gt-run in their structured modes (Claude's
# stream-json, Codex's exec --json, ACP, pi's RPC) through tests/fake/
# fake-agent, which speaks the real CLIs' wire shapes and, like them,
# stays open after gt-done; gt's own HTTP runtime against a fake OpenAI
# server; runtimes as files; usage and gt-cost; nudges through the input
# stream; rate limits falling back along the rig's chain; a start that
# crashes or sits on a dialog; whole process trees stopped; secrets kept
# off command lines; the mayor and gt-seance.
. "$(dirname "$0")/lib/test.sh"

FAKE=$ROOT/tests/fake
FB=$TRASH/fakebin
mkdir -p "$FB"
for n in claude codex gemini opencode pi; do ln -s "$FAKE/fake-agent" "$FB/$n"; done
# a Claude that is always rate-limited, for the fallback chain
cat >"$FB/claude-limited" <<EOF
#!/bin/sh
FAKE_AGENT_MODE=ratelimit exec "$FAKE/fake-agent" --protocol claude "\$@"
EOF
chmod +x "$FB/claude-limited"
export PATH="$BIN:$FB:$PATH"
export FAKE_AGENT_LOG="$TRASH/agent.log" FAKE_AGENT_STATE="$TRASH/fake-state"
unset FAKE_AGENT_MODE FAKE_AGENT_CHILD FAKE_AGENT_SCRIPT

# a script that does the work and finishes: commit a file named after the
# bead, then gt-done
cat >"$TRASH/work.sh" <<'EOF'
gt-prime
echo "$GT_BEAD" >"$GT_BEAD.txt" && git add "$GT_BEAD.txt" && git commit -qm "work on $GT_BEAD"
gt-done
EOF
# one that never finishes (no gt-done)
printf 'gt-prime\n' >"$TRASH/idle.sh"

has() {
	jq -s -e "any(.[]; $1)" >/dev/null
}

# ran ID: the bead has a run record
ran() {
	gt-bead-show --json "$1" | jq -e '(.metadata.runs // []) | length > 0' >/dev/null
}

# done_and_merged ID: wait for the run, merge, check the bead closed
done_and_merged() {
	wait_for ran "$1" &&
	gt-bead-show --json "$1" | jq -e '.metadata.runs[-1].exit == "done"' >/dev/null &&
	gt-refinery --once app >/dev/null &&
	gt-bead-show --json "$1" | jq -e '.status == "closed"' >/dev/null
}

test_expect_success 'a town whose agents pass FAKE_AGENT_* to the fake CLIs' '
	new_town && cd town &&
	for r in claude codex gemini opencode pi; do
		gt-config runtime.$r.env "FAKE_AGENT_*" || exit 1
	done &&
	gt-config rig.agent claude
'

test_expect_success 'runtimes are files: the shipped ones load, a bad one is named' '
	cd town &&
	gt-doctor --json >doc || true &&
	mkdir -p runtimes &&
	printf "mode = \"x\"\n[modes.x]\nprotocol = \"tty\"\ncommand = \"true\"\nbogus = 1\n" >runtimes/bad.toml &&
	id=$(gt-bead-add "Bad runtime") &&
	expect_code 5 gt-sling --agent bad "$id" app 2>err;
	cat err && grep -q "runtimes/bad.toml" err && grep -q "bogus" err &&
	expect_code 3 gt-sling --agent nosuch "$id" app 2>err;
	grep -q "unknown agent runtime" err && grep -q "claude" err &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\"" &&
	rm runtimes/bad.toml && gt-bead-delete -q "$id"
'

test_expect_success 'a runtime added as a file in the town, no C: used by gt-sling' '
	cd town &&
	cat >runtimes/mine.toml <<-EOF &&
	description = "my agent"
	mode = "json"
	env = ["FAKE_AGENT_*"]
	[modes.json]
	protocol = "claude"
	command = ["$FAKE/fake-agent", "--protocol", "claude"]
	EOF
	id=$(gt-bead-add "Mine") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --agent mine "$id" app &&
	done_and_merged "$id" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[0].runtime == \"mine\""
'

test_expect_success 'Claude stream-json: two beads in a row on one rig both end merged' '
	cd town &&
	a=$(gt-bead-add "First") && b=$(gt-bead-add "Second") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling "$a" app >s1 &&
	done_and_merged "$a" &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling "$b" app >s2 &&
	done_and_merged "$b" &&
	cut -f2 s1 >p1 && cut -f2 s2 >p2 && test_cmp_files p1 p2 &&
	cut -f3 s2 | grep -qx reuse &&
	git -C ../project log --format=%s | grep -q "work on $a" &&
	git -C ../project log --format=%s | grep -q "work on $b"
'

test_expect_success 'the run left a transcript, a summary and its usage on the bead' '
	cd town &&
	b=$(gt-bead-list --all --json | jq -r "select(.title == \"Second\") | .id") &&
	gt-bead-show --json "$b" >bead &&
	jq -e ".metadata.runs[0] | .runtime == \"claude\" and .mode == \"stream-json\" and
		.tokens_in > 0 and .tokens_out > 0 and .cache_read > 0 and .cost_usd > 0 and
		.turns >= 1 and (.session | length) > 0 and .bead == \"$b\"" bead &&
	run=$(jq -r ".metadata.runs[0].run" bead) &&
	grep -q "\"from\":\"agent\"" .git/gt/runs/$run/transcript.jsonl &&
	grep -q "\"type\\\\\":\\\\\"result" .git/gt/runs/$run/transcript.jsonl &&
	grep -q "done" .git/gt/runs/$run/summary.txt
'

test_expect_success 'gt-cost sums by bead, agent, rig and town; --since filters' '
	cd town &&
	b=$(gt-bead-list --all --json | jq -r "select(.title == \"Second\") | .id") &&
	p=$(gt-bead-show --json "$b" | jq -r ".metadata.runs[0].agent") &&
	gt-cost --json "$b" >c.bead && jq -e ".scope == \"bead\" and .runs == 1 and .cost_usd > 0" c.bead &&
	gt-cost --json "$p" >c.agent && jq -e ".scope == \"agent\" and .runs >= 2" c.agent &&
	gt-cost --json app >c.rig && jq -e ".scope == \"rig\" and .runs >= 3 and .by_runtime.claude.runs >= 2" c.rig &&
	gt-cost --json >c.town && jq -e ".scope == \"town\" and .tokens_in == $(jq .tokens_in c.rig)" c.town &&
	gt-cost --json --since 2099-01-01 >c.none && jq -e ".runs == 0" c.none &&
	gt-cost --json --since 1h >c.hour && jq -e ".runs == $(jq .runs c.town)" c.hour &&
	gt-cost "$b" | grep -q "claude" &&
	expect_code 3 gt-cost no-such-bead
'

test_expect_success 'a nudge reaches a structured agent through its input stream' '
	cd town &&
	id=$(gt-bead-add "Stays") &&
	FAKE_AGENT_SCRIPT=$TRASH/idle.sh gt-sling "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for sh -c "grep -q \"$id is still on your hook\" \"$FAKE_AGENT_LOG\"" &&
	gt-nudge "$p" "please look at the flaky test" &&
	wait_for grep -q "please look at the flaky test" "$FAKE_AGENT_LOG" &&
	wait_for sh -c "gt-peek $p | grep -q \"got:\"" &&
	gt-session-stop "$p" &&
	wait_for ran "$id" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1].exit == \"stopped\"" &&
	gt-hook-detach "$p" >/dev/null
'

test_expect_success 'Codex exec --json: one process per turn, resumed by thread' '
	cd town &&
	id=$(gt-bead-add "Codex work") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --agent codex "$id" app &&
	done_and_merged "$id" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1] | .runtime == \"codex\" and .tokens_in > 0 and (.session | length) > 0" &&
	id2=$(gt-bead-add "Codex twice") &&
	FAKE_AGENT_SCRIPT=$TRASH/idle.sh gt-sling --agent codex "$id2" app >s &&
	p=$(cut -f2 s) &&
	wait_for sh -c "grep -q \"$id2 is still on your hook\" \"$FAKE_AGENT_LOG\"" &&
	run=$(jq -r .run .git/gt/run/sessions/gt-app-$(basename "$p").json) &&
	grep "\"from\":\"spawn\"" .git/gt/runs/$run/transcript.jsonl | grep -q " resume " &&
	grep "\"from\":\"spawn\"" .git/gt/runs/$run/transcript.jsonl | grep -q "allow_login_shell=false" &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null
'

test_expect_success 'ACP (gemini, opencode): permissions granted, the work done' '
	cd town &&
	id=$(gt-bead-add "Gemini work") &&
	FAKE_AGENT_PERMISSION=1 FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --agent gemini "$id" app &&
	done_and_merged "$id" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1] | .runtime == \"gemini\" and .mode == \"acp\" and .tokens_in > 0" &&
	id=$(gt-bead-add "opencode work") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --agent opencode "$id" app &&
	done_and_merged "$id"
'

test_expect_success 'pi --mode rpc: the work done, its cost recorded' '
	cd town &&
	id=$(gt-bead-add "Pi work") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --agent pi "$id" app &&
	done_and_merged "$id" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1] | .runtime == \"pi\" and .cost_usd > 0"
'

test_expect_success 'a rate-limited runtime is throttled and the bead goes on with the next of the chain' '
	cd town &&
	gt-config runtime.claude.command "claude-limited -p --input-format stream-json --output-format stream-json --verbose" &&
	gt-config rig.app.agent "claude, codex" &&
	id=$(gt-bead-add "Limited") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling "$id" app &&
	done_and_merged "$id" &&
	gt-bead-show --json "$id" | jq -e "[.metadata.runs[] | .runtime + \":\" + .exit] == [\"claude:rate-limited\", \"codex:done\"]" &&
	jq -e ".until_ms > 0" .git/gt/run/throttle/claude.json &&
	id2=$(gt-bead-add "After the limit") &&
	FAKE_AGENT_SCRIPT=$TRASH/work.sh gt-sling --json "$id2" app | jq -e ".runtime == \"codex\"" &&
	done_and_merged "$id2" &&
	rm .git/gt/run/throttle/claude.json &&
	gt-config --unset runtime.claude.command && gt-config --unset rig.app.agent
'

test_expect_success 'a CLI that dies at start fails the sling with what it said, and rolls back' '
	cd town &&
	id=$(gt-bead-add "Crashes") &&
	before=$(gt-agent-list | wc -l) &&
	FAKE_AGENT_MODE=crash expect_code 7 gt-sling "$id" app 2>err;
	cat err &&
	grep -q "exited at start" err && grep -q "simulated crash" err &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\"" &&
	test "$(gt-agent-list | wc -l)" = "$before"
'

test_expect_success 'interactive mode: the workspace is pre-trusted; a dialog fails the start, naming it' '
	cd town &&
	gt-config runtime.claude.mode interactive &&
	id=$(gt-bead-add "Dialog") &&
	FAKE_AGENT_MODE=dialog expect_code 7 gt-sling "$id" app 2>err;
	cat err &&
	grep -q "waiting on a dialog (folder trust)" err && grep -q "No, exit" err &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\"" &&
	jq -e ".hasCompletedOnboarding and .bypassPermissionsModeAccepted and
		([.projects[] | .hasTrustDialogAccepted] | all)" "$HOME/.claude.json" &&
	id2=$(gt-bead-add "Interactive") &&
	gt-sling "$id2" app >s &&
	p=$(cut -f2 s) && ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	jq -e --arg ws "$ws" ".projects[\$ws].hasTrustDialogAccepted" "$HOME/.claude.json" &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null &&
	gt-config --unset runtime.claude.mode
'

test_expect_success 'stopping a session ends the whole tree, daemons too' '
	cd town &&
	id=$(gt-bead-add "Tree") &&
	FAKE_AGENT_CHILD=1 FAKE_AGENT_CHILD_PIDFILE=$TRASH/child.pid FAKE_AGENT_SCRIPT=$TRASH/idle.sh gt-sling "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for test -s "$TRASH/child.pid" &&
	child=$(cat "$TRASH/child.pid") && kill -0 "$child" &&
	gt-session-stop "$p" &&
	wait_for sh -c "! kill -0 $child 2>/dev/null" &&
	gt-hook-detach "$p" >/dev/null
'

test_expect_success 'secrets reach the agent only: not a command line, the ledger or another variable' '
	cd town &&
	printf "gt-prime\nenv >\"\$GT_TOWN_ROOT/agent.env\"\n" >"$TRASH/env.sh" &&
	id=$(gt-bead-add "Env") &&
	ANTHROPIC_API_KEY=sk-ant-test-SECRET123 UNRELATED_TOKEN=nope FAKE_AGENT_SCRIPT=$TRASH/env.sh gt-sling "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for test -s agent.env &&
	grep -qx "ANTHROPIC_API_KEY=sk-ant-test-SECRET123" agent.env &&
	! grep -q UNRELATED_TOKEN agent.env &&
	grep -q "^GT_RUN_ID=" agent.env && grep -q "^GT_BEAD=$id" agent.env &&
	! grep -qs "SECRET12[3]" /proc/[0-9]*/cmdline &&
	! git grep -q SECRET123 $(git for-each-ref --format="%(objectname)" refs/gt) -- &&
	! grep -rqs SECRET123 .git/gt/run/env .git/gt/runs &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null
'

test_expect_success 'no stale environment: the tmux server'\''s variables never reach an agent' '
	cd town &&
	sock=$(ls -d "$TMUX_TMPDIR"/tmux-*/gt-* | head -n 1) &&
	ANTHROPIC_API_KEY=sk-stale-OLD tmux -S "$sock" new-session -d -s keep "sleep 100000" &&
	tmux -S "$sock" set-environment -g ANTHROPIC_API_KEY sk-stale-OLD &&
	tmux -S "$sock" set-environment -g STALE_THING left-over &&
	rm -f agent.env &&
	id=$(gt-bead-add "Fresh env") &&
	ANTHROPIC_API_KEY=sk-fresh-NEW FAKE_AGENT_SCRIPT=$TRASH/env.sh gt-sling "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for test -s agent.env &&
	grep -qx "ANTHROPIC_API_KEY=sk-fresh-NEW" agent.env &&
	! grep -q "STALE_THING\|sk-stale" agent.env &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null &&
	tmux -S "$sock" kill-session -t keep
'

test_expect_success 'a prompt typed into an interactive runtime is submitted, not left on the line' '
	cd town &&
	gt-config runtime.liner.command "sh -c '\''printf \"READY> \"; read -r l; printf \"%s\\n\" \"\$l\" >\"\$GT_TOWN_ROOT/typed\"; exec sleep 100000'\''" &&
	gt-config runtime.liner.ready "READY> " &&
	gt-config runtime.liner.prompt nudge &&
	id=$(gt-bead-add "Typed") &&
	gt-sling --agent liner "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for test -s typed &&
	grep -q "^You are $p, a gt polecat. Run gt-prime now" typed &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null
'

test_expect_success 'a run that fails is retried with backoff, then released and escalated' '
	cd town &&
	gt-config runtime.flaky.command "sh -c '\''sleep 3; echo broken >&2; exit 2'\''" &&
	gt-config runtime.flaky.prompt none &&
	gt-config rig.app.retry-backoff 1s && gt-config rig.app.max-attempts 2 &&
	id=$(gt-bead-add "Flaky") &&
	gt-sling --agent flaky "$id" app >s &&
	wait_for sh -c "gt-bead-show --json $id | jq -e \"(.metadata.runs // []) | length == 2 and .[1].exit == \\\"failed\\\"\" >/dev/null" &&
	wait_for sh -c "gt-bead-show --json $id | jq -e \".status == \\\"open\\\" and .metadata.attempts == 2\" >/dev/null" &&
	gt-escalation-list --json | jq -s -e "any(.[]; .title | test(\"flaky failed $id 2 times\"))" &&
	gt-config --unset rig.app.retry-backoff && gt-config --unset rig.app.max-attempts
'

test_expect_success 'a compaction is followed by gt-prime text in the next turn' '
	cd town &&
	id=$(gt-bead-add "Compacts") &&
	FAKE_AGENT_MODE=compact FAKE_AGENT_SCRIPT=$TRASH/idle.sh gt-sling "$id" app >s &&
	p=$(cut -f2 s) &&
	wait_for grep -q "Your context was compacted" "$FAKE_AGENT_LOG" &&
	grep "Your context was compacted" "$FAKE_AGENT_LOG" | grep -q "$id" &&
	gt-session-stop "$p" && gt-hook-detach "$p" >/dev/null
'

test_expect_success 'the HTTP runtime: a fake OpenAI server, 429/500/dropped retried, a refused tool' '
	cd town &&
	cat >"$TRASH/oai.json" <<-EOF &&
	{"steps": [
	 {"tool": "prime", "args": {}},
	 {"tool": "read_file", "args": {"path": "README.md"}},
	 {"tool": "write_file", "args": {"path": "http.txt", "content": "from the http runtime\n"}},
	 {"tool": "shell", "args": {"command": "git add http.txt"}},
	 {"tool": "shell", "args": {"command": "git commit -qm http-runtime"}},
	 {"tool": "done", "args": {}},
	 {"text": "finished"}],
	 "failures": [{"status": 429, "retry_after": 1, "times": 1},
	              {"status": 500, "times": 1}, {"drop": true, "times": 1}]}
	EOF
	{ python3 "$FAKE/provider.py" --script "$TRASH/oai.json" --port-file "$TRASH/oai.port" --log "$TRASH/oai.log" & } &&
	echo $! >"$TRASH/oai.pid" &&
	wait_for test -s "$TRASH/oai.port" &&
	gt-config runtime.openai.base-url "http://127.0.0.1:$(cat "$TRASH/oai.port")/v1" &&
	gt-config runtime.openai.model test-model &&
	gt-config runtime.openai.tools "prime,done,write_file,shell" &&
	id=$(gt-bead-add "HTTP work") &&
	OPENAI_API_KEY=sk-oai-SECRET456 gt-sling --agent openai "$id" app &&
	done_and_merged "$id" &&
	git -C ../project log --format=%s | grep -qx http-runtime &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1] | .runtime == \"openai\" and .tokens_in > 0" &&
	grep -q "not allowed" "$TRASH/oai.log" &&
	test "$(jq -s "[.[] | select(.protocol == \"openai-chat\")] | length" "$TRASH/oai.log")" -ge 9 &&
	! grep -q SECRET456 "$TRASH/oai.log" &&
	! grep -rqs SECRET456 .git/gt/runs
'

test_expect_success 'the mayor: its own session, gt words and the town in its prime, notices by mail' '
	cd town &&
	gt-mayor --agent claude --json >m && jq -e ".state == \"started\"" m &&
	GT_AGENT=mayor gt-prime --json >prime &&
	jq -e ".agent.role == \"mayor\" and (.town.rigs | length) == 1" prime &&
	jq -r ".procedure[]" prime | grep -q gt-convoy-create &&
	gt-escalate -s high "Need a decision on the API" >/dev/null &&
	gt-mail-inbox --json mayor | jq -s -e "any(.[]; .title | test(\"Need a decision\"))" &&
	gt-mayor --json | jq -e ".state == \"running\"" &&
	gt-mayor --stop --json | jq -e ".state == \"stopped\""
'

test_expect_success 'gt-seance shows the previous session; the next one resumes it' '
	cd town &&
	gt-seance mayor >seance && grep -q "claude" seance &&
	gt-seance --json mayor | jq -e ".record.session | length > 0" &&
	gt-mayor --json >m2 && jq -e ".state == \"started\"" m2 &&
	wait_for sh -c "run=\$(jq -r .run .git/gt/run/sessions/gt-mayor.json) && grep \"from.:.spawn\" .git/gt/runs/\$run/transcript.jsonl | grep -q -- --resume" &&
	GT_AGENT=mayor gt-prime | grep -q "What your previous session did" &&
	gt-mayor --stop >/dev/null &&
	expect_code 3 gt-seance app/polecats/nobody
'

test_expect_success 'old run directories are pruned by the deacon, each agent'\''s latest kept' '
	cd town &&
	before=$(ls .git/gt/runs | wc -l) &&
	agents=$(ls .git/gt/runs | sed "s/\.[0-9]\{8\}T[0-9]\{6\}\.[0-9a-f]*\$//" | sort -u | wc -l) &&
	test "$before" -gt "$agents" &&
	for f in .git/gt/runs/*/record.json; do touch -d "2000-01-01" "$f"; done &&
	gt-config run.ttl 1d &&
	gt-deacon --once --json >d &&
	has ".action == \"pruned\"" <d &&
	test "$(ls .git/gt/runs | wc -l)" -lt "$before" &&
	test "$(ls .git/gt/runs | sed "s/\.[0-9]\{8\}T[0-9]\{6\}\.[0-9a-f]*\$//" | sort -u | wc -l)" = "$agents" &&
	gt-seance mayor >/dev/null
'

test_expect_success 'cleanup: the fake server' '
	kill "$(cat "$TRASH/oai.pid")" 2>/dev/null || true
'

test_done
