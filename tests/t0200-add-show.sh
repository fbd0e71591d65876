#!/bin/sh
# gt-bead-add and gt-bead-show: fields, ids, children, batches, partial
# ids, what is stored, and that bad input writes nothing.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' 'new_ledger l && cd l'

test_expect_success 'add prints a Beads-style hash id' '
	cd l &&
	id=$(gt-bead-add "First bead") &&
	echo "$id" | grep -Eq "^t-[0-9a-z]{3}$" &&
	echo "$id" >../first
'

test_expect_success 'the stored record has Beads fields and defaults' '
	cd l && id=$(cat ../first) &&
	gt-bead-show --json "$id" >b.json &&
	jq -e ".id == \"$id\" and .title == \"First bead\" and .status == \"open\" and
	       .priority == 2 and .issue_type == \"task\" and .created_by == \"Test User\" and
	       (.created_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$\")) and
	       .updated_at == .created_at" b.json &&
	assert_eq "id title status priority issue_type created_at created_by updated_at" \
		"$(jq -r "keys_unsorted | join(\" \")" b.json)" "key order"
'

test_expect_success 'the blob in the ledger is the canonical JSON line' '
	cd l && id=$(cat ../first) &&
	shard=$(git ls-tree -r --name-only refs/gt/ledger | grep "/$id.json$") &&
	git cat-file -p "refs/gt/ledger:$shard" >blob &&
	gt-bead-show --json "$id" | cmp - blob
'

test_expect_success 'the commit names the command, the bead and the actor' '
	cd l && id=$(cat ../first) &&
	assert_eq "gt-bead-add: add $id: First bead" "$(git log -1 --format=%s refs/gt/ledger)" &&
	git log -1 --format=%b refs/gt/ledger | grep -q "^Gt-Bead: $id$" &&
	assert_eq "Test User <test@example.com>" "$(git log -1 --format="%an <%ae>" refs/gt/ledger)"
'

test_expect_success 'every field option is stored' '
	cd l &&
	id=$(gt-bead-add -d "the description" --design "a design" --acceptance "it works" \
		--notes "some notes" -t bug -p P1 -a alice --owner bob -l zeta -l alpha \
		--defer-until 2030-01-01 --due 2031-02-03T04:05:06Z --external-ref gh-12 \
		--metadata "{\"k\":[1,2],\"n\":null}" --ephemeral "All the fields") &&
	gt-bead-show --json "$id" | jq -e "
		.description == \"the description\" and .design == \"a design\" and
		.acceptance_criteria == \"it works\" and .notes == \"some notes\" and
		.issue_type == \"bug\" and .priority == 1 and .assignee == \"alice\" and
		.owner == \"bob\" and .labels == [\"alpha\",\"zeta\"] and
		.defer_until == \"2030-01-01\" and .due_at == \"2031-02-03T04:05:06Z\" and
		.external_ref == \"gh-12\" and .metadata == {\"k\":[1,2]} and .ephemeral == true"
'

test_expect_success '--actor and GT_AGENT set the creator and the commit author' '
	cd l &&
	id=$(gt-bead-add --actor gastown/polecats/nux "by an agent") &&
	gt-bead-show --json "$id" | jq -e ".created_by == \"gastown/polecats/nux\"" &&
	assert_eq "gastown/polecats/nux" "$(git log -1 --format=%an refs/gt/ledger)" &&
	id=$(GT_AGENT=mayor gt-bead-add "by the mayor") &&
	gt-bead-show --json "$id" | jq -e ".created_by == \"mayor\""
'

test_expect_success 'titles from strangers are stored as text' '
	cd l &&
	t="\$(touch owned) \`touch owned2\` \"q\" '"'"'s'"'"' <x> & ;rm -rf /" &&
	id=$(gt-bead-add -- "$t") &&
	[ ! -e owned ] && [ ! -e owned2 ] &&
	assert_eq "$t" "$(gt-bead-show --json "$id" | jq -r .title)" &&
	nl=$(printf "line one\nline two") &&
	id=$(gt-bead-add -- "$nl") &&
	assert_eq "$nl" "$(gt-bead-show --json "$id" | jq -r .title)" &&
	gt-bead-list | grep -q "line one line two"
'

test_expect_success 'explicit ids; a taken id is a conflict (4)' '
	cd l &&
	assert_eq "t-explicit" "$(gt-bead-add --id t-explicit "mine")" &&
	before=$(ledger_tip) &&
	expect_code 4 gt-bead-add --id t-explicit "again" 2>err &&
	grep -q "already exists" err &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'children are numbered under their parent' '
	cd l &&
	p=$(gt-bead-add -t epic "An epic") &&
	assert_eq "$p.1" "$(gt-bead-add --parent "$p" "child one")" &&
	assert_eq "$p.2" "$(gt-bead-add --parent "$p" "child two")" &&
	assert_eq "$p.1.1" "$(gt-bead-add --parent "$p.1" "grandchild")" &&
	gt-bead-show --json "$p.2" |
		jq -e ".dependencies[0] | .type == \"parent-child\" and .depends_on_id == \"$p\"" &&
	gt-bead-add --parent "$p.1.1" "depth three" &&
	expect_code 5 gt-bead-add --parent "$p.1.1.1" "too deep" 2>err &&
	grep -q "3 levels deep" err
'

test_expect_success 'a missing parent is not found (3)' '
	cd l && expect_code 3 gt-bead-add --parent t-nope "orphan"
'

test_expect_success '--deps adds dependencies at creation' '
	cd l &&
	a=$(gt-bead-add "blocker") &&
	b=$(gt-bead-add --deps "$a" --deps "related:t-explicit" "blocked") &&
	gt-bead-show --json "$b" | jq -e "[.dependencies[] | .type + \":\" + .depends_on_id] ==
		[\"blocks:$a\", \"related:t-explicit\"]"
'

test_expect_success 'show resolves partial ids and says which are ambiguous' '
	cd l &&
	gt-bead-add --id t-abc111 "x1" && gt-bead-add --id t-abc222 "x2" &&
	gt-bead-show abc111 | grep -q "^t-abc111: x1" &&
	gt-bead-show t-abc1 | grep -q "^t-abc111" &&
	expect_code 2 gt-bead-show abc 2>err &&
	grep -q "ambiguous" err && grep -q "t-abc111" err && grep -q "t-abc222" err
'

test_expect_success 'show of an unknown id exits 3; show several ids' '
	cd l &&
	expect_code 3 gt-bead-show t-zzzzz 2>err && grep -q "not found" err &&
	gt-bead-show --json t-abc111 t-abc222 | jq -s -e "length == 2" &&
	expect_code 3 gt-bead-show t-abc111 t-zzzzz >out 2>err &&
	grep -q "t-abc111" out
'

test_expect_success 'show --stdin takes ids' '
	cd l &&
	printf "t-abc111\nt-abc222\n" | gt-bead-show --json --stdin | jq -r .id >out &&
	printf "t-abc111\nt-abc222\n" | diff - out
'

test_expect_success '--stdin adds a batch in one commit, ids in input order' '
	cd l &&
	before=$(git rev-list --count refs/gt/ledger) &&
	printf "%s\n" "{\"title\":\"batch one\",\"priority\":0}" "plain title line" \
		"{\"title\":\"batch three\",\"labels\":[\"b\"],\"issue_type\":\"feature\"}" |
		gt-bead-add --stdin >ids &&
	[ "$(wc -l <ids)" = 3 ] &&
	assert_eq $((before + 1)) "$(git rev-list --count refs/gt/ledger)" "commits" &&
	assert_eq "batch one" "$(gt-bead-show --json $(sed -n 1p ids) | jq -r .title)" &&
	assert_eq "plain title line" "$(gt-bead-show --json $(sed -n 2p ids) | jq -r .title)" &&
	gt-bead-show --json $(sed -n 3p ids) | jq -e ".issue_type == \"feature\" and .labels == [\"b\"]" &&
	git log -1 --format=%s refs/gt/ledger | grep -q "(and 2 more)"
'

test_expect_success 'a bad record fails the whole batch and writes nothing (5)' '
	cd l &&
	before=$(ledger_tip) &&
	printf "%s\n" "{\"title\":\"good\"}" "{\"title\":\"bad\",\"issue_type\":\"nonsense\"}" |
		expect_code 5 gt-bead-add --stdin >out 2>err &&
	grep -q "unknown type" err &&
	assert_eq "$before" "$(ledger_tip)" &&
	! gt-bead-list --all --json | jq -r .title | grep -qx good
'

test_expect_success 'malformed JSON on stdin names the line (5)' '
	cd l &&
	before=$(ledger_tip) &&
	printf "%s\n" "{\"title\":\"ok\"}" "" "{\"title\": oops}" |
		expect_code 5 gt-bead-add --stdin 2>err &&
	grep -q "stdin: line 3, column" err &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success '--keep-going commits the good records and reports the bad' '
	cd l &&
	printf "%s\n" "{\"title\":\"kept\"}" "{\"title\":\"bad\",\"priority\":9}" "also kept" |
		expect_code 5 gt-bead-add --stdin --keep-going --json >out &&
	[ "$(wc -l <out)" = 3 ] &&
	sed -n 1p out | jq -e ".title == \"kept\"" &&
	sed -n 2p out | jq -e ".line == 2 and .exit == 5 and (.error | test(\"priority\"))" &&
	sed -n 3p out | jq -e ".title == \"also kept\""
'

test_expect_success 'adding needs a title; bad priorities and types are refused' '
	cd l &&
	before=$(ledger_tip) &&
	expect_code 2 gt-bead-add &&
	expect_code 2 gt-bead-add -p 7 "x" &&
	expect_code 2 gt-bead-add -p high "x" &&
	expect_code 5 gt-bead-add -t weird "x" &&
	expect_code 5 gt-bead-add -s nostatus "x" &&
	expect_code 5 gt-bead-add --defer-until "next week" "x" &&
	expect_code 5 gt-bead-add --metadata "[1]" "x" &&
	expect_code 5 gt-bead-add --metadata "{bad" "x" &&
	expect_code 2 gt-bead-add "x" --stdin &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'a title over 500 bytes is refused (5)' '
	cd l &&
	long=$(head -c 501 /dev/zero | tr "\0" a) &&
	expect_code 5 gt-bead-add -- "$long" 2>err &&
	grep -q "at most 500" err
'

test_expect_success 'custom types come from configuration' '
	cd l &&
	expect_code 5 gt-bead-add -t widget "x" &&
	gt-config types.custom "widget, gadget" &&
	gt-bead-add -t gadget "a gadget" >/dev/null
'

test_expect_success 'type aliases are normalised' '
	cd l &&
	id=$(gt-bead-add -t enhancement "aliased") &&
	gt-bead-show --json "$id" | jq -e ".issue_type == \"feature\""
'

test_expect_success '-z ends ids with NUL' '
	cd l &&
	gt-bead-add -z "nul terminated" | tr "\0" "\n" | grep -Eq "^t-[0-9a-z]+$"
'

test_expect_success 'adding with --deps is one "add" change' '
	cd l &&
	id=$(gt-bead-add --deps t-explicit "with a dep") &&
	assert_eq "gt-bead-add: add $id: with a dep" "$(git log -1 --format=%s refs/gt/ledger)" &&
	assert_eq 1 "$(git log -1 --format=%b refs/gt/ledger | grep -c "^Gt-Bead:")"
'

test_done
