#!/bin/sh
# gt-refinery and the merge queue: a clean merge, the queue's order,
# conflicts and their resolution, failing gates (the branch's fault or
# the target's), a branch that moved after submission, a run that died
# between the push and the close, pre-verified requests, and one
# refinery per rig.
. "$(dirname "$0")/lib/test.sh"

# The test plays the polecat: a new bead of rig app is hooked without a
# session, FILE gets TEXT in the workspace, a commit, gt-done.  Saves
# "bead polecat workspace mr branch commit" in $TRASH/NAME.
#   submit NAME TITLE FILE TEXT [PRIORITY]
submit() {
	_id=$(gt-bead-add --prefix app -p "${5:-2}" "$2") &&
	gt-sling --no-start --no-convoy "$_id" app >"$TRASH/sling.out" &&
	_p=$(cut -f2 "$TRASH/sling.out") &&
	_ws=$(gt-agent-show --json "$_p" | jq -r .workspace) &&
	printf '%s\n' "$4" >"$_ws/$3" &&
	git -C "$_ws" add -- "$3" && git -C "$_ws" commit -qm "$2" &&
	gt-done --json "$_p" >"$TRASH/done.out" &&
	_mr=$(jq -r .merge_request "$TRASH/done.out") &&
	test "$_mr" != null &&
	echo "$_id $_p $_ws $_mr $(jq -r '.branch + " " + .commit' "$TRASH/done.out")" >"$TRASH/$1"
}

# the target branch on ../project and its tip
target() {
	git -C "$TRASH/project" symbolic-ref --short HEAD
}
target_sha() {
	git -C "$TRASH/project" rev-parse "refs/heads/$(target)"
}
target_count() {
	git -C "$TRASH/project" rev-list --count "refs/heads/$(target)"
}
# the sha of branch $1 on ../project (empty when it is gone)
remote_branch() {
	git -C "$TRASH/project" rev-parse -q --verify "refs/heads/$1" || true
}
# a commit straight onto the target, as another developer would
commit_on_target() {
	(cd "$TRASH/project" && printf '%s\n' "$2" >"$1" && git add -- "$1" &&
		git commit -qm "direct: $1")
}
# one field of a bead
field() {
	gt-bead-show --json "$1" | jq -r "$2"
}
# the queue state gt-mq-list shows for merge request $1
queue_of() {
	gt-mq-list app | awk -v id="$1" '$1 == id { print $2 }'
}
# the refinery's log entry (in ./log) for merge request $1
logged() {
	jq -c --arg m "$1" 'select(.merge_request == $m)' log
}
no_hooks() {
	test -z "$(gt-hook-list)"
}

test_expect_success 'a town with a sample rig' '
	new_town &&
	test -n "$(target)"
'

test_expect_success 'clean merge: the target advances to exactly the submitted commit' '
	cd town &&
	before=$(target_sha) &&
	submit m1 "Add one" one.txt one && read -r id p ws mr branch commit <../m1 &&
	test "$(remote_branch "$branch")" = "$commit" &&
	test "$(git -C ../project rev-parse "$commit^")" = "$before" &&
	gt-refinery --json app >log &&
	cat log &&
	test "$(jq -s length log)" = 1 &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"merged\" and .bead == \"$id\" and
		.commit == \"$commit\" and .branch == \"$branch\"" log &&
	test "$(target_sha)" = "$commit" &&
	test "$(git -C ../project show "$(target):one.txt")" = one
'

test_expect_success 'clean merge: request and bead closed "Merged in", branch deleted' '
	cd town && read -r id p ws mr branch commit <../m1 &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".status == \"closed\" and (.close_reason | startswith(\"Merged in \")) and
		.metadata.merged_commit == \"$commit\" and .metadata.refinery.step == \"done\" and
		(.close_reason[10:] as \$s | \"$commit\" | startswith(\$s))" mr.json &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\" and
		(.close_reason | startswith(\"Merged in \")) and .metadata.merged_commit == \"$commit\"" &&
	test -z "$(remote_branch "$branch")" &&
	test "$(queue_of "$mr")" = "" &&
	gt-mq-list --all app | grep -q "^$mr	merged	" &&
	gt-mail-inbox "$p" | grep -q "MERGED: $id"
'

test_expect_success 'a second run finds nothing to do and changes nothing' '
	cd town && read -r id p ws mr branch commit <../m1 &&
	tip=$(ledger_tip) && t=$(target_sha) &&
	gt-refinery --json app >log &&
	test ! -s log &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(target_sha)" = "$t" &&
	expect_code 1 gt-mq-next app
'

test_expect_success 'ordering: higher priority first; gt-mq-next shows the top ready one' '
	cd town &&
	submit o3 "Low" low.txt low 3 && read -r id3 p3 ws3 mr3 b3 c3 <../o3 &&
	submit o1 "High" high.txt high 1 && read -r id1 p1 ws1 mr1 b1 c1 <../o1 &&
	submit o2 "Middle" mid.txt mid 2 && read -r id2 p2 ws2 mr2 b2 c2 <../o2 &&
	gt-mq-list app >list && cat list &&
	cut -f1 list >got &&
	printf "%s\n" "$mr1" "$mr2" "$mr3" >want &&
	test_cmp_files want got &&
	cut -f2,4 list >got &&
	printf "ready\tP%s\n" 1 2 3 >want &&
	test_cmp_files want got &&
	test "$(gt-mq-next app)" = "$mr1" &&
	gt-mq-next --json app | jq -e ".id == \"$mr1\" and .queue == \"ready\"" &&
	gt-mq-list --json app | jq -s -e "(map(.score) | . == (sort | reverse))"
'

test_expect_success 'gt-mq-next skips a request that is blocked' '
	cd town && read -r id1 p1 ws1 mr1 b1 c1 <../o1 && read -r id2 p2 ws2 mr2 b2 c2 <../o2 &&
	hold=$(gt-bead-add "Hold the high one") &&
	gt-bead-dep add -q "$mr1" "$hold" &&
	test "$(queue_of "$mr1")" = blocked &&
	test "$(gt-mq-next app)" = "$mr2" &&
	gt-bead-close -q "$hold" &&
	test "$(queue_of "$mr1")" = ready &&
	test "$(gt-mq-next app)" = "$mr1"
'

test_expect_success 'the refinery merges in queue order, rebasing, then the queue is empty' '
	cd town &&
	read -r id1 p1 ws1 mr1 b1 c1 <../o1 && read -r id2 p2 ws2 mr2 b2 c2 <../o2 &&
	read -r id3 p3 ws3 mr3 b3 c3 <../o3 &&
	n=$(target_count) &&
	gt-refinery --json app >log && cat log &&
	jq -r "select(.outcome == \"merged\") | .merge_request" log >got &&
	printf "%s\n" "$mr1" "$mr2" "$mr3" >want &&
	test_cmp_files want got &&
	test "$(target_count)" = $((n + 3)) &&
	git -C ../project log --format=%s -3 "$(target)" >got &&
	printf "%s\n" Low Middle High >want &&
	test_cmp_files want got &&
	test "$(target_sha)" = "$(jq -r "select(.merge_request == \"$mr3\") | .commit" log)" &&
	for f in high low mid; do
		test "$(git -C ../project show "$(target):$f.txt")" = $f || die "$f.txt"
	done &&
	for m in "$mr1 $b1" "$mr2 $b2" "$mr3 $b3"; do
		set -- $m
		test "$(field "$1" .status)" = closed || die "$1 open"
		test -z "$(remote_branch "$2")" || die "$2 is still there"
	done &&
	test -z "$(gt-mq-list app)" &&
	expect_code 1 gt-mq-next app
'

test_expect_success 'conflict: the second of two edits to one line gets a conflict bead' '
	cd town &&
	commit_on_target notes.txt "colour: grey" &&
	submit c1 "Paint it red" notes.txt "colour: red" 1 && read -r ida pa wsa mra ba ca <../c1 &&
	submit c2 "Paint it blue" notes.txt "colour: blue" 2 && read -r idb pb wsb mrb bb cb <../c2 &&
	gt-refinery --json app >log && cat log &&
	logged "$mra" | jq -e ".outcome == \"merged\"" &&
	logged "$mrb" | jq -e ".outcome == \"conflict\" and .filed != null" &&
	cb_id=$(jq -r "select(.merge_request == \"$mrb\") | .filed" log) &&
	echo "$cb_id" >../conflict_bead &&
	merged_a=$(field "$mra" .metadata.merged_commit) &&
	test "$(target_sha)" = "$merged_a" &&
	test "$(git -C ../project show "$(target):notes.txt")" = "colour: red" &&
	gt-bead-show --json "$cb_id" >cb.json &&
	jq -e ".priority == 1 and (.labels | index(\"conflict\")) and .status == \"open\" and
		.metadata.conflict.branch == \"$bb\" and
		.metadata.conflict.merge_request == \"$mrb\" and
		.metadata.conflict.target_commit == \"$merged_a\" and
		(.metadata.conflict.files | index(\"notes.txt\"))" cb.json &&
	gt-bead-show --json "$mrb" >mr.json &&
	jq -e ".status == \"open\" and .metadata.conflict_bead == \"$cb_id\" and
		.metadata.retries == 1 and
		(.dependencies | map(select(.depends_on_id == \"$cb_id\" and .type == \"blocks\")) | length == 1)" mr.json &&
	test "$(queue_of "$mrb")" = blocked &&
	test "$(remote_branch "$bb")" = "$cb" &&
	gt-mail-inbox "$pb" | grep -q MERGE_CONFLICT
'

test_expect_success 'a blocked request stays put: another run changes nothing' '
	cd town && read -r idb pb wsb mrb bb cb <../c2 &&
	t=$(target_sha) && tip=$(ledger_tip) &&
	gt-refinery --json app >log &&
	test ! -s log &&
	test "$(target_sha)" = "$t" && test "$(ledger_tip)" = "$tip" &&
	test "$(remote_branch "$bb")" = "$cb"
'

test_expect_success 'the conflict bead, slung, is resolved; the request then merges' '
	cd town && read -r idb pb wsb mrb bb cb <../c2 && cb_id=$(cat ../conflict_bead) &&
	gt-sling --no-convoy "$cb_id" app >out &&
	wait_for no_hooks &&
	gt-bead-show --json "$cb_id" | jq -e ".status == \"closed\"" &&
	gt-bead-show --json "$mrb" >mr.json &&
	newb=$(jq -r .metadata.branch mr.json) && newc=$(jq -r .metadata.commit mr.json) &&
	test "$newb" != "$bb" &&
	jq -e ".status == \"open\" and (.metadata.previous_branches | index(\"$bb\"))" mr.json &&
	test "$(remote_branch "$newb")" = "$newc" &&
	test "$(queue_of "$mrb")" = ready &&
	before=$(target_sha) &&
	gt-refinery --json app >log && cat log &&
	logged "$mrb" | jq -e ".outcome == \"merged\"" &&
	test "$(target_sha)" = "$(field "$mrb" .metadata.merged_commit)" &&
	git -C ../project merge-base --is-ancestor "$before" "$(target_sha)" &&
	git -C ../project show "$(target):notes.txt" >notes &&
	grep -qx "colour: red" notes && grep -qx "colour: blue" notes &&
	test "$(field "$mrb" .status)" = closed &&
	field "$mrb" .close_reason | grep -q "^Merged in " &&
	test "$(field "$idb" .status)" = closed &&
	test -z "$(remote_branch "$bb")" &&
	test -z "$(remote_branch "$newb")"
'

test_expect_success 'gate failure: the branch fails the test gate, the worker is told' '
	cd town &&
	gt-config rig.app.test "test ! -e bad.txt" &&
	submit g1 "Add a bad file" bad.txt bad && read -r id p ws mr branch commit <../g1 &&
	t=$(target_sha) &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"failed\" and .gate == \"test\"" log &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".status == \"blocked\" and .metadata.failure.gate == \"test\" and
		.metadata.failure.caused_by == \"branch\" and
		.metadata.failure.command == \"test ! -e bad.txt\" and
		.metadata.failure.target_commit == \"$t\" and
		.metadata.retries == 1" mr.json &&
	test "$(queue_of "$mr")" = failed &&
	gt-bead-show --json "$id" | jq -e "[.comments[].text | select(contains(\"test gate\") and contains(\"$mr\"))] | length == 1" &&
	gt-mail-inbox "$p" | grep -q "FIX_NEEDED: $id" &&
	test "$(git rev-list --count refs/gt/wisps)" = 1 &&
	test "$(remote_branch "$branch")" = "$commit" &&
	test "$(target_sha)" = "$t"
'

test_expect_success 'a gate that fails on the target itself defers: a bug bead blocks it' '
	cd town &&
	gt-config rig.app.lint "test ! -e README.md" &&
	submit g2 "Harmless" harmless.txt fine && read -r id p ws mr branch commit <../g2 &&
	t=$(target_sha) &&
	fixes=$(gt-mail-inbox "$p" | grep -c FIX_NEEDED || true) &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"deferred\" and .gate == \"lint\" and .filed != null" log &&
	bug=$(jq -r .filed log) && echo "$bug" >../bug &&
	gt-bead-show --json "$bug" | jq -e ".issue_type == \"bug\" and .priority == 0 and .status == \"open\"" &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".status == \"open\" and .metadata.failure.caused_by == \"target\" and
		.metadata.failure.gate == \"lint\" and
		(.dependencies | map(select(.depends_on_id == \"$bug\" and .type == \"blocks\")) | length == 1)" mr.json &&
	test "$(queue_of "$mr")" = blocked &&
	test "$(gt-mail-inbox "$p" | grep -c FIX_NEEDED || true)" = "$fixes" &&
	test "$(remote_branch "$branch")" = "$commit" &&
	test "$(target_sha)" = "$t"
'

test_expect_success 'gates fixed, bug closed, the failed request retried: both merge' '
	cd town &&
	read -r id1 p1 ws1 mr1 b1 c1 <../g1 && read -r id2 p2 ws2 mr2 b2 c2 <../g2 &&
	gt-config --unset rig.app.test && gt-config --unset rig.app.lint &&
	gt-bead-close -q "$(cat ../bug)" &&
	test "$(queue_of "$mr2")" = ready &&
	test "$(gt-mq-retry "$mr1")" = "$mr1" &&
	gt-bead-show --json "$mr1" | jq -e ".status == \"open\" and .metadata.failure == null" &&
	test "$(queue_of "$mr1")" = ready &&
	gt-refinery --json app >log && cat log &&
	test "$(jq -r "select(.outcome == \"merged\") | .merge_request" log | sort)" = "$(printf "%s\n" "$mr1" "$mr2" | sort)" &&
	test -z "$(gt-mq-list app)"
'

test_expect_success 'branch moved after submission: refused, and again after a retry' '
	cd town &&
	submit r1 "Moving target" moving.txt one && read -r id p ws mr branch commit <../r1 &&
	echo two >>"$ws/moving.txt" && git -C "$ws" commit -qam "more" &&
	git -C "$ws" push -q origin "HEAD:refs/heads/$branch" &&
	moved=$(git -C "$ws" rev-parse HEAD) &&
	test "$(remote_branch "$branch")" = "$moved" &&
	t=$(target_sha) && n=$(target_count) &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"refused\" and (.reason | contains(\"$branch\"))" log &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".status == \"blocked\" and (.metadata.refused | startswith(\"Refused\"))" mr.json &&
	test "$(queue_of "$mr")" = failed &&
	test "$(target_sha)" = "$t" && test "$(target_count)" = "$n" &&
	test "$(remote_branch "$branch")" = "$moved" &&
	gt-mq-retry -q "$mr" &&
	gt-bead-show --json "$mr" | jq -e ".status == \"open\" and .metadata.refused == null" &&
	test "$(queue_of "$mr")" = ready &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"refused\"" log &&
	test "$(field "$mr" .status)" = blocked &&
	test "$(target_sha)" = "$t" &&
	git -C ../project update-ref -d "refs/heads/$branch" &&
	gt-mq-retry -q "$mr" &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"refused\" and (.reason | contains(\"gone\"))" log &&
	test "$(field "$mr" .status)" = blocked &&
	gt-mail-inbox "$p" | grep -q MERGE_REFUSED &&
	gt-mq-reject -q -r "moved on" "$mr" &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.assignee // \"\") == \"\"" &&
	test "$(field "$mr" .status)" = closed &&
	test -z "$(gt-mq-list app)"
'

test_expect_success 'crash between push and close: closed as merged, never merged twice' '
	cd town &&
	submit x1 "Crashed merge" crashed.txt crash && read -r id p ws mr branch commit <../x1 &&
	commit_on_target elsewhere.txt moved &&
	git clone -q ../project ../scratch &&
	git -C ../scratch checkout -q -b crash "origin/$branch" &&
	git -C ../scratch rebase -q "origin/$(target)" &&
	sha=$(git -C ../scratch rev-parse HEAD) &&
	test "$sha" != "$commit" &&
	git -C ../scratch push -q origin "HEAD:refs/heads/$(target)" &&
	test "$(target_sha)" = "$sha" &&
	gt-bead-update -q "$mr" --status in_progress \
		--metadata "{\"refinery\":{\"step\":\"pushing\",\"merged\":\"$sha\"}}" &&
	n=$(target_count) && tip=$(ledger_tip) &&
	gt-config rig.app.test "touch \"$TRASH/gate-ran\"" &&
	gt-refinery --json app >log && cat log &&
	gt-config --unset rig.app.test &&
	test "$(jq -s length log)" = 1 &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"merged\" and .commit == \"$sha\"" log &&
	test "$(target_sha)" = "$sha" && test "$(target_count)" = "$n" &&
	! test -e "$TRASH/gate-ran" &&
	git log --format=%s "$tip..refs/gt/ledger" >ledger.log && cat ledger.log &&
	! grep -q "refinery takes $mr" ledger.log &&
	! grep -q "refinery pushes $mr" ledger.log &&
	gt-bead-show --json "$mr" >mr.json &&
	jq -e ".status == \"closed\" and .close_reason == \"Merged in $(echo "$sha" | cut -c1-12)\" and
		.metadata.merged_commit == \"$sha\" and .metadata.refinery.step == \"done\"" mr.json &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\" and (.close_reason | startswith(\"Merged in \"))" &&
	test -z "$(remote_branch "$branch")"
'

test_expect_success 'a run that died after the close only deletes the branches' '
	cd town && read -r id p ws mr branch commit <../x1 &&
	sha=$(field "$mr" .metadata.merged_commit) &&
	git -C ../project update-ref "refs/heads/$branch" "$commit" &&
	git -C ../project update-ref refs/heads/old-branch "$commit" &&
	gt-bead-update -q "$mr" --metadata "{\"previous_branches\":[\"old-branch\"],
		\"refinery\":{\"step\":\"merged\",\"merged\":\"$sha\"}}" &&
	t=$(target_sha) &&
	gt-refinery --json app >log && cat log &&
	test ! -s log &&
	test -z "$(remote_branch "$branch")" && test -z "$(remote_branch old-branch)" &&
	test "$(target_sha)" = "$t" &&
	gt-bead-show --json "$mr" | jq -e ".status == \"closed\" and .metadata.refinery.step == \"done\"" &&
	tip=$(ledger_tip) &&
	gt-refinery app && test "$(ledger_tip)" = "$tip"
'

test_expect_success 'a branch that cannot be deleted: the merge stands, the next run deletes it' '
	cd town &&
	submit d1 "Undeletable" undeletable.txt u && read -r id p ws mr branch commit <../d1 &&
	printf "#!/bin/sh\nwhile read o n r; do test \"\$n\" != 0000000000000000000000000000000000000000 || exit 1; done\n" \
		>../project/.git/hooks/pre-receive &&
	chmod +x ../project/.git/hooks/pre-receive &&
	expect_code 7 gt-refinery app &&
	rm ../project/.git/hooks/pre-receive &&
	test "$(target_sha)" = "$commit" &&
	test "$(remote_branch "$branch")" = "$commit" &&
	gt-bead-show --json "$mr" | jq -e ".status == \"closed\" and .metadata.refinery.step == \"merged\" and
		.metadata.merged_commit == \"$commit\"" &&
	test "$(field "$id" .status)" = closed &&
	n=$(target_count) &&
	gt-refinery app &&
	test -z "$(remote_branch "$branch")" &&
	test "$(target_count)" = "$n" &&
	gt-bead-show --json "$mr" | jq -e ".status == \"closed\" and .metadata.refinery.step == \"done\""
'

test_expect_success 'a run that died before pushing starts over' '
	cd town &&
	submit x3 "Started only" started.txt yes && read -r id p ws mr branch commit <../x3 &&
	gt-bead-update -q "$mr" --status in_progress -a app/refinery \
		--metadata "{\"refinery\":{\"step\":\"started\"}}" &&
	test "$(queue_of "$mr")" = active &&
	gt-refinery --json app >log && cat log &&
	logged "$mr" | jq -e ".outcome == \"merged\"" &&
	test "$(target_sha)" = "$(field "$mr" .metadata.merged_commit)" &&
	test "$(git -C ../project show "$(target):started.txt")" = yes
'

test_expect_success 'a "pushing" state whose commit never landed goes back and merges' '
	cd town &&
	submit x2 "Never landed" landed.txt no && read -r id p ws mr branch commit <../x2 &&
	commit_on_target other.txt moved-again &&
	gt-bead-update -q "$mr" --status in_progress \
		--metadata "{\"refinery\":{\"step\":\"pushing\",\"merged\":\"$commit\"}}" &&
	t=$(target_sha) && n=$(target_count) &&
	gt-refinery --json app >log && cat log &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"merged\"" log &&
	merged=$(jq -r .commit log) &&
	test "$merged" != "$commit" &&
	test "$(target_sha)" = "$merged" &&
	test "$(target_count)" = $((n + 1)) &&
	test "$(git -C ../project rev-parse "$merged^")" = "$t" &&
	test "$(git -C ../project show "$merged:landed.txt")" = no &&
	gt-bead-show --json "$mr" | jq -e ".status == \"closed\" and .metadata.merged_commit == \"$merged\"" &&
	test -z "$(remote_branch "$branch")"
'

test_expect_success 'pre-verified against the target head: merged without the gates' '
	cd town &&
	gt-config rig.app.test false &&
	t=$(target_sha) &&
	submit v1 "Verified" verified.txt yes 1 && read -r id p ws mr branch commit <../v1 &&
	submit v2 "Verified long ago" stale.txt yes 2 && read -r id2 p2 ws2 mr2 branch2 commit2 <../v2 &&
	git -C ../project merge-base --is-ancestor "$t" "$commit" &&
	gt-bead-update -q "$mr" --metadata "{\"verified_base\":\"$t\"}" &&
	old=$(git -C ../project rev-list --max-parents=0 "$(target)") &&
	gt-bead-update -q "$mr2" --metadata "{\"verified_base\":\"$old\"}" &&
	gt-refinery --json app >log && cat log &&
	logged "$mr" | jq -e ".outcome == \"merged\" and .commit == \"$commit\"" &&
	test "$(target_sha)" = "$commit" &&
	logged "$mr2" | jq -e ".outcome == \"deferred\" and .gate == \"test\"" &&
	gt-bead-close -q "$(jq -r "select(.merge_request == \"$mr2\") | .filed" log)" &&
	gt-config --unset rig.app.test &&
	gt-refinery --json app >log &&
	logged "$mr2" | jq -e ".outcome == \"merged\"" &&
	test -z "$(gt-mq-list app)"
'

# The first refinery holds the lock while its gate waits for $TRASH/gate-go
# (only the first gate run waits: a second refinery that got past the lock
# would not hang the test).
test_expect_success 'one refinery per rig: a second one exits 4 while the first works' '
	cd town &&
	gt-config rig.app.test "if mkdir \"$TRASH/gate-once\" 2>/dev/null; then touch \"$TRASH/gate-started\"; while ! test -e \"$TRASH/gate-go\"; do sleep 0.1; done; fi" &&
	submit l1 "Slow gate" slow.txt slow && read -r id p ws mr branch commit <../l1 &&
	{ gt-refinery --json app >log 2>err & } &&
	bg=$! &&
	wait_for test -e "$TRASH/gate-started" &&
	kill -0 "$bg" &&
	ok=0 &&
	expect_code 4 gt-refinery app 2>err2 && ok=1
	touch "$TRASH/gate-go" &&
	wait "$bg" &&
	cat err2 &&
	test "$ok" = 1 &&
	grep -q "another refinery" err2 &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"merged\"" log &&
	test "$(target_sha)" = "$(field "$mr" .metadata.merged_commit)" &&
	gt-config --unset rig.app.test
'

test_expect_success 'while a refinery works, its request shows as active' '
	cd town &&
	gt-config rig.app.test "touch \"$TRASH/active-started\"; while ! test -e \"$TRASH/active-go\"; do sleep 0.1; done" &&
	submit l2 "Watch it" watched.txt w && read -r id p ws mr branch commit <../l2 &&
	{ gt-refinery --json app >log 2>err & } &&
	bg=$! &&
	wait_for test -e "$TRASH/active-started" &&
	st=$(field "$mr" .status) && who=$(field "$mr" .assignee) && q=$(queue_of "$mr") &&
	touch "$TRASH/active-go" &&
	wait "$bg" &&
	test "$st" = in_progress && test "$who" = app/refinery && test "$q" = active &&
	gt-config --unset rig.app.test
'

# The branch's gates leave an untracked file behind; the same gates on the
# target alone must not see it, or the target is blamed for the branch.
test_expect_success 'a failure the branch caused is not blamed on the target' '
	cd town &&
	gt-config rig.app.build "if test -e marker.txt; then touch untracked.flag; fi" &&
	gt-config rig.app.test "test ! -e untracked.flag" &&
	submit u1 "Leaves a flag" marker.txt m && read -r id p ws mr branch commit <../u1 &&
	t=$(target_sha) &&
	rc=0 && { gt-refinery --json app >log || rc=$?; } &&
	gt-config --unset rig.app.build && gt-config --unset rig.app.test &&
	cat log && test "$rc" = 0 &&
	jq -e ".merge_request == \"$mr\" and .outcome == \"failed\" and .gate == \"test\"" log &&
	gt-bead-show --json "$mr" | jq -e ".status == \"blocked\" and .metadata.failure.caused_by == \"branch\"" &&
	test -z "$(gt-bead-list --type bug)" &&
	test "$(target_sha)" = "$t"
'

test_expect_success 'usage errors exit 2, an unknown rig 3, retry of a closed request 4' '
	cd town && read -r id p ws mr branch commit <../m1 &&
	expect_code 2 gt-refinery --once --watch &&
	expect_code 2 gt-refinery --max -1 &&
	expect_code 3 gt-refinery nosuchrig &&
	expect_code 2 gt-mq-next app other &&
	expect_code 2 gt-mq-retry &&
	expect_code 4 gt-mq-retry "$mr"
'

test_done
