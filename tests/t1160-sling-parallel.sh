#!/bin/sh
# Slinging a batch in parallel: every bead gets a worker, a worktree, a
# branch and a session of its own, named as a serial run names them; a
# bead whose workspace or session fails is undone alone while the others
# are slung; --jobs 1 does the same one bead after the other; idle
# polecats are reused once each; two batches at once share no name.
. "$(dirname "$0")/lib/test.sh"

# a bead whose one step waits for $TRASH/go: its session stays up
wait_bead() {
	gt-bead-add "$1" -d "Steps:
\`\`\`sh
while ! test -f \"$TRASH/go\"; do sleep 0.2; done
\`\`\`"
}

no_hooks_in() {
	! gt-hook-list --json | jq -s -e "any(.[]; .agent | startswith(\"$1/\"))" >/dev/null
}

# bead BEAD as gt-bead-show shows it, but for when it was changed and
# the runs gt-run recorded on it (a run that began did happen)
bead_json() {
	gt-bead-show --json "$1" |
		jq -S "del(.updated_at, .metadata.runs) | if .metadata == {} then del(.metadata) else . end"
}

# undone BEAD RIG N: nothing is left of BEAD's sling (the bead is as
# bead_json saved it in before.BEAD), and the rig has just the N workers
# of the beads that were slung: records, folders, worktrees, sessions
undone() {
	bead_json "$1" >after && test_cmp_files "before.$1" after &&
		! gt-agent-list --json | jq -s -e "any(.[]; .hook == \"$1\")" >/dev/null &&
		test "$(gt-agent-list --json | jq -s "map(select(.rig == \"$2\")) | length")" = "$3" &&
		test "$(find "$2/polecats" -mindepth 1 -maxdepth 1 | wc -l)" = "$3" &&
		test "$(git -C "$2/.repo.git" worktree list | grep -c /polecats/)" = "$3" &&
		test "$(gt-session-list --json | jq -s "map(select(.agent | startswith(\"$2/\"))) | length")" = "$3"
}

test_expect_success 'a town with two rigs' '
	new_town && cd town && gt-rig-add -q web ../project
'

test_expect_success 'twelve beads, four at a time: a worker, worktree, branch and session each' '
	cd town &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do wait_bead "wide $i"; done >../ids &&
	gt-sling --stdin --jobs 4 --json app <../ids >out &&
	jq -r .bead out >got && test_cmp_files ../ids got &&
	jq -s -e "all(.[]; .action == \"spawn\")" out >/dev/null &&
	for k in agent workspace branch session; do
		test "$(jq -r ".$k" out | sort -u | wc -l)" = 12 || die "$k not distinct: $(jq -r ".$k" out)"
	done &&
	jq -r .agent out | head -n 3 >got &&
	printf "%s\n" app/polecats/agate app/polecats/basalt app/polecats/beryl >want &&
	test_cmp_files want got &&
	test "$(jq -r .convoy out | sort -u | wc -l)" = 1 &&
	while read -r id; do
		a=$(jq -r "select(.bead == \"$id\") | .agent" out) &&
		gt-hook-show --json "$a" | jq -e ".bead.id == \"$id\" and .bead.status == \"hooked\"" >/dev/null ||
			die "$id is not on the hook of $a"
	done <../ids &&
	test "$(gt-session-list --json | jq -s "map(select(.agent | startswith(\"app/polecats/\"))) | length")" = 12 &&
	test "$(git -C app/.repo.git worktree list | grep -c /polecats/)" = 12 &&
	jq -r "[.workspace, .branch] | @tsv" out | while IFS="	" read -r ws br; do
		test "$(git -C "$ws" symbolic-ref --short HEAD)" = "$br" || die "$ws is not on $br"
		test -z "$(git -C "$ws" status --porcelain)" || die "$ws is not clean"
		test "$(git -C "$ws" rev-parse HEAD)" = "$(git -C app/.repo.git rev-parse origin/main)" ||
			die "$ws does not start at origin/main"
	done
'

test_expect_success 'the worktrees are git'"'"'s own: list, remove and prune see them' '
	cd town &&
	ws=$(gt-agent-show --json app/polecats/agate | jq -r .workspace) &&
	git -C app/.repo.git worktree list --porcelain | grep -qx "worktree $ws" &&
	git -C "$ws" rev-parse --git-common-dir | grep -q "app/.repo.git" &&
	git -C app/.repo.git worktree prune &&
	test "$(git -C app/.repo.git worktree list | grep -c /polecats/)" = 12 &&
	echo "x" >"$ws/x.txt" && git -C "$ws" add x.txt && git -C "$ws" commit -qm x &&
	git -C "$ws" reset -q --hard HEAD^
'

test_expect_success 'a bead whose workspace cannot be made is undone alone; the others are slung' '
	cd town &&
	for i in 1 2 3 4 5; do wait_bead "mixed $i"; done >../ids2 &&
	bad=$(sed -n 3p ../ids2) && bead_json "$bad" >"before.$bad" &&
	# the third bead of the batch gets beryl, the pool'"'"'s third name, whose
	# branch for it already holds work that was never pushed
	c=$(git -C web/.repo.git commit-tree -m unpushed -p origin/main "origin/main^{tree}") &&
	git -C web/.repo.git update-ref "refs/heads/polecat/beryl/$bad" "$c" &&
	expect_code 4 gt-sling --stdin --jobs 3 --json web <../ids2 >out 2>err &&
	jq -r .bead out >got && test_cmp_files ../ids2 got &&
	jq -c "select(.bead == \"$bad\")" out >one &&
	jq -e ".action == \"error\" and .exit == 4 and .agent == \"\" and (.error | contains(\"unpushed\"))" one &&
	test "$(jq -r "select(.action == \"spawn\") | .agent" out | sort -u | wc -l)" = 4 &&
	grep -q "^gt-sling: error: branch .polecat/beryl/$bad. exists" err &&
	undone "$bad" web 4 &&
	test "$(git -C web/.repo.git rev-parse "refs/heads/polecat/beryl/$bad")" = "$c" &&
	cv=$(jq -r "select(.convoy) | .convoy" out | sort -u) &&
	test "$(gt-convoy-status --json "$cv" | jq .total)" = 4
'

test_expect_success 'a runtime that dies at start is undone for its bead alone' '
	cd town &&
	for i in 1 2 3 4; do wait_bead "flaky $i"; done >../ids3 &&
	bad=$(sed -n 2p ../ids3) && bead_json "$bad" >"before.$bad" &&
	gt-config runtime.flaky.command "sh -c '\''test \"\$GT_BEAD\" != $bad || exit 3; exec sleep 100000'\''" &&
	gt-config runtime.flaky.prompt none &&
	gt-config runtime.flaky.start-check 1s &&
	expect_code 7 gt-sling --stdin --agent flaky --jobs 2 --json web <../ids3 >out 2>err &&
	jq -r .bead out >got && test_cmp_files ../ids3 got &&
	jq -c "select(.bead == \"$bad\")" out >one &&
	jq -e ".action == \"error\" and .exit == 7 and (.error | contains(\"exited at start\"))" one &&
	undone "$bad" web 7 &&
	for id in $(grep -v "$bad" ../ids3); do
		p=$(jq -r "select(.bead == \"$id\") | .agent" out) &&
		gt-agent-show --json "$p" | jq -e ".session_running == true and .hook == \"$id\"" >/dev/null ||
			die "$id: $(cat out)"
	done
'

test_expect_success 'a worker killed mid-way is undone by the batch' '
	cd town && gt-rig-add -q api ../project &&
	for i in 1 2 3; do wait_bead "killed $i"; done >../ids7 &&
	bad=$(sed -n 2p ../ids7) && bead_json "$bad" >"before.$bad" &&
	# the second bead gets basalt, whose setup says who runs it and waits
	gt-config rig.api.setup "case \$PWD in */basalt) echo \$PPID >\"$TRASH/worker.pid\";
		while ! test -f \"$TRASH/released\"; do sleep 0.1; done;; esac"
	{
		st=0 && gt-sling --stdin --jobs 3 --json api <../ids7 >out 2>err || st=$?
		echo "$st" >rc
	} &
	wait_for test -s "$TRASH/worker.pid" &&
	kill -9 "$(cat "$TRASH/worker.pid")" &&
	touch "$TRASH/released" &&
	wait_for test -s rc &&
	test "$(cat rc)" = 7 &&
	jq -c "select(.bead == \"$bad\")" out >one &&
	jq -e ".action == \"error\" and (.error | contains(\"died (signal 9)\"))" one &&
	undone "$bad" api 2 &&
	git -C api/.repo.git branch --list "polecat/*/$bad" >left && test ! -s left
'

test_expect_success '--jobs 1: one after the other, a failure in the middle all the same' '
	cd town &&
	for i in 1 2 3; do gt-bead-add "serial $i"; done >../ids4 &&
	bad=$(sed -n 2p ../ids4) &&
	gt-bead-close -q "$bad" &&
	expect_code 4 gt-sling --stdin --jobs 1 --no-start web <../ids4 >out 2>err &&
	cut -f1 out >got && test_cmp_files ../ids4 got &&
	test "$(sed -n 2p out)" = "$bad		error" &&
	test "$(cut -f3 out | grep -c spawn)" = 2 &&
	grep -q "^gt-sling: error: bead .$bad. is closed" err &&
	grep -q "^hint: reopen it" err &&
	gt-bead-show --json "$bad" | jq -e ".status == \"closed\"" &&
	expect_code 4 gt-sling --no-start --json "$bad" web >alone 2>err &&
	test ! -s alone && grep -q "^gt-sling: error: bead .$bad. is closed" err &&
	expect_code 2 gt-sling --jobs 0 "$bad" web &&
	expect_code 2 gt-sling -j -3 "$bad" web
'

test_expect_success 'sling.jobs sets the default' '
	cd town &&
	for i in 1 2 3; do gt-bead-add "configured $i"; done >../ids5 &&
	gt-config --local sling.jobs 2 &&
	gt-sling --stdin --no-start --json web <../ids5 >out &&
	test "$(jq -r .agent out | sort -u | wc -l)" = 3 &&
	gt-config --local --unset sling.jobs
'

test_expect_success 'finished polecats are reused, each by one bead of a batch' '
	cd town &&
	touch "$TRASH/go" &&
	wait_for no_hooks_in app &&
	gt-agent-list --json | jq -r "select(.rig == \"app\" and .state == \"idle\") | .address" | sort >idle &&
	test "$(wc -l <idle)" = 12 &&
	for i in 1 2 3 4 5 6; do wait_bead "again $i"; done >../ids6 &&
	rm "$TRASH/go" &&
	gt-sling --stdin --jobs 4 --json app <../ids6 >out &&
	test "$(jq -r .action out | sort -u)" = reuse &&
	test "$(jq -r .agent out | sort -u | wc -l)" = 6 &&
	jq -r .agent out | sort >got && test -z "$(comm -23 got idle)"
'

test_expect_success 'two batches at once share no worker' '
	cd town
	for i in 1 2 3 4 5; do gt-bead-add "left $i"; done >../l
	for i in 1 2 3 4 5; do gt-bead-add "right $i"; done >../r
	gt-sling --stdin --no-start --jobs 3 web <../l >out.l &
	gt-sling --stdin --no-start --jobs 3 web <../r >out.r &&
	wait &&
	test "$(cat out.l out.r | wc -l)" = 10 &&
	test "$(cat out.l out.r | cut -f2 | sort -u | wc -l)" = 10 &&
	! cut -f3 out.l out.r | grep -v -e spawn -e reuse
'

test_done
