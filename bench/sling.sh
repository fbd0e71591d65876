#!/bin/sh
# bench/sling.sh - how long gt-sling takes to sling a batch of beads to a
# rig, from the command to every session running: the default --jobs
# (workers provisioned side by side) beside --jobs 1 (one after the
# other), each on a fresh town, in turns.
#
#   bench/sling.sh                (make bench runs it)
#   GT_BENCH_BEADS=30             beads per batch
#   GT_BENCH_ROUNDS=3             batches per way (the median is printed)
#   GT_BENCH_AGENTS="scripted sleep"  the runtimes, each a line
#   GT_BENCH_DIR=/tmp/gt-bench    scratch space (towns are made and removed)
#   GT_BENCH_NOBUILD=1            do not run make first
#
# The first line is with the scripted agent, as the tests run it: each
# session starts gt-run and the agent, which reads its hook (gt-prime)
# and marks the molecule's first step done, all on the same processors
# as the slings still under way; the bead's own step then waits for a
# file that never comes.  The second is with a plain `sleep` for a
# runtime, so the figures are gt's own work.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEADS=${GT_BENCH_BEADS:-30}
ROUNDS=${GT_BENCH_ROUNDS:-3}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/sling.XXXXXX")
export PATH="$ROOT/bin:$PATH" TMUX_TMPDIR="$DIR/tmux" HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
unset GT_AGENT GT_DIR
mkdir -p "$TMUX_TMPDIR" "$HOME"

# a town's sessions and what runs in them end (they would write into the
# town while it is removed): bounded, cleanup only
stop_sessions() {
	for s in "$TMUX_TMPDIR"/tmux-*/*; do
		if [ -S "$s" ]; then
			tmux -S "$s" kill-server 2>/dev/null || :
		fi
	done
	n=0
	while [ "$n" -lt 100 ]; do
		left=0
		for p in /proc/[0-9]*; do
			case "$(readlink "$p/cwd" 2>/dev/null)" in
			"$DIR"/*) left=1 && break ;;
			esac
		done
		[ "$left" = 1 ] || break
		sleep 0.1
		n=$((n + 1))
	done
}
cleanup() {
	stop_sessions
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print v[m] }'; }

[ -n "${GT_BENCH_NOBUILD:-}" ] || make -C "$ROOT" -s all >/dev/null
cd "$DIR"
git init -q -b main project
(cd project && seq 1 2000 >numbers.txt && git add . && git commit -qm init)

# one batch on a fresh town: runtime $1, gt-sling options after it;
# prints seconds.  Towns are removed only at the end: files made right
# after many were deleted cost more on some file systems.
towns=0
batch() {
	rt=$1
	shift
	towns=$((towns + 1))
	town=$DIR/town$towns
	gt-init -q --prefix hq "$town"
	(
		cd "$town"
		gt-rig-add -q app ../project
		gt-config runtime.sleep.command "sleep 3600"
		gt-config runtime.sleep.prompt none
		gt-config rig.agent "$rt"
		i=0
		while [ "$i" -lt "$BEADS" ]; do
			i=$((i + 1))
			gt-bead-add "bead $i" -d "Steps:
\`\`\`sh
while ! test -f \"$DIR/go\"; do sleep 1; done
\`\`\`"
		done >"$DIR/ids"
		t0=$(now)
		gt-sling -q --stdin "$@" app <"$DIR/ids"
		t1=$(now)
		n=$(gt-session-list --json | jq -s 'map(select(.agent | startswith("app/polecats/"))) | length')
		[ "$n" -eq "$BEADS" ] || {
			echo "sling.sh: $n sessions for $BEADS beads" >&2
			exit 1
		}
		secs "$t0" "$t1"
	)
	stop_sessions
}

for rt in ${GT_BENCH_AGENTS:-scripted sleep}; do
	: >"$rt.par"
	: >"$rt.one"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		r=$((r + 1))
		echo "sling: $rt, round $r of $ROUNDS" >&2
		batch "$rt" >>"$rt.par"
		batch "$rt" --jobs 1 >>"$rt.one"
	done
done
for rt in ${GT_BENCH_AGENTS:-scripted sleep}; do
	case $rt in
	scripted) what= ;;
	sleep) what=", runtime sleep (gt's own work)" ;;
	*) what=", runtime $rt" ;;
	esac
	printf 'sling %s beads%s: %s s (--jobs 1: %s s)\n' "$BEADS" "$what" \
		"$(median <"$rt.par")" "$(median <"$rt.one")"
done
echo "median of $ROUNDS batches each; $(nproc) processors, load $(cut -d' ' -f1-3 /proc/loadavg)"
