#!/bin/sh
# The harness itself must be able to fail: a failing step anywhere in a
# test body fails that test, and the summary counts it.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'failing steps fail their test, passing ones pass' '
	cat >inner.sh <<-INNER &&
	. "$TEST_DIR/lib/test.sh"
	test_expect_success "fails in the middle" "false; true"
	test_expect_success "fails in a loop" "for x in 1; do [ \\\$x = 2 ] || die no; done; true"
	test_expect_success "passes" "true"
	test_done
	INNER
	expect_code 1 sh inner.sh >out &&
	grep -q "^not ok 1 - fails in the middle" out &&
	grep -q "^not ok 2 - fails in a loop" out &&
	grep -q "^ok 3 - passes" out &&
	grep -q "^# 1 passed, 2 failed" out
'

test_done
