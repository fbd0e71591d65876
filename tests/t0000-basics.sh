#!/bin/sh
# The gt front door and what every command shares: --version, --help,
# --summary, usage errors (exit 2), the completion helper, and help text
# that matches each man page's SYNOPSIS.
. "$(dirname "$0")/lib/test.sh"

COMMANDS=$(cd "$BIN" && ls gt-*)

test_expect_success 'gt --version names the version' '
	gt --version | grep -q "^gt version "
'

test_expect_success 'gt help lists every command with its summary' '
	gt help >out &&
	for c in $COMMANDS; do
		grep -q "^  $c  *[a-z]" out || die "$c missing from gt help"
	done
'

test_expect_success 'gt noun verb runs gt-noun-verb, gt verb runs gt-verb' '
	new_ledger l &&
	cd l &&
	id=$(gt bead add "via the front door") &&
	gt bead show "$id" | grep -q "via the front door" &&
	gt ready | grep -q "$id"
'

test_expect_success 'gt passes arguments through unchanged' '
	cd l &&
	id=$(gt bead add -- "-dash \$(touch pwned) \`id\`") &&
	[ ! -e pwned ] &&
	gt bead show --json "$id" | jq -e ".title == \"-dash \$(touch pwned) \`id\`\""
'

test_expect_success 'gt with an unknown command exits 2' '
	expect_code 2 gt no-such-thing &&
	expect_code 2 gt "../etc"
'

test_expect_success 'every command: --help exits 0 and starts with usage' '
	for c in $COMMANDS; do
		$c --help >out 2>&1 || die "$c --help failed" &&
		head -1 out | grep -q "^usage: $c" || die "$c: bad usage line"
	done
'

test_expect_success 'every command: an unknown option is a usage error (2)' '
	for c in $COMMANDS; do
		expect_code 2 $c --no-such-option 2>err || die "$c" &&
		grep -q "^$c: error: unknown option" err || die "$c: message"
	done
'

test_expect_success 'every command: --summary prints one line' '
	for c in $COMMANDS; do
		[ "$($c --summary | wc -l)" = 1 ] || die "$c"
	done
'

test_expect_success 'every command: --version works without a ledger' '
	for c in $COMMANDS; do
		$c --version | grep -q "version" || die "$c"
	done
'

test_expect_success 'every command: --completion-helper lists its options' '
	for c in $COMMANDS; do
		$c --completion-helper >out || die "$c" &&
		grep -q "^--help" out || die "$c: no --help"
	done &&
	gt-bead-add --completion-helper | grep -q "^--priority	-p	N	"
'

test_expect_success 'every command has a man page whose SYNOPSIS is its usage' '
	for c in $COMMANDS; do
		page="$ROOT/man/$c.1.scd" &&
		[ -f "$page" ] || die "no man page for $c" &&
		$c --help | sed -n "s/^usage: //p; s/^   or: //p" >want &&
		awk "/^# SYNOPSIS/{on=1; next} /^# /{on=0} on" "$page" |
			tr -d "*_" | sed "s/^[ \t]*//; s/[ \t]*\$//" | grep -v "^\$" >got &&
		diff -u want got || die "$c: SYNOPSIS differs from --help"
	done
'

test_expect_success 'gt(7) lists every command' '
	for c in $COMMANDS; do
		grep -q "$c" "$ROOT/man/gt.7.scd" || die "$c missing from gt.7"
	done
'

test_expect_success 'stdout write errors are reported (exit 7)' '
	cd l &&
	if [ -w /dev/full ]; then
		expect_code 7 gt-bead-list --all >/dev/full 2>err &&
		grep -q "cannot write output" err
	fi
'

test_done
