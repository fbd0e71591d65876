#!/bin/sh
# The worker loop end to end: sling three beads to a rig, three polecats
# run the scripted agent in real tmux sessions, each hands back through
# gt-done; then a worker killed mid-work resumes, and hostile titles and
# arguments reach the agent as text only.
. "$(dirname "$0")/lib/test.sh"

# a bead whose description holds the scripted agent's steps
step_bead() {
	gt-bead-add "$1" -d "Steps:
\`\`\`sh
$2
\`\`\`"
}

no_hooks() {
	test -z "$(gt-hook-list)"
}

test_expect_success 'a town with a sample rig' '
	new_town
'

test_expect_success 'sling three beads to the rig: three polecats, three sessions' '
	cd town &&
	a=$(step_bead "Add a" "echo a >a.txt") &&
	b=$(step_bead "Add b" "echo b >b.txt") &&
	c=$(step_bead "Add c" "echo c >c.txt") &&
	echo "$a $b $c" >../ids &&
	gt-sling --json "$a" "$b" "$c" app >out &&
	test "$(jq -r .agent out | sort -u | wc -l)" = 3 &&
	jq -r "select(.action == \"spawn\") | .branch | startswith(\"polecat/\")" out | grep -qx true &&
	test "$(jq -r .agent out | head -1)" = app/polecats/agate
'

test_expect_success 'all three hand back: merge requests, pushed and verified branches' '
	cd town && read -r a b c <../ids &&
	wait_for no_hooks &&
	for id in $a $b $c; do
		gt-bead-show --json "$id" >bead &&
		jq -e ".status == \"in_progress\" and .metadata.merge_request != null" bead ||
			die "$id: $(cat bead)"
		mr=$(jq -r .metadata.merge_request bead) &&
		gt-bead-show --json "$mr" >mr &&
		jq -e ".issue_type == \"merge-request\" and .metadata.source_bead == \"$id\"" mr ||
			die "$mr: $(cat mr)"
		branch=$(jq -r .metadata.branch mr) commit=$(jq -r .metadata.commit mr) &&
		test "$(git -C ../project rev-parse "refs/heads/$branch")" = "$commit" ||
			die "$branch is not at $commit on the remote"
		git -C ../project show "$commit" --stat | grep -q "txt" || die "no work in $commit"
	done &&
	test "$(gt-bead-list --type merge-request --json | jq -s length)" = 3
'

test_expect_success 'the polecats are idle and their names go back to the pool' '
	cd town &&
	test "$(gt-agent-list --json | jq -r "select(.state == \"idle\") | .address" | wc -l)" = 3 &&
	# idle once gt-done has answered; its session ends when the agent exits
	wait_for gt-polecat-remove app/polecats/beryl &&
	! test -e app/polecats/beryl &&
	d=$(step_bead "Add d" "echo d >d.txt") &&
	e=$(step_bead "Add e" "echo e >e.txt") &&
	f=$(step_bead "Add f" "echo f >f.txt") &&
	echo "$d $e $f" >../ids2 &&
	gt-sling --json "$d" "$e" "$f" app >out &&
	jq -r .agent out | sort >got &&
	printf "%s\n" app/polecats/agate app/polecats/basalt app/polecats/beryl >want &&
	test_cmp_files want got &&
	test "$(jq -r "select(.action == \"reuse\") | .agent" out | wc -l)" = 2 &&
	test "$(jq -r "select(.action == \"spawn\") | .agent" out)" = app/polecats/beryl &&
	wait_for no_hooks
'

test_expect_success 'gt-done again is a no-op: no hook, and no second merge request' '
	cd town &&
	expect_code 3 gt-done app/polecats/agate &&
	test "$(gt-bead-list --type merge-request --json | jq -s length)" = 6
'

test_expect_success 'a worker killed mid-work keeps its hook and workspace, and resumes' '
	cd town &&
	id=$(gt-bead-add "Two steps" -d "\`\`\`sh
echo one >>one.txt
\`\`\`
\`\`\`sh
while ! test -f \"$TRASH/go\"; do sleep 0.1; done
echo two >two.txt
\`\`\`") &&
	gt-sling "$id" app/polecats/agate >/dev/null &&
	ws=$(gt-agent-show --json app/polecats/agate | jq -r .workspace) &&
	wait_for test -f "$ws/one.txt" &&
	gt-session-stop app/polecats/agate &&
	gt-hook-show --json app/polecats/agate | jq -e ".bead.id == \"$id\" and .bead.status == \"hooked\"" &&
	test "$(cat "$ws/one.txt")" = one &&
	touch "$TRASH/go" &&
	gt-session-start app/polecats/agate &&
	wait_for no_hooks &&
	test "$(cat "$ws/one.txt")" = one &&
	test "$(cat "$ws/two.txt")" = two &&
	gt-bead-show --json "$id" | jq -e ".metadata.merge_request != null"
'

test_expect_success 'titles and args with shell syntax reach the agent as text and run nothing' '
	cd town &&
	evil="\$(touch $TRASH/pwned1) \`touch $TRASH/pwned2\` \"; touch $TRASH/pwned3; echo \"'\''
next line" &&
	id=$(step_bead "$evil" "echo safe >safe.txt") &&
	gt-sling --args "$evil" "$id" app >/dev/null &&
	wait_for no_hooks &&
	! test -e "$TRASH/pwned1" && ! test -e "$TRASH/pwned2" && ! test -e "$TRASH/pwned3" &&
	mr=$(gt-bead-show --json "$id" | jq -r .metadata.merge_request) &&
	commit=$(gt-bead-show --json "$mr" | jq -r .metadata.commit) &&
	git -C ../project log -1 --format=%s "$commit" | grep -qF "touch $TRASH/pwned1"
'

test_expect_success 'the same bead slung again to its holder is a no-op; elsewhere a conflict' '
	cd town &&
	id=$(gt-bead-add "Held") &&
	gt-sling --no-start "$id" app >out &&
	holder=$(cut -f2 out) &&
	expect_code 4 gt-sling --no-start "$id" app &&
	gt-sling --no-start "$id" "$holder" &&
	gt-hook-show --json "$holder" | jq -e ".bead.id == \"$id\""
'

test_expect_success 'closed and deferred beads are refused unless forced' '
	cd town &&
	closed=$(gt-bead-add "Closed") && gt-bead-close -q "$closed" &&
	later=$(gt-bead-add "Later" --defer-until 2099-01-01T00:00:00Z) &&
	expect_code 4 gt-sling --no-start "$closed" app &&
	expect_code 4 gt-sling --no-start "$later" app &&
	gt-sling --no-start --force "$later" app >/dev/null &&
	gt-bead-show --json "$later" | jq -e ".status == \"hooked\""
'

test_expect_success '--dry-run prints the plan and changes nothing' '
	cd town &&
	id=$(gt-bead-add "Planned") &&
	tip=$(ledger_tip) &&
	gt-sling --dry-run "$id" app >plan &&
	jq -e ".bead == \"$id\" and (.agent | startswith(\"app/polecats/\")) and .session != null" plan &&
	test "$(ledger_tip)" = "$tip"
'

test_expect_success 'a failing session start rolls everything back' '
	cd town &&
	id=$(gt-bead-add "Rollback") &&
	gt-config runtime.broken.command "/nonexistent/agent-cli" &&
	gt-config runtime.broken.prompt nudge &&
	before=$(gt-agent-list | wc -l) &&
	gt-bead-update -q "$id" --assignee someone &&
	expect_code 7 gt-sling --agent broken "$id" app 2>err;
	cat err &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and .assignee == \"someone\"" &&
	test "$(gt-agent-list | wc -l)" = "$before"
'

test_expect_success 'two slings at once never share a name' '
	cd town &&
	for i in 1 2 3 4 5 6; do gt-bead-add "race $i"; done >ids &&
	for id in $(cat ids); do gt-sling --no-start "$id" app >"out.$id" & done; wait &&
	cat out.* | cut -f2 | sort | uniq -d >dups &&
	test ! -s dups &&
	test "$(cat out.* | wc -l)" = 6
'

test_expect_success 'usage errors exit 2, unknown rig or agent 3' '
	cd town &&
	expect_code 2 gt-sling &&
	expect_code 2 gt-sling a b app/polecats/x &&
	id=$(gt-bead-add "x") &&
	expect_code 2 gt-sling "$id" &&
	expect_code 3 gt-sling "$id" app/crew/nobody &&
	expect_code 3 gt-sling no-such-bead app
'

test_done
