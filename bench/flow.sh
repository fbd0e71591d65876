#!/bin/sh
# bench/flow.sh - how long the refinery takes per merge request, from
# `gt-refinery --max 1` to the request merged, pushed, verified, closed and
# its branch deleted, beside the bare git commands that do the same merge.
#
#   bench/flow.sh
#   GT_BENCH_MRS=20               merge requests (median and p90 printed)
#   GT_BENCH_DIR=/tmp/gt-bench    scratch space (a town is made and removed)
#   GT_BENCH_NOBUILD=1            do not run make first
#
# Setup, not timed: an upstream with a few files on main, a town and a rig
# with no gates (setup, build, lint and test are all unset, so none runs),
# and N merge requests made without agents (gt-sling --no-start, a commit
# of a distinct file in the polecat's workspace, gt-done).  Every branch
# starts at the first main and main gets one more commit after they are
# pushed, so every request needs a real rebase, onto a main that the
# previous merges moved.  A second upstream, a copy of the first, gets the
# same commit, and the bare git column merges its branches in the same
# order, each right after the refinery merged the same request: fetch,
# checkout --detach, rebase, push HEAD:main, ls-remote, push --delete.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${GT_BENCH_MRS:-20}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/flow.XXXXXX")
export PATH="$ROOT/bin:$PATH" HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
unset GT_AGENT
mkdir -p "$HOME"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() { bench_cleanup "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
# nearest-rank percentile P of the numbers on stdin
pct() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 }
		END { r = int(NR * p / 100); if (r < NR * p / 100) r++; if (r < 1) r = 1; print v[r] }'
}

[ -n "${GT_BENCH_NOBUILD:-}" ] || make -C "$ROOT" -s all >/dev/null
cd "$DIR"

# the upstream: main with a few files
git init -q -b main seed
(
	cd seed
	seq 1 2000 >numbers.txt
	printf 'flow bench\n' >README
	mkdir src
	printf 'int main(void) { return 0; }\n' >src/main.c
	git add . && git commit -qm init
)
git clone -q --bare seed upstream.git

gt-init -q --prefix ap town
cd town
gt-rig-add -q --prefix ap app ../upstream.git
# the refinery's worktree is made on its first run: make it now, untimed
gt-refinery --no-feed app >/dev/null

# N merge requests, each from the first main
i=0
while [ "$i" -lt "$N" ]; do
	i=$((i + 1))
	id=$(gt-bead-add "flow $i")
	gt-sling -q --no-start --no-convoy "$id" app
	p=$(gt-hook-list --json | jq -r "select(.bead == \"$id\") | .agent")
	info=$(gt-agent-show --json "$p")
	ws=$(printf '%s\n' "$info" | jq -r .workspace)
	echo "$i" >"$ws/file$i.txt"
	git -C "$ws" add "file$i.txt"
	git -C "$ws" commit -qm "flow $i"
	gt-done -q "$p"
	printf '%s\n' "$info" | jq -r .branch >>"$DIR/branches"
done
[ "$(gt-mq-list --json | jq -s length)" -eq "$N" ] || {
	echo "flow.sh: expected $N merge requests" >&2
	exit 1
}

# the bare git side: an identical upstream, a bare clone fetched like the
# rig's, and a detached worktree like the refinery's
cp -R "$DIR/upstream.git" "$DIR/upstream2.git"
git init -q --bare "$DIR/bare.git"
git -C "$DIR/bare.git" remote add origin "$DIR/upstream2.git"
git -C "$DIR/bare.git" fetch -q --prune origin
git -C "$DIR/bare.git" worktree add -q --detach "$DIR/bare" origin/main
# main moves after the branches were pushed, in both upstreams alike
(
	cd "$DIR/seed"
	echo 2001 >>numbers.txt
	git commit -qam "main moves on"
	git push -q ../upstream.git main
	git push -q ../upstream2.git main
)

# the process floor of this way of timing: one external no-op command
: >floor.ms
i=0
while [ "$i" -lt "$N" ]; do
	i=$((i + 1))
	t0=$(now)
	/bin/true
	t1=$(now)
	ms "$t0" "$t1" >>floor.ms
done

# one merge request by the refinery (one process per request), then the
# same merge by hand in the other upstream: both see the same machine and
# a main of the same length
: >gt.ms
: >bare.ms
while read -r b <&3; do
	t0=$(now)
	gt-refinery --max 1 --no-feed app >refinery.out
	t1=$(now)
	grep -q '^merged' refinery.out || {
		echo "flow.sh: the refinery did not merge $b:" >&2
		cat refinery.out >&2
		exit 1
	}
	ms "$t0" "$t1" >>gt.ms
	t0=$(now)
	git -C "$DIR/bare.git" fetch -q --prune origin
	git -C "$DIR/bare" checkout -q --detach "origin/$b"
	git -C "$DIR/bare" rebase -q origin/main
	git -C "$DIR/bare" push -q origin HEAD:main
	git -C "$DIR/bare" ls-remote origin refs/heads/main >/dev/null
	git -C "$DIR/bare" push -q origin --delete "$b"
	t1=$(now)
	ms "$t0" "$t1" >>bare.ms
done 3<"$DIR/branches"
[ "$(gt-mq-list --json | jq -s length)" -eq 0 ]

# both upstreams end with the same files on main and no branch left
[ "$(git -C "$DIR/upstream.git" rev-parse 'main^{tree}')" = \
	"$(git -C "$DIR/upstream2.git" rev-parse 'main^{tree}')" ]
[ "$(git -C "$DIR/upstream.git" for-each-ref refs/heads | wc -l)" -eq 1 ]
[ "$(git -C "$DIR/upstream2.git" for-each-ref refs/heads | wc -l)" -eq 1 ]

printf '%-36s %10s %10s %10s\n' "refinery, $N merge requests" "gt" "bare git" "floor"
printf '%-36s %7s ms %7s ms %7s ms\n' "per merge request, median" \
	"$(pct 50 <gt.ms)" "$(pct 50 <bare.ms)" "$(pct 50 <floor.ms)"
printf '%-36s %7s ms %7s ms %7s ms\n' "per merge request, p90" \
	"$(pct 90 <gt.ms)" "$(pct 90 <bare.ms)" "$(pct 90 <floor.ms)"
echo "gt: gt-refinery --max 1 --no-feed app (no gates); every request is rebased"
echo "bare git: fetch + checkout --detach + rebase + push HEAD:main + ls-remote + push --delete"
echo "floor: one external /bin/true timed the same way"
bench_result flow "refinery, per merge request, median" ms "$(pct 50 <gt.ms)" \
	"$(pct 50 <bare.ms)" "git fetch + checkout + rebase + push + ls-remote + push --delete"
bench_result flow "refinery, per merge request, p90" ms "$(pct 90 <gt.ms)" \
	"$(pct 90 <bare.ms)" "git fetch + checkout + rebase + push + ls-remote + push --delete"
