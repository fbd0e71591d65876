#!/bin/sh
# The fuzz harnesses' saved corpora (tests/fuzz/corpus/<harness>/) replayed
# through the normal build: each harness linked with tests/fuzz/replay.c
# (build/fuzz-replay/<harness>) runs every saved input once; an input that
# crashes, trips a sanitizer (in a SANITIZE= build) or breaks a property the
# harness checks fails the test, naming the input.  `make fuzz` grows the
# corpora with libFuzzer (tests/fuzz/README).
. "$(dirname "$0")/lib/test.sh"

FUZZ=$ROOT/tests/fuzz
REPLAY=$ROOT/build/fuzz-replay
# the scratch ledgers of the import and config harnesses go in here
export TMPDIR="$TRASH"

harnesses() {
	for c in "$FUZZ"/*.c; do
		h=$(basename "$c" .c)
		[ "$h" = replay ] || echo "$h"
	done
}

test_expect_success 'every harness has a corpus, every corpus a harness' '
	for h in $(harnesses); do
		n=$(find "$FUZZ/corpus/$h" -type f | wc -l)
		[ "$n" -ge 2 ] || die "$h: $n saved inputs"
	done &&
	for d in "$FUZZ"/corpus/*/; do
		[ -f "$FUZZ/$(basename "$d").c" ] || die "no harness for $d"
	done
'

test_expect_success 'the saved corpora stay small (under 1 MB)' '
	bytes=$(cat "$FUZZ"/corpus/*/* | wc -c) &&
	[ "$bytes" -lt 1048576 ] || die "corpora hold $bytes bytes"
'

for h in $(harnesses); do
	test_expect_success "replay $h" '
		want=$(find "$FUZZ/corpus/$h" -type f | wc -l) &&
		GT_REPLAY_VERBOSE=1 "$REPLAY/$h" "$FUZZ/corpus/$h" >out 2>err ||
			{ tail -n 30 err; die "$h failed on the last input named above"; } &&
		assert_eq "$want inputs" "$(cat out)" &&
		! grep -v "^replay: " err
	'
done

test_expect_success 'the replay driver refuses what it cannot read' '
	expect_code 1 "$REPLAY/json" "$TRASH/nonexistent" 2>err &&
	grep -q nonexistent err &&
	expect_code 2 "$REPLAY/json"
'

test_expect_success 'the scratch ledgers are removed at exit' '
	! ls -d "$TRASH"/gt-fuzz.* 2>/dev/null
'

test_done
