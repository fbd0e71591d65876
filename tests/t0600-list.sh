#!/bin/sh
# gt-bead-list: filters, sorting, limits, output shapes.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'setup' '
	new_ledger l && cd l &&
	gt-bead-add --id t-1 -p 0 -t bug -a alice -l ui -l urgent "Crash on start" &&
	gt-bead-add --id t-2 -p 1 -t feature -a bob -l ui "Dark mode" &&
	gt-bead-add --id t-3 -p 2 -l backend -d "needle in the description" "Refactor db" &&
	gt-bead-add --id t-4 -p 3 -t chore "Update deps" &&
	gt-bead-add --id t-5 -p 2 "Closed one" && gt-bead-close t-5 &&
	gt-bead-add --id t-6 "Deleted one" && gt-bead-delete t-6 &&
	gt-bead-add --id t-7 -t epic "Epic" &&
	gt-bead-add --parent t-7 "Child of epic" >/dev/null
'

ids() { jq -r .id | tr "\n" " " | sed "s/ \$//"; }

test_expect_success 'default: not closed, not deleted, by priority' '
	cd l && assert_eq "t-1 t-2 t-7.1 t-7 t-3 t-4" "$(gt-bead-list --json | ids)"
'

test_expect_success '--all adds closed ones; tombstones only by name' '
	cd l &&
	gt-bead-list --all --json | ids | grep -q "t-5" &&
	! gt-bead-list --all --json | ids | grep -q "t-6" &&
	assert_eq "t-6" "$(gt-bead-list -s tombstone --json | ids)"
'

test_expect_success 'filters combine' '
	cd l &&
	assert_eq "t-1 t-2" "$(gt-bead-list -l ui --json | ids)" &&
	assert_eq "t-1" "$(gt-bead-list -l ui -l urgent --json | ids)" &&
	assert_eq "t-1 t-3" "$(gt-bead-list --label-any urgent --label-any backend --json | ids)" &&
	assert_eq "t-2" "$(gt-bead-list -a bob --json | ids)" &&
	assert_eq "t-1 t-2" "$(gt-bead-list -a alice,bob --json | ids)" &&
	assert_eq "t-7.1 t-7 t-3 t-4" "$(gt-bead-list --no-assignee --json | ids)" &&
	assert_eq "t-1 t-4" "$(gt-bead-list -t bug -t chore --json | ids)" &&
	assert_eq "t-2" "$(gt-bead-list -p P1 --json | ids)" &&
	assert_eq "t-2 t-7.1 t-7 t-3" "$(gt-bead-list --priority-min 1 --priority-max 2 --json | ids)" &&
	assert_eq "t-5" "$(gt-bead-list -s closed --json | ids)" &&
	assert_eq "t-7.1" "$(gt-bead-list --parent t-7 --json | ids)" &&
	assert_eq "t-3 t-4" "$(gt-bead-list --id t-3,t-4 --json | ids)"
'

test_expect_success 'text filters search titles and descriptions, any case' '
	cd l &&
	assert_eq "t-2" "$(gt-bead-list --title "dark MODE" --json | ids)" &&
	assert_eq "t-3" "$(gt-bead-list --text NEEDLE --json | ids)"
'

test_expect_success 'sort keys, reverse and limit' '
	cd l &&
	assert_eq "t-1 t-2 t-3 t-4 t-7 t-7.1" "$(gt-bead-list --sort id --json | ids)" &&
	assert_eq "t-7.1 t-7 t-4 t-3 t-2 t-1" "$(gt-bead-list --sort id -r --json | ids)" &&
	assert_eq "t-7.1 t-7 t-4" "$(gt-bead-list --sort created -n 3 --json | ids)" &&
	assert_eq "t-2 t-1" "$(gt-bead-list --sort assignee -r -n 2 --json | ids)" &&
	expect_code 2 gt-bead-list --sort nonsense &&
	expect_code 2 gt-bead-list -n -1
'

test_expect_success 'people get a table, id first and tab separated in pipes' '
	cd l &&
	gt-bead-list | head -1 >row &&
	assert_eq "t-1	P0	open	bug	alice	Crash on start" "$(cat row)" &&
	assert_eq "t-1" "$(gt-bead-list | cut -f1 | head -1)" &&
	gt-bead-list -z | tr "\0" "\n" | head -1 | grep -qx t-1
'

test_expect_success 'an empty answer is fine (exit 0, no output)' '
	cd l && gt-bead-list --title no-such-title-at-all >out && [ ! -s out ] &&
	expect_code 2 gt-bead-list -t nothing
'

test_done
