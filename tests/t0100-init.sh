#!/bin/sh
# gt-init and how commands find the ledger: --gt-dir, GT_DIR, gt.ledger,
# the repository around the current directory, linked worktrees.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'gt-init creates a repository and a ledger' '
	gt-init --prefix tw town >out &&
	assert_eq "$TRASH/town" "$(cat out)" &&
	git -C town rev-parse -q --verify refs/gt/ledger >/dev/null &&
	git -C town show refs/gt/ledger:config | grep -q "prefix = tw" &&
	[ "$(git -C town log --format=%s refs/gt/ledger)" = "gt-init: create ledger with prefix '"'"'tw'"'"'" ]
'

test_expect_success 'gt-init is idempotent and reports JSON' '
	before=$(ledger_tip town) &&
	gt-init --json town >out &&
	jq -e ".created == false and .prefix == \"tw\"" out &&
	assert_eq "$before" "$(ledger_tip town)"
'

test_expect_success 'gt-init refuses to change the prefix of a ledger (4)' '
	expect_code 4 gt-init --prefix other town 2>err &&
	grep -q "already a ledger with prefix" err &&
	grep -q "^hint:" err
'

test_expect_success 'gt-init in an existing project keeps the ledger in its .git' '
	git init -q proj &&
	(cd proj && git commit -q --allow-empty -m start) &&
	mkdir -p proj/sub/dir &&
	(cd proj/sub/dir && gt-init -q) &&
	git -C proj show refs/gt/ledger:config | grep -q "prefix = proj" &&
	[ "$(git -C proj rev-list --count HEAD)" = 1 ]
'

test_expect_success 'the prefix defaults to the directory name' '
	gt-init --json "My Project-" | jq -e ".prefix == \"myproject\""
'

test_expect_success 'an invalid prefix is a usage error' '
	expect_code 2 gt-init --prefix "a/b" bad1 &&
	expect_code 2 gt-init --prefix "-x" bad2 &&
	[ ! -e bad1 ] && [ ! -e bad2 ]
'

test_expect_success 'commands find the ledger from a subdirectory' '
	mkdir -p town/a/b &&
	(cd town/a/b && gt-bead-add -q "from deep down") &&
	(cd town && gt-bead-list | grep -q "from deep down")
'

test_expect_success 'GT_DIR and --gt-dir name the ledger from anywhere' '
	mkdir elsewhere && cd elsewhere &&
	GT_DIR="$TRASH/town" gt-bead-list | grep -q "from deep down" &&
	gt-bead-list --gt-dir "$TRASH/town" | grep -q "from deep down"
'

test_expect_success 'git config gt.ledger points a project at a town ledger' '
	git init -q rig &&
	git -C rig config gt.ledger "$TRASH/town" &&
	(cd rig && gt-bead-list | grep -q "from deep down")
'

test_expect_success 'a linked worktree sees the same ledger at once' '
	git -C proj worktree add -q ../wt &&
	(cd wt && id=$(gt-bead-add "made in a worktree") &&
	 cd ../proj && gt-bead-show "$id" >/dev/null) &&
	[ ! -d wt/.git/gt ]
'

test_expect_success 'no ledger: exit 3 with a hint to run gt-init' '
	git init -q plain &&
	cd plain &&
	expect_code 3 gt-bead-list 2>err &&
	grep -q "no ledger" err &&
	grep -q "^hint: run gt-init" err
'

test_expect_success 'outside any repository: exit 3' '
	d=$(mktemp -d /tmp/gt-no-repo.XXXXXX) && cd "$d" &&
	GIT_CEILING_DIRECTORIES=/tmp expect_code 3 gt-bead-list 2>"$TRASH/err";
	rc=$?; cd / && rmdir "$d"; [ $rc = 0 ] &&
	grep -q "not in a git repository" "$TRASH/err"
'

test_expect_success 'GT_DIR that does not exist: exit 3' '
	GT_DIR="$TRASH/nope" expect_code 3 gt-bead-list 2>err &&
	grep -q "does not exist" err
'

test_expect_success 'a bare town.git takes the prefix "town"' '
	gt-init --bare --json town2.git | jq -e ".prefix == \"town2\""
'

test_expect_success '--prefix on a ledger without one stores it' '
	git init -q np && cd np && gt-init -q --prefix t . &&
	gt-config --unset bead.prefix &&
	gt-init --prefix np . >/dev/null &&
	assert_eq np "$(gt-config bead.prefix)"
'

test_done
