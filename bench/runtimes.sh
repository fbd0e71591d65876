#!/bin/sh
# bench/runtimes.sh - what running agents through gt-run costs: the time
# from gt-sling to a bead's run record for a structured runtime (Claude's
# stream-json, played by tests/fake/fake-agent) beside the same work done
# by the scripted agent in a terminal (the baseline: no protocol, no
# transcript); gt-cost over a town
# with many run records beside gt-bead-list reading the same beads.
#
#   bench/runtimes.sh             (make bench runs it)
#   GT_BENCH_ROUNDS=10            slings timed per runtime (median printed)
#   GT_BENCH_BEADS=2000           beads with run records for gt-cost
#   GT_BENCH_DIR=/tmp/gt-bench    scratch space (made and removed)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${GT_BENCH_ROUNDS:-10}
BEADS=${GT_BENCH_BEADS:-2000}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/runtimes.XXXXXX")
export PATH="$ROOT/bin:$DIR/fakebin:$PATH" TMUX_TMPDIR="$DIR/tmux" HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
mkdir -p "$TMUX_TMPDIR" "$HOME" "$DIR/fakebin"
ln -s "$ROOT/tests/fake/fake-agent" "$DIR/fakebin/claude"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() {
	bench_cleanup "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print v[m] }'; }

[ -n "${GT_BENCH_NOBUILD:-}" ] || make -C "$ROOT" -s all >/dev/null
cd "$DIR"
git init -q -b main project
(cd project && echo hi >README.md && git add . && git commit -qm init &&
	git config receive.denyCurrentBranch updateInstead)
gt-init -q --prefix hq town
cd town
gt-rig-add -q app ../project
gt-config runtime.claude.env "FAKE_AGENT_*"
cat >"$DIR/work.sh" <<'SCRIPT'
gt-prime
echo "$GT_BEAD" >"$GT_BEAD.txt" && git add "$GT_BEAD.txt" && git commit -qm "$GT_BEAD"
gt-done
SCRIPT
export FAKE_AGENT_SCRIPT="$DIR/work.sh"

# one sling to the record of its run; prints milliseconds
sling_to_record() {
	id=$(gt-bead-add "$2 $3" -d "Steps:
\`\`\`sh
echo \"\$GT_BEAD\" >\"\$GT_BEAD.txt\" && git add \"\$GT_BEAD.txt\" && git commit -qm \"\$GT_BEAD\"
\`\`\`")
	t0=$(now)
	gt-sling -q --no-convoy --agent "$1" "$id" app
	if [ "$1" = scripted ]; then
		until gt-mq-list --json | grep -q "\"$id\""; do sleep 0.01; done
	else
		until gt-bead-show --json "$id" | jq -e '(.metadata.runs // []) | length > 0' >/dev/null; do
			sleep 0.01
		done
	fi
	ms "$t0" "$(now)"
	# the session ends when its run does: the next sling starts afresh
	for s in "$TMUX_TMPDIR"/tmux-*/*; do
		while [ -S "$s" ] && tmux -S "$s" has-session 2>/dev/null; do
			sleep 0.05
		done
	done
}

echo "runtimes: $ROUNDS slings per runtime" >&2
for rt in scripted claude; do
	i=0
	: >"$DIR/$rt.ms"
	while [ "$i" -lt "$ROUNDS" ]; do
		i=$((i + 1))
		sling_to_record "$rt" bench "$i" >>"$DIR/$rt.ms"
	done
done
printf '%-58s %10s ms   (baseline: scripted agent in a terminal %s ms)\n' \
	"sling to run record, claude stream-json (median)" \
	"$(median <"$DIR/claude.ms")" "$(median <"$DIR/scripted.ms")"

echo "runtimes: $BEADS beads with run records" >&2
i=0
{
	while [ "$i" -lt "$BEADS" ]; do
		i=$((i + 1))
		printf '{"title":"cost %d","metadata":{"runs":[{"run":"r%d","agent":"app/polecats/x","runtime":"claude","tokens_in":%d,"tokens_out":10,"cache_read":5,"cost_usd":0.01,"turns":1,"duration_ms":100,"ended_at":"2026-12-01T00:00:00Z","exit":"done"}]}}\n' "$i" "$i" "$i"
	done
} >"$DIR/beads.jsonl"
gt-bead-add --stdin <"$DIR/beads.jsonl" >/dev/null
t0=$(now)
n=$(gt-cost --json | jq .runs)
tc=$(ms "$t0" "$(now)")
t0=$(now)
gt-bead-list --all --json -n 0 >/dev/null
tl=$(ms "$t0" "$(now)")
printf '%-58s %10s ms   (baseline: gt-bead-list --all reading them %s ms)\n' \
	"gt-cost over the town ($n runs)" "$tc" "$tl"
bench_result runtimes "sling to run record, claude stream-json, median" ms \
	"$(median <"$DIR/claude.ms")" "$(median <"$DIR/scripted.ms")" "scripted agent in a terminal"
bench_result runtimes "gt-cost over the town ($n runs)" ms "$tc" "$tl" "gt-bead-list --all reading them"
