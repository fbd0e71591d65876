#!/bin/sh
# Rigs: adding (bare clone, default branch, prefix), listing, settings,
# removal that refuses to lose work.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'set up a project and a town' '
	git init -q project &&
	(cd project && echo one >f && git add f && git commit -qm one &&
	 git branch -m trunk) &&
	gt-init -q --prefix hq town
'

test_expect_success 'rig-add clones bare, finds the default branch, derives the prefix' '
	cd town &&
	gt-rig-add --json gas_town ../project >out &&
	jq -e ".name == \"gas_town\" and .prefix == \"gt\" and .default_branch == \"trunk\"" out &&
	git -C gas_town/.repo.git rev-parse --is-bare-repository | grep -q true &&
	git -C gas_town/.repo.git rev-parse -q --verify refs/remotes/origin/trunk &&
	git status --porcelain | grep -v gas_town >/dev/null || true &&
	! git status --porcelain | grep -q gas_town
'

test_expect_success 'prefixes as Gas Town derives them' '
	cd town &&
	for pair in beads:be api-go:api riverport:rp my-cool-app:mca x1:x1; do
		name=${pair%%:*} want=${pair#*:} &&
		gt-rig-add --json "$name" ../project >out &&
		jq -e --arg w "$want" ".prefix == \$w" out || die "$name: $(cat out)"
	done
'

test_expect_success 'a prefix in use, an existing rig, a bad or reserved name are refused' '
	cd town &&
	expect_code 4 gt-rig-add --prefix gt other ../project &&
	expect_code 4 gt-rig-add gas_town ../project &&
	expect_code 5 gt-rig-add "Bad Name" ../project &&
	expect_code 5 gt-rig-add "../up" ../project &&
	expect_code 5 gt-rig-add refinery ../project &&
	expect_code 2 gt-rig-add onlyname &&
	! test -e other
'

test_expect_success 'a clone that fails leaves nothing behind' '
	cd town &&
	expect_code 7 gt-rig-add nowhere "$TRASH/no-such-repo.git" &&
	! test -e nowhere &&
	expect_code 3 gt-rig-show nowhere
'

test_expect_success 'rig-list and rig-show, with settings from gt-config' '
	cd town &&
	gt-rig-list | cut -f1 | grep -qx gas_town &&
	test "$(gt-rig-list --json | jq -r "select(.name == \"beads\") | .prefix")" = be &&
	gt-config rig.gas_town.test "make check" &&
	gt-config rig.build "make" &&
	gt-rig-show --json gas_town >out &&
	jq -e ".settings.test == \"make check\" and .settings.build == \"make\" and
		.default_branch == \"trunk\" and (.agents | length) == 0" out &&
	gt-rig-show beads >out && grep -q "^build  *make" out || { cat out; false; }
'

test_expect_success 'rig-remove refuses while a worker holds work, --force removes' '
	cd town &&
	gt-config rig.agent scripted &&
	id=$(gt-bead-add "work") &&
	gt-sling --no-start "$id" x1 &&
	expect_code 4 gt-rig-remove x1 2>err &&
	grep -q "on its hook" err &&
	test -d x1/polecats &&
	gt-rig-remove --force x1 &&
	! test -e x1 &&
	expect_code 3 gt-rig-show x1 &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.assignee // \"\") == \"\"" &&
	test -z "$(gt-agent-list --rig x1)"
'

test_expect_success 'rig-remove of an idle rig needs no force' '
	cd town &&
	gt-rig-remove riverport &&
	! test -e riverport
'

test_done
