#!/bin/sh
# gt-done: the safety-net commit, refusing COMPLETED without commits,
# push and verify, one merge request per (branch, commit), superseding,
# ESCALATED and DEFERRED, and resuming after an interruption.
. "$(dirname "$0")/lib/test.sh"

# sling without a session: the test plays the agent
hooked() {
	id=$(gt-bead-add "$1") &&
	gt-sling --no-start "$id" app >out &&
	p=$(cut -f2 out) &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo "$id $p $ws" >../cur
}

test_expect_success 'a town whose rig has an overlay and a setup command' '
	new_town && cd town &&
	mkdir -p app/overlay/conf && echo secret >app/overlay/.env && echo x >app/overlay/conf/local.ini &&
	gt-config rig.app.setup "echo ran >setup.log"
'

test_expect_success 'new workspaces get the overlay files and the setup run' '
	cd town && hooked "Overlay" && read -r id p ws <../cur &&
	test "$(cat "$ws/.env")" = secret && test -f "$ws/conf/local.ini" &&
	test "$(cat "$ws/setup.log")" = ran
'

test_expect_success 'COMPLETED with no commits is refused (4) and nothing changes' '
	cd town && read -r id p ws <../cur &&
	rm "$ws/setup.log" &&
	tip=$(ledger_tip) &&
	expect_code 4 gt-done "$p" 2>err &&
	grep -q "no commits" err &&
	gt-hook-show -q "$p" | cut -f1 | grep -qx "$id"
'

test_expect_success 'the safety net commits new and changed files, not deletions or overlay files' '
	cd town && read -r id p ws <../cur &&
	echo new >"$ws/new.txt" && echo changed >>"$ws/README.md" &&
	git -C "$ws" add README.md && git -C "$ws" commit -qm "agent commit" &&
	echo more >>"$ws/README.md" && echo fresh >"$ws/fresh.txt" &&
	(cd "$ws" && GT_AGENT="$p" gt-done --json) >res &&
	jq -e ".status == \"COMPLETED\" and .pushed == true and .commits == 2" res &&
	git -C "$ws" show --stat HEAD | grep -q fresh.txt &&
	! git -C "$ws" show --stat HEAD | grep -q "\.env" &&
	! git -C "$ws" ls-files | grep -q "local.ini" &&
	test -f "$ws/.env"
'

test_expect_success 'the branch arrived and the merge request records it' '
	cd town && read -r id p ws <../cur &&
	mr=$(jq -r .merge_request res) && commit=$(jq -r .commit res) &&
	branch=$(jq -r .branch res) &&
	test "$(git -C ../project rev-parse "refs/heads/$branch")" = "$commit" &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".metadata.branch == \"$branch\" and .metadata.commit == \"$commit\" and
		.metadata.target == \"main\" and .metadata.worker == \"$p\" and
		.metadata.source_bead == \"$id\" and .issue_type == \"merge-request\"" mr.json &&
	gt-agent-show --json "$p" | jq -e ".state == \"idle\" and .hook == null and
		.metadata.last_done.merge_request == \"$mr\"" &&
	echo "$mr" >../mr1
'

test_expect_success 'done again on the same commit makes no second merge request' '
	cd town && read -r id p ws <../cur &&
	gt-hook-attach -q "$p" "$id" &&
	n=$(gt-bead-list --type merge-request --json | jq -s length) &&
	gt-done --json "$p" >res2 &&
	test "$(jq -r .merge_request res2)" = "$(cat ../mr1)" &&
	test "$(gt-bead-list --type merge-request --json | jq -s length)" = "$n"
'

test_expect_success 'a new commit supersedes the older merge request' '
	cd town && read -r id p ws <../cur &&
	gt-hook-attach -q "$p" "$id" &&
	echo again >"$ws/again.txt" &&
	gt-done --json "$p" >res3 &&
	mr2=$(jq -r .merge_request res3) && test "$mr2" != "$(cat ../mr1)" &&
	gt-bead-show --json "$(cat ../mr1)" | jq -e ".status == \"closed\" and
		.metadata.superseded_by == \"$mr2\"" &&
	gt-bead-show --json "$id" | jq -e ".metadata.merge_request == \"$mr2\""
'

test_expect_success 'an interrupted push: the hook stays, a second run resumes' '
	cd town && hooked "Interrupted" && read -r id p ws <../cur &&
	echo w >"$ws/w.txt" &&
	printf "#!/bin/sh\nexit 1\n" >../project/.git/hooks/pre-receive &&
	chmod +x ../project/.git/hooks/pre-receive &&
	expect_code 7 gt-done "$p" &&
	gt-hook-show -q "$p" | cut -f1 | grep -qx "$id" &&
	gt-agent-show --json "$p" | jq -e ".metadata.done.step == \"started\" and .metadata.done.bead == \"$id\"" &&
	rm ../project/.git/hooks/pre-receive &&
	gt-done --json "$p" >res &&
	jq -e ".pushed == true and .commits == 1" res &&
	test -z "$(gt-hook-show -q "$p")" || true
'

test_expect_success 'ESCALATED keeps the work, blocks the bead, marks the agent stuck' '
	cd town && hooked "Hard one" && read -r id p ws <../cur &&
	echo partial >"$ws/partial.txt" &&
	gt-done --status escalated -m "needs a decision" "$p" &&
	gt-bead-show --json "$id" | jq -e ".status == \"blocked\" and (.labels | index(\"escalated\")) and
		(.comments[-1].text == \"needs a decision\")" &&
	gt-agent-show --json "$p" | jq -e ".state == \"stuck\" and .hook == null" &&
	git -C ../project rev-parse -q --verify "refs/heads/polecat/$(basename "$p")/$id"
'

test_expect_success 'DEFERRED gives the bead back, unassigned' '
	cd town && hooked "Later" && read -r id p ws <../cur &&
	gt-done --status DEFERRED "$p" &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.assignee // \"\") == \"\"" &&
	gt-agent-show --json "$p" | jq -e ".state == \"idle\""
'

test_expect_success 'the clone strategy: an independent repository, same hand-back' '
	cd town &&
	gt-config rig.app.workspace clone &&
	hooked "Cloned" && read -r id p ws <../cur &&
	test -d "$ws/.git" && ! test -f "$ws/.git/objects/info/alternates" &&
	test "$(git -C "$ws" symbolic-ref --short HEAD)" = "polecat/$(basename "$p")/$id" &&
	echo c >"$ws/c.txt" &&
	gt-done --json "$p" | jq -e ".pushed == true and .merge_request != null" &&
	gt-polecat-remove "$p" && ! test -e "$ws"
'

test_expect_success 'the directory strategy: an empty folder, closed on COMPLETED' '
	cd town &&
	gt-config rig.app.workspace directory &&
	gt-config rig.app.setup "echo filled >data.txt" &&
	hooked "In a folder" && read -r id p ws <../cur &&
	test "$(cat "$ws/data.txt")" = filled && ! test -e "$ws/.git" &&
	gt-done "$p" &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\"" &&
	gt-config --unset rig.app.workspace
'

test_expect_success 'bad status is a usage error; no hook is not found' '
	cd town && read -r id p ws <../cur &&
	expect_code 2 gt-done --status FINISHED "$p" &&
	expect_code 3 gt-done "$p" &&
	expect_code 3 gt-done app/polecats/nobody &&
	expect_code 5 gt-done "not an address"
'

test_done
