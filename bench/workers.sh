#!/bin/sh
# bench/workers.sh - how long gt-sling takes from the command to a running
# session, and gt-done from the command to a verified push and a merge
# request, beside the bare git and tmux operations they perform.
#
#   bench/workers.sh              (make bench runs it after bench/ledger)
#   GT_BENCH_ROUNDS=20            rounds (the median is printed)
#   GT_BENCH_DIR=/tmp/gt-bench    scratch space (a town is made and removed)
#
# The runtime is a plain `sleep`, so the figures are gt's own work: what
# a real agent CLI costs to start comes on top of both columns alike.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${GT_BENCH_ROUNDS:-20}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/workers.XXXXXX")
export PATH="$ROOT/bin:$PATH" TMUX_TMPDIR="$DIR/tmux" HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
mkdir -p "$TMUX_TMPDIR" "$HOME"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() { bench_cleanup "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print v[m] }'; }

[ -n "${GT_BENCH_NOBUILD:-}" ] || make -C "$ROOT" -s all >/dev/null
cd "$DIR"
git init -q -b main project
(cd project && seq 1 2000 >numbers.txt && git add . && git commit -qm init)
gt-init -q --prefix hq town
cd town
gt-rig-add -q app ../project
gt-config runtime.sleeper.command "sleep 3600"
gt-config runtime.sleeper.prompt none
gt-config rig.agent sleeper

: >sling.ms
: >bare-sling.ms
: >done.ms
: >bare-done.ms
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	id=$(gt-bead-add "round $i")
	# gt-sling: allocate, workspace, hook, session; it returns once the
	# session runs
	t0=$(now)
	gt-sling -q "$id" app
	t1=$(now)
	p=$(gt-hook-list --json | jq -r "select(.bead == \"$id\") | .agent")
	gt-agent-show --json "$p" | jq -e .session_running >/dev/null
	ms "$t0" "$t1" >>sling.ms
	# the same git and tmux work by hand
	t0=$(now)
	git -C app/.repo.git fetch -q --prune origin
	git -C app/.repo.git worktree add -q --no-track -b "bare/$i" "$DIR/bare$i" origin/main
	tmux -L bare-bench new-session -d -s "bare$i" -c "$DIR/bare$i" sleep 3600
	t1=$(now)
	ms "$t0" "$t1" >>bare-sling.ms
	# gt-done: commit leftovers, push, verify, merge request, hook cleared
	ws=$(gt-agent-show --json "$p" | jq -r .workspace)
	echo "$i" >>"$ws/numbers.txt"
	t0=$(now)
	(cd "$ws" && GT_AGENT=$p gt-done -q)
	t1=$(now)
	ms "$t0" "$t1" >>done.ms
	echo "$i" >>"$DIR/bare$i/numbers.txt"
	t0=$(now)
	git -C "$DIR/bare$i" status --porcelain >/dev/null
	git -C "$DIR/bare$i" add -A
	git -C "$DIR/bare$i" commit -qm "round $i"
	git -C "$DIR/bare$i" push -q origin "+HEAD:refs/heads/bare/$i"
	git -C "$DIR/bare$i" ls-remote origin "refs/heads/bare/$i" >/dev/null
	t1=$(now)
	ms "$t0" "$t1" >>bare-done.ms
	gt-session-stop -q "$p"
done
tmux -L bare-bench kill-server 2>/dev/null || true

printf '%-44s %10s %10s\n' "workers, median of $ROUNDS" "gt" "bare ops"
printf '%-44s %8s ms %7s ms\n' "gt-sling: command to running session" \
	"$(median <sling.ms)" "$(median <bare-sling.ms)"
printf '%-44s %8s ms %7s ms\n' "gt-done: commit, push, verify, MR, unhook" \
	"$(median <done.ms)" "$(median <bare-done.ms)"
echo "bare ops: git fetch + worktree add + tmux new-session; git status + add + commit + push + ls-remote"
bench_result workers "gt-sling: command to running session, median" ms \
	"$(median <sling.ms)" "$(median <bare-sling.ms)" "git fetch + worktree add + tmux new-session"
bench_result workers "gt-done: commit, push, verify, MR, unhook, median" ms \
	"$(median <done.ms)" "$(median <bare-done.ms)" "git status + add + commit + push + ls-remote"
