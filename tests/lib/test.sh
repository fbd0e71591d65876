# shellcheck shell=sh
# tests/lib/test.sh - the harness every tests/tNNNN-*.sh sources.
#
# Each test file gets its own scratch directory, HOME, git identity and
# PATH (the freshly built bin/ first), so tests run the same as root in CI
# without a terminal and never touch the user's configuration.
#
#   test_expect_success 'what it checks' 'shell commands'
#   expect_code N command args...   (inside a test body)
#   test_done
#
# Output is TAP: "ok N - what" / "not ok N - what" followed by the body's
# output indented, and a last line "# N passed, N failed".
set -u

TEST_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$TEST_DIR/.." && pwd)
BIN="$ROOT/bin"
CORPUS=${GT_CORPUS:-$ROOT/../shared/corpus}
TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/gt-$TEST_NAME.XXXXXX")
export HOME="$TRASH/home"
mkdir -p "$HOME"
export PATH="$BIN:$PATH"
export GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1 TZ=UTC LC_ALL=C
# tmux servers (one per town) live under the scratch directory
export TMUX_TMPDIR="$TRASH/tmux"
mkdir -p "$TMUX_TMPDIR"
unset TMUX TMUX_PANE GT_ROLE GT_RIG GT_BEAD GT_SESSION GT_RUNTIME GT_TOWN_ROOT
unset GT_DIR GT_AGENT GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME \
	GIT_COMMITTER_EMAIL GIT_DIR GIT_WORK_TREE XDG_CONFIG_HOME
# no maintenance in the background, which could outlive a test and write
# into its directory while it is removed (t0810 turns it on)
export GT_AUTO_MAINTAIN=0
git config --global user.name "Test User"
git config --global user.email "test@example.com"
git config --global init.defaultBranch main
cd "$TRASH" || exit 1

test_count=0
test_failed=0

test_expect_success() {
	test_count=$((test_count + 1))
	# not inside an if: set -e must stay in force for the body
	(
		cd "$TRASH" || exit 1
		set -e
		eval "$2"
	) >"$TRASH/.out" 2>&1
	test_rc=$?
	if [ "$test_rc" = 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out" | tail -n 40
	fi
}

# expect_code N cmd...: run cmd, fail unless it exits with status N
expect_code() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*" >&2
		return 1
	fi
	return 0
}

# fail with a message
die() {
	echo "$*" >&2
	return 1
}

# assert_eq EXPECTED ACTUAL [what]
assert_eq() {
	if [ "$1" != "$2" ]; then
		printf 'expected %s: [%s]\n     got: [%s]\n' "${3:-value}" "$1" "$2" >&2
		return 1
	fi
}

# the commit refs/gt/ledger points at (empty when none)
ledger_tip() {
	git -C "${1:-.}" rev-parse -q --verify refs/gt/ledger 2>/dev/null || true
}

# a fresh ledger in directory $1 with prefix $2 (default "t")
new_ledger() {
	gt-init -q --prefix "${2:-t}" "$1"
}

# Compare two files; show the difference when they differ.
test_cmp_files() {
	cmp -s "$1" "$2" || { diff -u "$1" "$2"; return 1; }
}

# A sample project and a town around it with one rig, "app" (prefix ap),
# whose workers run the scripted agent.
new_town() {
	git init -q project &&
		(cd project && echo "# app" >README.md && git add . && git commit -qm init &&
			git config receive.denyCurrentBranch updateInstead) &&
		gt-init -q --prefix hq town &&
		(cd town && gt-rig-add -q app ../project && gt-config rig.agent scripted)
}

# Poll until a command succeeds (asynchronous sessions).  This is not a
# time limit on the code under test: it only stops a broken run from
# hanging forever (10 minutes).
wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ "$_w" -lt 6000 ] || return 1
		sleep 0.1
	done
}

# Whether a gt-run of this test's towns is still running (it records its
# run when its session ends).
runners_left() {
	for _p in $(pgrep -x gt-run 2>/dev/null); do
		case "$(readlink "/proc/$_p/cwd" 2>/dev/null)" in
		"$TRASH"/*) return 0 ;;
		esac
	done
	return 1
}

test_done() {
	passed=$((test_count - test_failed))
	echo "# $passed passed, $test_failed failed"
	for _s in "$TMUX_TMPDIR"/tmux-*/*; do
		[ -S "$_s" ] && tmux -S "$_s" kill-server 2>/dev/null
	done
	# let the runners those sessions had finish writing (cleanup only:
	# bounded so a stuck one cannot hold the run)
	_n=0
	while runners_left && [ "$_n" -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	cd / && rm -rf "$TRASH"
	[ "$test_failed" = 0 ]
}
