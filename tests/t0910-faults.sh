#!/bin/sh
# Bad input of every kind: a clear error, exit 5 (2 for usage), and the
# ledger untouched.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' 'new_ledger l && cd l && gt-bead-add -q --id t-x "x" >/dev/null'

# run a command that must fail with the given status and leave the ledger
untouched() {
	want=$1; shift
	before=$(ledger_tip)
	expect_code "$want" "$@" || return 1
	assert_eq "$before" "$(ledger_tip)" "ledger tip after: $*"
}

test_expect_success 'malformed JSONL names the line' '
	cd l &&
	printf "%s\n" "{\"id\":\"t-1\",\"title\":\"a\"}" "{\"id\":\"t-2\",\"title\":" >bad.jsonl &&
	untouched 5 gt-bead-import bad.jsonl 2>err &&
	grep -q "bad.jsonl: line 2, column" err
'

test_expect_success 'invalid UTF-8 and NUL bytes are refused' '
	cd l &&
	printf "{\"id\":\"t-1\",\"title\":\"\377\"}\n" >u.jsonl &&
	untouched 5 gt-bead-import u.jsonl 2>err && grep -q "invalid UTF-8" err &&
	printf "{\"id\":\"t-1\",\"title\":\"a\0b\"}\n" >n.jsonl &&
	untouched 5 gt-bead-import n.jsonl 2>err && grep -q "NUL" err &&
	printf "{\"id\":\"t-1\",\"title\":\"a\\\\u0000b\"}\n" >e.jsonl &&
	untouched 5 gt-bead-import e.jsonl 2>err && grep -q "u0000" err &&
	printf "\377\376\n" | untouched 5 gt-bead-add --stdin &&
	untouched 5 gt-bead-add -- "$(printf "bad \377 title")" &&
	printf "a\0b" >nul.txt && untouched 5 gt-bead-add -F nul.txt "t" &&
	untouched 5 gt-bead-comment add t-x -F nul.txt
'

test_expect_success 'a 10 MB description is refused' '
	cd l &&
	head -c 10485760 /dev/zero | tr "\0" x >big.txt &&
	untouched 5 gt-bead-add -F big.txt "huge" 2>err && grep -q "at most" err &&
	untouched 5 gt-bead-update t-x -F big.txt &&
	jq -n -c --rawfile d big.txt "{id:\"t-big\",title:\"big\",description:\$d}" >big.jsonl &&
	untouched 5 gt-bead-import big.jsonl
'

test_expect_success 'ids with slashes, dot-dot, spaces, ref-illegal characters' '
	cd l &&
	for id in "t/x" "../t" "t..x" "t x" "t~1" "t^" "t:x" "t?" "t*" "t[" ".t" "t." "t.lock" "t@{1}" "-t"; do
		untouched 5 gt-bead-add --id "$id" "bad id" 2>/dev/null || die "accepted id [$id]"
		printf "{\"id\":\"%s\",\"title\":\"bad\"}\n" "$id" >i.jsonl
		untouched 5 gt-bead-import i.jsonl 2>/dev/null || die "import accepted id [$id]"
	done
'

test_expect_success 'partial ids never escape into paths' '
	cd l &&
	expect_code 3 gt-bead-show "../../etc/passwd" &&
	expect_code 3 gt-bead-update "../x" -p 1 &&
	expect_code 3 gt-bead-dep add t-x "../y"
'

test_expect_success 'unknown statuses and types are refused' '
	cd l &&
	printf "{\"id\":\"t-1\",\"title\":\"a\",\"status\":\"weird\"}\n" >s.jsonl &&
	untouched 5 gt-bead-import s.jsonl 2>err && grep -q "unknown status" err &&
	printf "{\"id\":\"t-1\",\"title\":\"a\",\"issue_type\":\"weird\"}\n" >t.jsonl &&
	untouched 5 gt-bead-import t.jsonl 2>err && grep -q "unknown type" err &&
	untouched 5 gt-bead-update t-x -s weird &&
	untouched 5 gt-bead-update t-x -t weird
'

test_expect_success 'wrong field kinds are refused' '
	cd l &&
	for f in "\"priority\":\"high\"" "\"priority\":9" "\"labels\":\"a\"" "\"labels\":[1]" \
		 "\"dependencies\":{}" "\"dependencies\":[{\"type\":\"blocks\"}]" \
		 "\"created_at\":\"yesterday\"" "\"pinned\":\"yes\"" "\"title\":7"; do
		printf "{\"id\":\"t-1\",\"title\":\"a\",%s}\n" "$f" | sed "s/\"title\":\"a\",\"title\":7/\"title\":7/" >k.jsonl
		untouched 5 gt-bead-import k.jsonl 2>/dev/null || die "accepted $f"
	done
'

test_expect_success 'records gt does not know are refused, naming the line' '
	cd l &&
	printf "{\"id\":\"t-1\",\"title\":\"a\"}\n{\"hello\":1}\n" >x.jsonl &&
	untouched 5 gt-bead-import x.jsonl 2>err && grep -q "x.jsonl: line 2: not a Beads record" err &&
	printf "{\"_type\":\"mystery\"}\n" >y.jsonl &&
	untouched 5 gt-bead-import y.jsonl 2>err && grep -q "mystery" err &&
	printf "[1,2]\n" >z.jsonl && untouched 5 gt-bead-import z.jsonl
'

test_expect_success 'cycles are refused' '
	cd l && gt-bead-add -q --id t-y "y" && gt-bead-dep add t-x t-y &&
	untouched 5 gt-bead-dep add t-y t-x
'

test_expect_success 'a missing import file is not found (3)' '
	cd l && untouched 3 gt-bead-import nope.jsonl
'

test_expect_success 'the batch is all or nothing, even on the last record' '
	cd l &&
	{ for i in $(seq 1 50); do printf "{\"id\":\"t-ok%d\",\"title\":\"ok\"}\n" $i; done
	  printf "{\"id\":\"t-last\",\"title\":\"a\",\"priority\":-1}\n"; } >many.jsonl &&
	untouched 5 gt-bead-import many.jsonl &&
	expect_code 3 gt-bead-show t-ok1
'

test_done
