#!/bin/sh
# bench/supervision.sh - what supervision costs: CPU of the deacon (and the
# witness inside it) on an idle town with 30 idle polecats, and ledger
# commits meanwhile; time from a worker's death to its restarted session;
# one witness patrol over a rig with 30 working polecats.  Each figure
# stands beside the bare tmux/git work it cannot do without.
#
#   bench/supervision.sh           (make bench runs it)
#   GT_BENCH_IDLE=60               seconds of a real `gt-deacon --watch` at
#                                  the default 30 s interval (600: the
#                                  10 minutes the figure is quoted for)
#   GT_BENCH_ROUNDS=20             deaths timed (the median is printed)
#   GT_BENCH_DIR=/tmp/gt-bench     scratch space (made and removed)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IDLE=${GT_BENCH_IDLE:-60}
ROUNDS=${GT_BENCH_ROUNDS:-20}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/supervision.XXXXXX")
export PATH="$ROOT/bin:$PATH" TMUX_TMPDIR="$DIR/tmux" HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
mkdir -p "$TMUX_TMPDIR" "$HOME"
DEACON=
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() {
	[ -z "$DEACON" ] || kill "$DEACON" 2>/dev/null || :
	bench_cleanup "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TICK=$(getconf CLK_TCK)
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print v[m] }'; }
# CPU ticks a process used, itself and its waited-for children
cpu() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
secs() { awk -v t="$1" -v k="$TICK" 'BEGIN { printf "%.2f\n", t / k }'; }

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
gt-config rig.max-restarts 1000

echo "supervision: making 30 polecats" >&2
i=0
while [ "$i" -lt 30 ]; do
	i=$((i + 1))
	id=$(gt-bead-add "worker $i")
	gt-sling -q --no-convoy --no-start "$id" app
	echo "$id" >>beads
done
for a in $(gt-agent-list --json | jq -r .address); do
	gt-hook-detach -q "$a"
done

# ---- an idle town ----
gt-witness app >/dev/null
gt-deacon --once >/dev/null
tip0=$(git rev-parse refs/gt/ledger)
# per patrol, many patrols in a row
N=200
gt-deacon --watch --interval 50ms >deacon.out 2>&1 &
DEACON=$!
c0=$(cpu "$DEACON")
t0=$(now)
sleep $((N / 20))
c1=$(cpu "$DEACON")
t1=$(now)
kill "$DEACON"
wait "$DEACON" 2>/dev/null || true
DEACON=
patrols=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", (b - a) / 1e6 / 50 }')
per_patrol=$(awk -v c="$((c1 - c0))" -v k="$TICK" -v n="$patrols" \
	'BEGIN { printf "%.2f\n", c / k * 1000 / n }')
per_hour=$(awk -v p="$per_patrol" 'BEGIN { printf "%.2f\n", p * 120 / 1000 }')
# the floor of a patrol: listing the town's sessions
f0=$(now)
k=0
while [ "$k" -lt 100 ]; do
	tmux -L gt-bench-idle list-sessions >/dev/null 2>&1 || true
	k=$((k + 1))
done
f1=$(now)
floor=$(awk -v a="$f0" -v b="$f1" 'BEGIN { printf "%.2f\n", (b - a) / 1e6 / 100 }')
# a real run at the default interval
gt-deacon --watch >deacon.out 2>&1 &
DEACON=$!
c0=$(cpu "$DEACON")
sleep "$IDLE"
c1=$(cpu "$DEACON")
kill "$DEACON"
wait "$DEACON" 2>/dev/null || true
DEACON=
tip1=$(git rev-parse refs/gt/ledger)
commits=$(git rev-list --count "$tip0..$tip1")

# ---- death to restart ----
gt-config rig.stall-after 1h
for id in $(head -n 30 beads); do
	gt-sling -q --no-convoy "$id" app
done
SOCK=$(find "$TMUX_TMPDIR" -type s | head -1)
: >restart.ms
: >bare.ms
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	line=$(gt-session-list --json | jq -r 'select(.agent != null) | "\(.agent) \(.pid)"' | head -1)
	agent=${line% *}
	pid=${line#* }
	t0=$(now)
	kill -9 "$pid"
	while gt-session-list --json | jq -e -s "any(.[]; .agent == \"$agent\")" >/dev/null; do :; done
	gt-witness app >/dev/null
	t1=$(now)
	ms "$t0" "$t1" >>restart.ms
	# bare: a tmux session started by hand
	t0=$(now)
	tmux -L "$(basename "$SOCK")" new-session -d -s "bare-$r" sleep 3600
	t1=$(now)
	tmux -L "$(basename "$SOCK")" kill-session -t "=bare-$r"
	ms "$t0" "$t1" >>bare.ms
done

# ---- one patrol over 30 working polecats ----
: >patrol.ms
: >capture.ms
r=0
while [ "$r" -lt 10 ]; do
	r=$((r + 1))
	t0=$(now)
	gt-witness app >>patrol.log
	t1=$(now)
	ms "$t0" "$t1" >>patrol.ms
	t0=$(now)
	for s in $(tmux -L "$(basename "$SOCK")" list-sessions -F '#{session_name}'); do
		tmux -L "$(basename "$SOCK")" capture-pane -p -t "=$s:" >/dev/null
	done
	t1=$(now)
	ms "$t0" "$t1" >>capture.ms
done

[ -z "${GT_BENCH_DEBUG:-}" ] || cat patrol.log >&2
printf '\nsupervision (2 cores; town with 1 rig, 30 polecats)\n'
printf '%-58s %12s %22s\n' "" "gt" "baseline"
printf '%-58s %9s ms %17s ms   (tmux list-sessions)\n' \
	"idle patrol (deacon + witness), CPU per patrol" "$per_patrol" "$floor"
printf '%-58s %10s s\n' "idle CPU per hour at the default 30 s interval" "$per_hour"
printf '%-58s %10s s   (%ss of gt-deacon --watch)\n' "idle CPU measured" \
	"$(secs $((c1 - c0)))" "$IDLE"
printf '%-58s %12s\n' "ledger commits while idle" "$commits"
printf '%-58s %9s ms %17s ms   (tmux new-session)\n' \
	"worker death to restarted session, median of $ROUNDS" "$(median <restart.ms)" \
	"$(median <bare.ms)"
printf '%-58s %9s ms %17s ms   (30 x tmux capture-pane)\n' \
	"one witness patrol, 30 working polecats, median of 10" "$(median <patrol.ms)" \
	"$(median <capture.ms)"
bench_result supervision "idle patrol (deacon + witness), CPU per patrol" ms "$per_patrol" \
	"$floor" "tmux list-sessions"
bench_result supervision "idle CPU per hour at the default interval" s "$per_hour" - -
bench_result supervision "ledger commits while idle" commits "$commits" - -
bench_result supervision "worker death to restarted session, median" ms "$(median <restart.ms)" \
	"$(median <bare.ms)" "tmux new-session"
bench_result supervision "one witness patrol, 30 working polecats, median" ms \
	"$(median <patrol.ms)" "$(median <capture.ms)" "30 x tmux capture-pane"
