#!/bin/sh
# bench/formula.sh - how long the largest shipped formula takes to parse
# and to cook, in process and as a whole gt-formula-cook command, beside
# jq starting up and reading the same data as JSON.
#
#   bench/formula.sh
#   GT_BENCH_RUNS=200             command runs (p50 and p90 printed); the
#                                 in-process figures take 10 x N iterations
#   GT_BENCH_DIR=/tmp/gt-bench    scratch space (removed at exit)
#   GT_BENCH_NOBUILD=1            do not run make first
#
# The formula is the largest formulas/*.formula.toml by bytes that is not
# an aspect (an aspect does not cook alone).  Every variable it requires
# is given the value 1.2.3: the script cooks it once, and for each
# "missing required variable 'x'" adds --var x=1.2.3 until it cooks.
# Untimed setup: that loop, the JSON copy of the file (build/bench/formula
# --json: gt's own TOML-to-JSON, compact), and a town made by gt-init.
#
# Rows: build/bench/formula in process (read + TOML parse; load, resolve
# and cook, which parses again); gt-formula-cook from a directory with no
# ledger (the shipped-formula path, no town) and from the town (its lookup
# included); jq on the JSON file; and the process floors of bench/ledger:
# floor0 (exec, libraries linked like gt) and floor (libgit2 open + read
# refs/gt/ledger, in the town).  Every command is timed by build/bench/timeit
# (fork to exit, stdout and stderr to /dev/null); a command that fails
# stops the benchmark rather than be timed.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${GT_BENCH_RUNS:-200}
BASE=${GT_BENCH_DIR:-/tmp/gt-bench}
case $N in
'' | *[!0-9]* | 0) echo "formula.sh: GT_BENCH_RUNS must be a positive number" >&2 && exit 2 ;;
esac
ITER=$((N * 10))
TOOLS=$ROOT/build/bench
BIN=$ROOT/bin

[ -n "${GT_BENCH_NOBUILD:-}" ] || make -C "$ROOT" -s all bench-tools >/dev/null

mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/formula.XXXXXX")
export HOME="$DIR/home"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
unset GT_AGENT GT_DIR GT_RIG
mkdir -p "$HOME" "$DIR/none"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
cleanup() { bench_cleanup "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# size FILE: bytes
size() { wc -c <"$1" | tr -d ' '; }

# measure ARGS...: timeit ARGS (from the current directory); sets p50, p90
measure() {
	out=$("$TOOLS/timeit" -n "$N" -w 5 -q -- "$@")
	read -r p50 p90 _ _ _ _ _ fails _ <<EOF
$out
EOF
	if [ "$fails" -ne 0 ]; then
		echo "formula.sh: $fails of $N runs failed: $*" >&2
		exit 1
	fi
}

# row LABEL P50 P90 UNIT
row() { printf '  %-50s %8s %2s %8s %2s\n' "$1" "$2" "$4" "$3" "$4"; }

# the formula, from a directory with no town
cd "$DIR/none"
FILE=
BYTES=0
for f in "$ROOT"/formulas/*.formula.toml; do
	type=$("$BIN/gt-formula-show" --json "$f" | jq -r .type)
	[ "$type" != aspect ] || continue
	b=$(size "$f")
	if [ "$b" -gt "$BYTES" ]; then
		FILE=$f BYTES=$b TYPE=$type
	fi
done
if [ -z "$FILE" ]; then
	echo "formula.sh: no formula to cook in $ROOT/formulas" >&2
	exit 1
fi

# its required variables: the positional parameters become the --var list
set --
while ! "$BIN/gt-formula-cook" "$@" "$FILE" >"$DIR/cook.json" 2>"$DIR/cook.err"; do
	v=$(sed -n "s/.*missing required variable '\([^']*\)'.*/\1/p" "$DIR/cook.err" | head -n 1)
	case " $* " in
	*" $v=1.2.3 "*) v= ;;
	esac
	if [ -z "$v" ]; then
		echo "formula.sh: $FILE does not cook:" >&2
		cat "$DIR/cook.err" >&2
		exit 1
	fi
	set -- "$@" --var "$v=1.2.3"
done
jq -e '.steps | length > 0' "$DIR/cook.json" >/dev/null

# inproc: build/bench/formula with the --var list as NAME=VALUE arguments
inproc() {
	k=$#
	while [ "$k" -gt 0 ]; do
		a=$1
		shift
		k=$((k - 1))
		[ "$a" = --var ] || set -- "$@" "$a"
	done
	"$TOOLS/formula" -n "$ITER" "$FILE" "$@"
}

"$TOOLS/formula" --json "$FILE" >"$DIR/formula.json"
STEPS='[(.steps // .legs)[] | {id, needs}]'
jq -e "$STEPS | length > 0" "$DIR/formula.json" >/dev/null

"$BIN/gt-init" -q --prefix fb "$DIR/town"

# 1. in process
out=$(inproc "$@")
read -r _ parse50 parse90 <<EOF
$(printf '%s\n' "$out" | grep '^parse_us ')
EOF
read -r _ cook50 cook90 <<EOF
$(printf '%s\n' "$out" | grep '^cook_us ')
EOF

# 2. the whole command, without a town and in one
cd "$DIR/none"
measure "$BIN/gt-formula-cook" "$@" "$FILE"
none50=$p50 none90=$p90
cd "$DIR/town"
measure "$BIN/gt-formula-cook" "$@" "$FILE"
town50=$p50 town90=$p90

# 3. jq on the same data
cd "$DIR/none"
measure jq -c . "$DIR/formula.json"
jqall50=$p50 jqall90=$p90
measure jq -c "$STEPS" "$DIR/formula.json"
jqsteps50=$p50 jqsteps90=$p90

# 4. the floors
measure "$TOOLS/floor0"
floor050=$p50 floor090=$p90
cd "$DIR/town"
measure "$TOOLS/floor"
floor50=$p50 floor90=$p90

echo "formula: $(basename "$FILE") ($TYPE), $BYTES bytes TOML, $(size "$DIR/formula.json") bytes JSON"
echo "vars: ${*:-none}"
printf '  %-50s %11s %11s\n' "" p50 p90
echo "in process, $ITER iterations (build/bench/formula)"
row "parse: read + TOML parse" "$parse50" "$parse90" us
row "load + resolve + cook" "$cook50" "$cook90" us
echo "whole command, $N runs: gt-formula-cook --var ... FILE"
row "no town (shipped-formula path)" "$none50" "$none90" ms
row "in a gt-init town (town lookup included)" "$town50" "$town90" ms
echo "baseline, $N runs: jq on the same data as JSON"
row "jq -c . formula.json" "$jqall50" "$jqall90" ms
row "jq -c '$STEPS'" "$jqsteps50" "$jqsteps90" ms
echo "floor, $N runs"
row "floor0: exec, libs linked like gt" "$floor050" "$floor090" ms
row "floor: libgit2 open + read refs/gt/ledger" "$floor50" "$floor90" ms
bench_result formula "parse, in process, p50" us "$parse50" - -
bench_result formula "load + resolve + cook, in process, p50" us "$cook50" - -
bench_result formula "gt-formula-cook, no town, p50" ms "$none50" "$jqall50" "jq -c . on the JSON"
bench_result formula "gt-formula-cook, in a town, p50" ms "$town50" "$jqall50" "jq -c . on the JSON"
