#!/bin/sh
# gt-bead-dep: add, rm, list, tree; self edges, cycles, one edge per pair.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' '
	new_ledger l && cd l &&
	for x in a b c d; do gt-bead-add --id t-$x "bead $x" >/dev/null; done
'

test_expect_success 'add: A depends on B (blocks by default)' '
	cd l &&
	gt-bead-dep add t-a t-b &&
	gt-bead-show --json t-a | jq -e ".dependencies == [.dependencies[0]] and
		.dependencies[0].type == \"blocks\" and .dependencies[0].depends_on_id == \"t-b\" and
		.dependencies[0].issue_id == \"t-a\" and .dependencies[0].created_by == \"Test User\""
'

test_expect_success 'the same edge again is a no-op; another type is a conflict (4)' '
	cd l &&
	before=$(ledger_tip) && gt-bead-dep add t-a t-b && assert_eq "$before" "$(ledger_tip)" &&
	expect_code 4 gt-bead-dep add -t related t-a t-b 2>err && grep -q "with type" err
'

test_expect_success 'self edges are refused (5)' '
	cd l && expect_code 5 gt-bead-dep add t-a t-a 2>err && grep -q "itself" err
'

test_expect_success 'cycles over blocking and parent-child edges are refused (5)' '
	cd l &&
	gt-bead-dep add t-b t-c &&
	before=$(ledger_tip) &&
	expect_code 5 gt-bead-dep add t-c t-a 2>err &&
	grep -q "cycle: t-c -> t-a -> t-b -> t-c" err &&
	expect_code 5 gt-bead-dep add -t parent-child t-c t-a &&
	expect_code 5 gt-bead-dep add -t waits-for t-c t-a &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'non-blocking types may form cycles' '
	cd l && gt-bead-dep add -t related t-c t-a && gt-bead-dep add -t discovered-from t-b t-d &&
	gt-bead-dep add -t related t-d t-b
'

test_expect_success 'a second parent is refused (4)' '
	cd l && gt-bead-dep add -t parent-child t-d t-c &&
	expect_code 4 gt-bead-dep add -t parent-child t-d t-a 2>err && grep -q "already has parent" err
'

test_expect_success 'external targets need external:<project>:<capability>' '
	cd l &&
	gt-bead-dep add t-d external:beads:mol-run &&
	expect_code 5 gt-bead-dep add t-d external:nocap &&
	expect_code 3 gt-bead-dep add t-d t-missing
'

test_expect_success 'list shows what a bead depends on, --up what depends on it' '
	cd l &&
	gt-bead-dep list t-a >out && grep -q "^blocks	t-b	open	bead b$" out &&
	gt-bead-dep list --up t-b >out &&
	grep -q "^blocks	t-a	open	bead a$" out && grep -q "^related	t-d" out &&
	gt-bead-dep list --json t-a | jq -e ".id == \"t-b\" and .dependency_type == \"blocks\"" &&
	gt-bead-dep list -t related t-c | grep -q "t-a"
'

test_expect_success 'tree draws the graph once per bead, with depth in JSON' '
	cd l &&
	gt-bead-dep tree t-a >out &&
	head -1 out | grep -q "^t-a: bead a \[P2\] (open)$" &&
	grep -q "^└── t-b: bead b \[P2\] (open) <blocks>$" out &&
	grep -q "^    ├── t-c: bead c" out &&
	grep -q "^    └── t-d: bead d" out &&
	[ "$(grep -c "t-c:" out)" = 1 ] &&
	grep -q "^        └── external:beads:mol-run (external) <blocks>$" out &&
	gt-bead-dep tree --json t-a | jq -s -e "map(.id) == [\"t-a\",\"t-b\",\"t-c\",\"t-d\",\"external:beads:mol-run\"] and
		map(.depth) == [0,1,2,2,3] and .[1].parent_id == \"t-a\" and .[4].status == \"external\"" &&
	gt-bead-dep tree --max-depth 1 --json t-a | jq -s -e "length == 2 and .[1].truncated" &&
	gt-bead-dep tree --up t-c | grep -q "t-b" &&
	gt-bead-dep tree --up --json t-c | jq -s -e "map(.id) | index(\"t-a\") != null"
'

test_expect_success 'rm removes the edge; removing a missing edge is not found (3)' '
	cd l &&
	gt-bead-dep rm t-a t-b &&
	gt-bead-show --json t-a | jq -e "has(\"dependencies\") | not" &&
	expect_code 3 gt-bead-dep rm t-a t-b
'

test_expect_success '--stdin adds edges in one transaction' '
	cd l &&
	before=$(git rev-list --count refs/gt/ledger) &&
	printf "%s\n" "t-a t-b" "{\"id\":\"t-a\",\"depends_on_id\":\"t-d\",\"type\":\"related\"}" |
		gt-bead-dep add --stdin &&
	assert_eq $((before + 1)) "$(git rev-list --count refs/gt/ledger)" &&
	gt-bead-show --json t-a | jq -e "[.dependencies[].depends_on_id] == [\"t-b\",\"t-d\"]"
'

test_expect_success 'usage errors' '
	cd l &&
	expect_code 2 gt-bead-dep && expect_code 2 gt-bead-dep add t-a &&
	expect_code 2 gt-bead-dep tree && expect_code 2 gt-bead-dep fly t-a
'

test_done
