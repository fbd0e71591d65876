#!/bin/sh
# The real agent CLIs (from npm, installed by tests/agents/install.sh into
# build/npm-agents) driven by gt-run in their structured modes against the
# fake model provider tests/fake/provider.py: Claude Code's stream-json,
# Codex's exec --json, Gemini CLI and opencode over ACP, pi's RPC.  Per CLI,
# in one town with one rig: two beads slung in a row both merged by one
# polecat, usage on the run records, a nudge reaching the model's next
# request, and a stopped session leaving no process behind.  Then a rig
# chain whose first runtime is rate-limited falls back to the second.
#
#   make check-agents                 install the CLIs, run this
#   sh tests/agents/t3000-agents.sh   run it (the CLIs already installed)
#   GT_AGENTS="claude pi"             only these CLIs
#   GT_NPM_AGENTS=DIR                 where install.sh put them
#   GT_AGENTS_WAIT=SECONDS            give up on a condition after this long
#                                     (default 300)
#   GT_AGENTS_KEEP=DIR                keep a copy of the scratch directory
#                                     (town, transcripts, provider.log) there
#
# Nothing here reaches the network: every CLI is configured, in a pristine
# HOME, to talk to the fake provider on 127.0.0.1.
. "$(dirname "$0")/../lib/test.sh"

# test.sh takes the parent of the test's folder for the root, which is
# tests/ for tests/agents/: the root is one more level up
ROOT=$(cd "$TEST_DIR/../.." && pwd)
BIN=$ROOT/bin
FAKE=$ROOT/tests/fake
NPM=${GT_NPM_AGENTS:-$ROOT/build/npm-agents}
NPMBIN=$NPM/node_modules/.bin
export PATH="$BIN:$NPMBIN:$PATH"
unset GT_RUN_ID
PLOG=$TRASH/provider.log

# wait_for as test.sh has it, bounded by GT_AGENTS_WAIT and saying what it
# waited for when it gives up (a hung CLI should not cost ten minutes per
# condition)
wait_for() {
	_w=0
	_lim=$((${GT_AGENTS_WAIT:-300} * 10))
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		if [ "$_w" -ge "$_lim" ]; then
			echo "gave up waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

pkg_of() {
	case $1 in
	claude) echo @anthropic-ai/claude-code ;;
	codex) echo @openai/codex ;;
	gemini) echo @google/gemini-cli ;;
	opencode) echo opencode-ai ;;
	pi) echo @mariozechner/pi-coding-agent ;;
	esac
}
mode_of() {
	case $1 in
	claude) echo stream-json ;;
	codex) echo exec ;;
	gemini | opencode) echo acp ;;
	pi) echo rpc ;;
	esac
}
# the protocol of the CLI's model requests, as provider.py logs it
wire_of() {
	case $1 in
	claude | pi) echo anthropic ;;
	codex) echo openai-responses ;;
	gemini) echo gemini ;;
	opencode) echo openai-chat ;;
	esac
}
version_of() {
	jq -r .version "$NPM/node_modules/$(pkg_of "$1")/package.json" 2>/dev/null
}

CLIS=${GT_AGENTS:-claude codex gemini opencode pi}
installed=""
for c in $CLIS; do
	[ -x "$NPMBIN/$c" ] && [ -n "$(version_of "$c")" ] && installed="$installed $c"
done
# the fallback chain: the first CLI installed, then the next one that
# speaks another protocol to the model (the 429s are for the first's only)
first="" second=""
for c in $installed; do
	if [ -z "$first" ]; then
		first=$c
	elif [ -z "$second" ] && [ "$(wire_of "$c")" != "$(wire_of "$first")" ]; then
		second=$c
	fi
done

# The model, for every CLI: prime, commit a file named after the bead,
# gt-done (unless the bead's title says stay-idle), then a last word.  A
# bead whose title has THROTTLE-ME gets nothing but 429s from the first
# runtime of the chain (its title reaches the model with gt-prime's text:
# Claude's SessionStart hook, or the first tool result).
cat >"$TRASH/script.json" <<EOF
{"steps": [
  {"shell": "gt-prime"},
  {"shell": "echo \"\$GT_BEAD\" >\"\$GT_BEAD.txt\" && git add -A && git commit -qm \"work on \$GT_BEAD\""},
  {"shell": "gt-bead-show --json \"\$GT_BEAD\" | grep -q stay-idle || gt-done"},
  {"text": "All done."}
 ],
 "failures": [
  {"status": 429, "retry_after": 1, "times": 1000000, "match": "THROTTLE-ME",
   "protocol": "$(wire_of "${first:-none}")"}
 ]}
EOF
python3 "$FAKE/provider.py" --script "$TRASH/script.json" --port-file "$TRASH/port" \
	--log "$PLOG" >"$TRASH/provider.out" 2>&1 &
PROVIDER=$!
trap 'kill "$PROVIDER" 2>/dev/null' EXIT

test_expect_success 'the fake provider listens' '
	wait_for test -s "$TRASH/port"
'
PORT=$(cat "$TRASH/port" 2>/dev/null)
URL=http://127.0.0.1:$PORT

# What each CLI needs to use the provider, passed by its runtime's env
# globs: Claude ANTHROPIC_* and CLAUDE_CODE_*, Codex CODEX_* and OPENAI_*,
# Gemini GEMINI_* and GOOGLE_*.  opencode and pi read files in HOME.
export ANTHROPIC_BASE_URL="$URL" ANTHROPIC_API_KEY=sk-ant-test-0123456789abcdefghij
export DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
export CODEX_HOME="$HOME/.codex" OPENAI_API_KEY=sk-test-codex
export GEMINI_API_KEY=test-gemini-key GOOGLE_GEMINI_BASE_URL="$URL"

test_expect_success 'a pristine HOME set up for the five CLIs' '
	mkdir -p "$CODEX_HOME" "$HOME/.gemini" "$HOME/.config/opencode" "$HOME/.pi/agent" &&
	cat >"$CODEX_HOME/config.toml" <<-EOF &&
	model = "gpt-5.5"
	model_provider = "fake"
	[model_providers.fake]
	name = "fake"
	base_url = "$URL/v1"
	env_key = "OPENAI_API_KEY"
	wire_api = "responses"
	EOF
	cat >"$HOME/.gemini/settings.json" <<-EOF &&
	{"security": {"auth": {"selectedType": "gemini-api-key"}},
	 "privacy": {"usageStatisticsEnabled": false},
	 "general": {"disableAutoUpdate": true}}
	EOF
	cat >"$HOME/.config/opencode/opencode.json" <<-EOF &&
	{"\$schema": "https://opencode.ai/config.json", "autoupdate": false, "share": "disabled",
	 "model": "fake/fake-model",
	 "provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "name": "Fake",
	   "options": {"baseURL": "$URL/v1", "apiKey": "sk-test-opencode"},
	   "models": {"fake-model": {"name": "Fake model", "tool_call": true}}}}}
	EOF
	cat >"$HOME/.pi/agent/models.json" <<-EOF &&
	{"providers": {"fake": {"baseUrl": "$URL", "api": "anthropic-messages", "apiKey": "sk-test-pi",
	  "models": [{"id": "fake-model", "name": "Fake", "contextWindow": 200000, "maxTokens": 32000,
	    "cost": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75}}]}}}
	EOF
	echo "{\"defaultProvider\": \"fake\", \"defaultModel\": \"fake-model\"}" \
		>"$HOME/.pi/agent/settings.json" &&
	for f in "$HOME/.gemini/settings.json" "$HOME/.config/opencode/opencode.json" \
		"$HOME/.pi/agent/models.json" "$HOME/.pi/agent/settings.json"; do
		jq -e . "$f" >/dev/null || exit 1
	done
'

test_expect_success 'a town with one rig' '
	new_town
'

# ---- helpers for the test bodies (they run in subshells, in $TRASH) ----

# settled ID: the bead has a run record that is not a rate limit (the
# work was done, or the run ended otherwise)
settled() {
	gt-bead-show --json "$1" |
		jq -e 'any((.metadata.runs // [])[]; .exit != "rate-limited")' >/dev/null
}

# show_runs ID: the bead's run records, briefly (for failures)
show_runs() {
	gt-bead-show --json "$1" | jq -c '.status, ((.metadata.runs // [])[] |
		{runtime, mode, exit, error, tokens_in, tokens_out, cost_usd, turns})' >&2
}

# finished ID POLECAT: the polecat's run on ID is over (after every
# attempt, fallback and retry) and left its records on the bead
finished() {
	jq -e --arg b "$1" '.bead == $b and .status == "exited"' "$(session_file "$2")" >/dev/null &&
		settled "$1"
}

# done_and_merged ID POLECAT: wait for its run, merge, the bead closed
done_and_merged() {
	wait_for finished "$1" "$2" || { show_runs "$1"; return 1; }
	gt-bead-show --json "$1" | jq -e '.metadata.runs[-1].exit == "done"' >/dev/null ||
		{ show_runs "$1"; return 1; }
	gt-refinery --once app >/dev/null || return 1
	if ! gt-bead-show --json "$1" | jq -e '.status == "closed"' >/dev/null; then
		show_runs "$1"
		gt-mq-list >&2
		return 1
	fi
}

# session_file POLECAT: the run state of its session
session_file() {
	echo "$TRASH/town/.git/gt/run/sessions/gt-app-${1##*/}.json"
}

# continued FILE: the run in FILE told its agent twice to go on and is idle
continued() {
	_r=$(jq -r .run "$1") &&
		test "$(grep -c "still hooked: told to go on" \
			"$TRASH/town/.git/gt/runs/$_r/transcript.jsonl")" -ge 2 &&
		jq -e '.status == "idle"' "$1" >/dev/null
}

# tagged RUN: the processes whose environment carries GT_RUN_ID=RUN
tagged() {
	grep -lzsxF "GT_RUN_ID=$1" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's,^/proc/\([0-9]*\)/environ$,\1,p'
}

# cli_procs: this test's agent processes still running: the CLIs from
# $NPM and anything a run tagged, started with this test's HOME
cli_procs() {
	grep -lzsxF "HOME=$HOME" /proc/[0-9]*/environ 2>/dev/null | while read -r _e; do
		_p=${_e#/proc/}
		_p=${_p%/environ}
		[ "$_p" != $$ ] || continue
		_cmd=$(tr "\0" " " <"/proc/$_p/cmdline" 2>/dev/null) || continue
		_exe=$(readlink "/proc/$_p/exe" 2>/dev/null)
		case "$_cmd $_exe" in
		*"$NPM"*) echo "$_p $_cmd" ;;
		*) grep -qzs "^GT_RUN_ID=" "/proc/$_p/environ" && echo "$_p $_cmd" ;;
		esac
	done
	return 0
}
no_cli_procs() {
	test -z "$(cli_procs)"
}
no_tagged() {
	test -z "$(tagged "$1")"
}

# ---- per CLI ----

check_two_beads() { # CLI
	cd town &&
	gt-config rig.agent "$1" &&
	a=$(gt-bead-add "$1 first") && b=$(gt-bead-add "$1 second") &&
	echo "$a $b" >"$TRASH/$1.beads" &&
	gt-sling "$a" app >"$TRASH/$1.s1" &&
	done_and_merged "$a" "$(cut -f2 "$TRASH/$1.s1")" &&
	gt-sling "$b" app >"$TRASH/$1.s2" &&
	done_and_merged "$b" "$(cut -f2 "$TRASH/$1.s2")" &&
	cat "$TRASH/$1.s1" "$TRASH/$1.s2" &&
	assert_eq "$(cut -f2 "$TRASH/$1.s1")" "$(cut -f2 "$TRASH/$1.s2")" "the same polecat" &&
	assert_eq reuse "$(cut -f3 "$TRASH/$1.s2")" "the second sling" &&
	git -C ../project log --format=%s >subjects &&
	grep -qx "work on $a" subjects && grep -qx "work on $b" subjects &&
	git -C ../project show "main:$a.txt" >/dev/null &&
	git -C ../project show "main:$b.txt" >/dev/null
}

# reported CLI TRANSCRIPT: the usage the CLI itself reported in a run's
# transcript, as tokens_in (input not read from the cache), tokens_out and
# cache_read, read off its protocol as tests/fake/README.md describes it:
# Claude's result events (per turn); Codex's last turn.completed
# (cumulative, cached inside input); ACP prompt results, opencode's usage
# (inputTokens without the cached ones: totalTokens = inputTokens +
# cachedReadTokens + outputTokens) else Gemini's _meta.quota; pi's
# assistant message_end (input without the cache).  Cost, for the CLIs
# that report it: Claude's total_cost_usd (for the process so far), the
# sum of pi's.
reported() {
	jq -n --arg cli "$1" '
	[inputs | select(.from == "agent") | .line | fromjson? // empty] as $ev |
	def total(f): map(f // 0) | add // 0;
	if $cli == "claude" then
		[$ev[] | select(.type == "result")] |
		(map(.usage) | {tokens_in: total(.input_tokens), tokens_out: total(.output_tokens),
		 cache_read: total(.cache_read_input_tokens)}) +
		{cost_usd: (map(.total_cost_usd) | last)}
	elif $cli == "codex" then
		([$ev[] | select(.type == "turn.completed") | .usage] | last // {}) |
		{tokens_in: ((.input_tokens // 0) - (.cached_input_tokens // 0)),
		 tokens_out: (.output_tokens // 0), cache_read: (.cached_input_tokens // 0)}
	elif $cli == "pi" then
		[$ev[] | select(.type == "message_end" and .message.role == "assistant") |
			.message.usage] |
		{tokens_in: total(.input), tokens_out: total(.output), cache_read: total(.cacheRead),
		 cost_usd: total(.cost.total)}
	else
		[$ev[] | .result? | objects | select(.stopReason) |
			if .usage then {i: .usage.inputTokens, o: .usage.outputTokens,
				c: .usage.cachedReadTokens}
			else {i: ._meta.quota.token_count.input_tokens,
				o: ._meta.quota.token_count.output_tokens, c: 0} end] |
		{tokens_in: total(.i), tokens_out: total(.o), cache_read: total(.c)}
	end' "$2"
}

check_usage() { # CLI
	cd town &&
	read -r a b <"$TRASH/$1.beads" &&
	for id in $a $b; do
		gt-bead-show --json "$id" | jq -c ".metadata.runs[-1]" >rec &&
		cat rec &&
		jq -e --arg rt "$1" --arg m "$(mode_of "$1")" \
			".runtime == \$rt and .mode == \$m and .exit == \"done\" and
			.tokens_in > 0 and .tokens_out > 0 and .turns >= 1" rec >/dev/null ||
			return 1
		run=$(jq -r .run rec) &&
		reported "$1" ".git/gt/runs/$run/transcript.jsonl" >rep &&
		jq -c "{tokens_in, tokens_out, cache_read}" rec >got &&
		jq -c "{tokens_in, tokens_out, cache_read}" rep >want &&
		if ! cmp -s want got; then
			echo "the CLI reported $(cat want), the record says $(cat got)" >&2
			return 1
		fi
		case $1 in
		claude | pi)
			jq -e --slurpfile r rep ".cost_usd > 0 and
				(.cost_usd - \$r[0].cost_usd | fabs) < 1e-6" rec >/dev/null ||
				{ echo "cost: the CLI reported $(jq .cost_usd rep)" >&2; return 1; }
			;;
		esac
		# the CLI's own session id (gt does not ask pi for its own)
		case $1 in
		pi) ;;
		*) jq -e "(.session | length) > 0" rec >/dev/null || return 1 ;;
		esac
	done
}

check_nudge() { # CLI
	cd town &&
	id=$(gt-bead-add "$1 stay-idle") &&
	echo "$id" >"$TRASH/$1.idle" &&
	gt-sling "$id" app >s &&
	p=$(cut -f2 s) && echo "$p" >"$TRASH/$1.polecat" &&
	f=$(session_file "$p") &&
	wait_for continued "$f" &&
	jq -c "{status, runtime, mode, protocol, usage}" "$f" &&
	gt-bead-show --json "$id" | jq -e ".status == \"hooked\"" >/dev/null &&
	gt-nudge "$p" "marker-$1-$$" &&
	wait_for grep -q "marker-$1-$$" "$PLOG" &&
	grep "marker-$1-$$" "$PLOG" | jq -e --arg w "$(wire_of "$1")" -s \
		"any(.[]; .protocol == \$w)" >/dev/null
}

check_stop() { # CLI
	cd town &&
	p=$(cat "$TRASH/$1.polecat") && id=$(cat "$TRASH/$1.idle") &&
	f=$(session_file "$p") && run=$(jq -r .run "$f") &&
	test -n "$(tagged "$run")" &&
	cli_procs >before && cat before &&
	# an idle Codex has no process: one codex exec per turn
	{ [ "$1" = codex ] || test -s before; } &&
	gt-session-stop "$p" &&
	gt-hook-detach "$p" >/dev/null &&
	if ! wait_for no_tagged "$run"; then
		echo "left with GT_RUN_ID=$run:" >&2
		for q in $(tagged "$run"); do
			echo "  $q $(tr "\0" " " <"/proc/$q/cmdline")" >&2
		done
		return 1
	fi &&
	if ! wait_for no_cli_procs; then
		echo "left running:" >&2
		cli_procs >&2
		return 1
	fi &&
	wait_for finished "$id" "$p" &&
	gt-bead-show --json "$id" | jq -e ".metadata.runs[-1].exit == \"stopped\"" >/dev/null
}

for cli in $CLIS; do
	case " $installed " in
	*" $cli "*) ;;
	*)
		test_expect_success "$cli: skipped: not installed (tests/agents/install.sh)" 'true'
		continue
		;;
	esac
	what="$cli $(version_of "$cli") ($(mode_of "$cli"))"
	test_expect_success "$what: two beads slung in a row both end merged, by one polecat" \
		'check_two_beads "$cli"'
	case $cli in
	claude | pi) u="tokens and cost" ;;
	*) u="tokens" ;;
	esac
	test_expect_success "$what: the runs record their $u" 'check_usage "$cli"'
	test_expect_success "$what: a nudge to an idle agent reaches the next request" \
		'check_nudge "$cli"'
	test_expect_success "$what: a stopped session leaves no process behind" \
		'check_stop "$cli"'
done

# ---- a rate-limited runtime falls back to the next of the chain ----

check_fallback() {
	cd town &&
	gt-config rig.agent "$first, $second" &&
	id=$(gt-bead-add "THROTTLE-ME fallback") &&
	gt-sling "$id" app >s && cat s &&
	done_and_merged "$id" "$(cut -f2 s)" &&
	gt-bead-show --json "$id" | jq -c "[.metadata.runs[] | .runtime + \":\" + .exit]" >runs &&
	cat runs &&
	assert_eq "[\"$first:rate-limited\",\"$second:done\"]" "$(cat runs)" "runs" &&
	jq -e ".until_ms > 0" ".git/gt/run/throttle/$first.json" &&
	jq -s -e --arg w "$(wire_of "$first")" \
		"any(.[]; .protocol == \$w and .failure != null)" "$PLOG" >/dev/null
}

if [ -n "$second" ]; then
	test_expect_success "a rig chain \"$first, $second\": $first rate-limited (persistent 429), $second does the bead" \
		'check_fallback'
	test_expect_success "the fallback left no process behind" '
		wait_for no_cli_procs || { cli_procs >&2; exit 1; }
	'
else
	test_expect_success "fallback chain: skipped: not two CLIs installed that speak different protocols" 'true'
fi

kill "$PROVIDER" 2>/dev/null
wait "$PROVIDER" 2>/dev/null
trap - EXIT
if [ -n "${GT_AGENTS_KEEP:-}" ]; then
	rm -rf "$GT_AGENTS_KEEP" && cp -a "$TRASH" "$GT_AGENTS_KEEP" 2>/dev/null
	echo "# kept in $GT_AGENTS_KEEP"
fi
test_done
