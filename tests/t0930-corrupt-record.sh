#!/bin/sh
# One corrupt bead blob is isolated: commands that do not need it work and
# say once which record is unreadable, those that need it fail naming it,
# export refuses (or --skip-bad says what it left out), gt-maintain finds
# it and --quarantine moves it aside, kept.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'a ledger with one corrupt bead blob' '
	new_ledger l && cd l &&
	gt-bead-add -q "good one" && gt-bead-add -q "good two" &&
	bad=$(gt-bead-add "to be corrupted") && echo "$bad" >../bad &&
	p=$(git ls-tree -r --name-only refs/gt/ledger | grep "/$bad.json\$") && echo "$p" >../path &&
	blob=$(printf "{\"id\":\"%s\",\"title\":" "$bad" | git hash-object -w --stdin) &&
	GIT_INDEX_FILE=$TRASH/idx git read-tree refs/gt/ledger &&
	GIT_INDEX_FILE=$TRASH/idx git update-index --cacheinfo "100644,$blob,$p" &&
	t=$(GIT_INDEX_FILE=$TRASH/idx git write-tree) &&
	c=$(git commit-tree "$t" -p refs/gt/ledger -m "corrupt a blob") &&
	git update-ref refs/gt/ledger "$c"
'

test_expect_success 'ready and list work, and say once which record they left out' '
	cd l && p=$(cat ../path) &&
	gt-ready >out 2>err && test "$(wc -l <out)" = 2 &&
	test "$(grep -c "unreadable record" err)" = 1 && grep -q "$p" err &&
	gt-bead-list --json >out 2>err && test "$(wc -l <out)" = 2 && grep -q "$p" err
'

test_expect_success 'what needs the record fails naming it; the rest goes on' '
	cd l && bad=$(cat ../bad) && p=$(cat ../path) &&
	expect_code 5 gt-bead-show "$bad" 2>err && grep -q "$p" err &&
	good=$(gt-bead-list --json 2>/dev/null | jq -r .id | head -n 1) &&
	gt-bead-update -q "$good" -p 1 &&
	gt-bead-add -q "added after" &&
	gt-bead-delete -q "$good"
'

test_expect_success 'export refuses to copy it out; --skip-bad exports the rest and says so' '
	cd l && bad=$(cat ../bad) &&
	expect_code 5 gt-bead-export -o "$TRASH/out.jsonl" 2>err && grep -q "$bad" err &&
	test ! -e "$TRASH/out.jsonl" &&
	gt-bead-export --skip-bad >out.jsonl 2>err && grep -q "$bad" err &&
	! grep -q "\"$bad\"" out.jsonl &&
	while read -r line; do printf "%s\n" "$line" | jq -e . >/dev/null || exit 1; done <out.jsonl
'

test_expect_success 'gt-maintain finds it; --quarantine moves it aside, kept, and all is clean' '
	cd l && p=$(cat ../path) &&
	expect_code 5 gt-maintain >/dev/null 2>err && grep -q "$p" err &&
	blob=$(git rev-parse "refs/gt/ledger:$p") &&
	gt-maintain --quarantine --json >m && jq -e ".quarantined == [\"$p\"] and .problems == 0" m &&
	test "$(git rev-parse "refs/gt/ledger:quarantine/$p")" = "$blob" &&
	gt-maintain >/dev/null &&
	gt-ready >out 2>err && test ! -s err &&
	gt-bead-export >/dev/null &&
	gt-maintain --quarantine --json | jq -e ".quarantined == []"
'

test_done
