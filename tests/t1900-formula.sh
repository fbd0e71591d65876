#!/bin/sh
# Formulas and molecules: the shipped formulas cook; bad formulas are
# refused naming file, line and step; extends, compose, convoys; the
# search path; molecules poured, followed, squashed and burnt; gt-sling
# attaching the rig's formula, gt-prime's checklist, gt-done closing it,
# and a crashed worker resuming at the first unfinished step.
. "$(dirname "$0")/lib/test.sh"

# every step comes after the steps it needs
ordered() {
	jq -e '[.steps[].id] as $ids | [.steps | to_entries[] | .key as $k |
		.value.needs[] | ($ids | index(.)) < $k] | all' "$1" >/dev/null
}

test_expect_success 'the shipped formulas are listed' '
	gt-formula-list >out &&
	for f in mol-polecat-work mol-bug-fix code-review release tdd-cycle security-scan \
		mol-polecat-work-tdd; do
		grep -q "^$f	" out || { echo "missing $f"; exit 1; }
	done &&
	gt-formula-list --json | jq -r "select(.name == \"code-review\") | .type" | grep -qx convoy &&
	gt-formula-list --json | jq -r "select(.name == \"security-scan\") | .type" | grep -qx aspect &&
	gt-formula-list --json | jq -r .origin | sort -u | grep -qx shipped
'

test_expect_success 'every shipped formula cooks (aspects are applied, not cooked)' '
	for f in $(gt-formula-list --json | jq -r "select(.type != \"aspect\") | .name"); do
		gt-formula-cook --var issue=ap-1 --var version=1.2.3 --var target=main "$f" >"$f.json" ||
			{ echo "$f does not cook"; exit 1; }
		ordered "$f.json" || { echo "$f: bad order"; exit 1; }
		jq -e ".formula == \"$f\" and (.steps | length) > 0" "$f.json" >/dev/null
	done &&
	jq -r "[.steps[].id] | join(\" \")" mol-polecat-work.json >ids &&
	grep -qx "load-context implement commit self-review build-test rebase-verify submit" ids &&
	! grep -q "{{issue}}" mol-polecat-work.json && grep -q "ap-1" mol-polecat-work.json &&
	expect_code 5 gt-formula-cook security-scan 2>err && grep -q "aspect" err
'

test_expect_success 'a required variable must be given, and enum and pattern are checked' '
	expect_code 5 gt-formula-cook release 2>err &&
	grep -q "release.formula.toml: line [0-9]*: missing required variable .version." err &&
	grep -q "hint: give version with --var version=" err &&
	expect_code 5 gt-formula-cook --var version=v1.2 release 2>err && grep -q "does not match" err &&
	cat >e.formula.toml <<-\EOF &&
	formula = "e"
	[vars]
	who = "world"
	[vars.size]
	enum = ["small", "large"]
	default = "small"
	[[steps]]
	id = "greet"
	title = "Hello {{who}}, {{size}} {{unknown}}"
	EOF
	gt-formula-cook ./e.formula.toml | jq -r ".steps[0].title" >t &&
	grep -qx "Hello world, small {{unknown}}" t &&
	gt-formula-cook --var who=you --var size=large ./e.formula.toml | jq -r ".steps[0].title" |
		grep -qx "Hello you, large {{unknown}}" &&
	expect_code 5 gt-formula-cook --var size=huge ./e.formula.toml 2>err &&
	grep -q "not one of: small, large" err &&
	expect_code 2 gt-formula-cook --var novalue ./e.formula.toml
'

test_expect_success 'a bad formula gets an error naming file, line and step' '
	printf "formula = \"b\"\n[[steps]]\nid = \"a\"\ntitle = \"A\n" >syntax.formula.toml &&
	expect_code 5 gt-formula-cook ./syntax.formula.toml 2>err &&
	grep -q "syntax.formula.toml: line 4, column" err &&
	cat >needs.formula.toml <<-\EOF &&
	formula = "needs"
	[[steps]]
	id = "build"
	title = "Build"

	[[steps]]
	id = "test"
	title = "Test"
	needs = ["build", "compile"]
	EOF
	expect_code 5 gt-formula-cook ./needs.formula.toml 2>err &&
	grep -q "needs.formula.toml: line 6: step .test.: needs unknown step .compile." err &&
	cat >cycle.formula.toml <<-\EOF &&
	formula = "cycle"
	[[steps]]
	id = "a"
	needs = ["c"]
	[[steps]]
	id = "b"
	needs = ["a"]
	[[steps]]
	id = "c"
	needs = ["b"]
	EOF
	expect_code 5 gt-formula-cook ./cycle.formula.toml 2>err &&
	grep -q "cycle.formula.toml: line 2: step .a.: dependency cycle: a -> c -> b -> a" err &&
	printf "formula = \"d\"\n[[steps]]\nid = \"x\"\n[[steps]]\nid = \"x\"\n" >dup.formula.toml &&
	expect_code 5 gt-formula-cook ./dup.formula.toml 2>err &&
	grep -q "line 4: step .x.: duplicate id (first defined at line 2)" err &&
	printf "formula = \"t\"\ntype = \"flow\"\n[[steps]]\nid = \"x\"\n" >type.formula.toml &&
	expect_code 5 gt-formula-cook ./type.formula.toml 2>err && grep -q "line 2: type .flow." err &&
	printf "formula = \"n\"\n[[steps]]\nid = \"x\"\nneeds = 3\n" >n.formula.toml &&
	expect_code 5 gt-formula-cook ./n.formula.toml 2>err && grep -q "line 4: step .x.: needs must be" err &&
	printf "formula = \"s\"\n[[steps]]\nid = \"a b\"\n" >id.formula.toml &&
	expect_code 5 gt-formula-cook ./id.formula.toml 2>err && grep -q "step .a b.: bad id" err &&
	expect_code 3 gt-formula-cook no-such-formula 2>err && grep -q "not found (looked in" err &&
	expect_code 2 gt-formula-cook "bad name!" 2>err
'

test_expect_success 'unknown keys are kept in the cooked DAG' '
	cat >k.formula.toml <<-\EOF &&
	formula = "k"
	phase = "vapor"
	[squash]
	trigger = "done"
	[[steps]]
	id = "a"
	title = "A {{v}}"
	labels = ["x"]
	gate = { type = "human", note = "by {{v}}" }
	EOF
	gt-formula-cook --var v=me ./k.formula.toml >k.json &&
	jq -e ".phase == \"vapor\" and .squash.trigger == \"done\" and
		.steps[0].labels == [\"x\"] and .steps[0].gate.note == \"by me\"" k.json
'

test_expect_success 'a town formula shadows a shipped one; a rig formula shadows both' '
	new_town && cd town &&
	mkdir -p formulas app/formulas &&
	cat >formulas/release.formula.toml <<-\EOF &&
	formula = "release"
	description = "the town release"
	[[steps]]
	id = "ship"
	EOF
	sed "s/the town release/the rig release/" formulas/release.formula.toml >app/formulas/release.formula.toml &&
	gt-formula-show --json release | jq -r .description | grep -qx "the town release" &&
	gt-formula-show --json --rig app release | jq -r .description | grep -qx "the rig release" &&
	GT_RIG=app gt-formula-show --json release | jq -r .origin | grep -qx rig &&
	gt-formula-list --all --json | jq -r "select(.name == \"release\") | .origin + \" \" + (.shadowed | tostring)" >o &&
	grep -qx "town false" o && grep -qx "shipped true" o &&
	expect_code 5 gt-formula-show --rig ../x release &&
	rm -r formulas app/formulas
'

test_expect_success 'extends: parent steps first, a child step replaces its namesake in place' '
	cd town && mkdir -p formulas &&
	cat >formulas/base.formula.toml <<-\EOF &&
	formula = "base"
	[vars]
	who = "base"
	[[steps]]
	id = "one"
	title = "One"
	[[steps]]
	id = "two"
	title = "Two by {{who}}"
	needs = ["one"]
	EOF
	cat >formulas/child.formula.toml <<-\EOF &&
	formula = "child"
	extends = "base"
	[[steps]]
	id = "three"
	needs = ["two"]
	[[steps]]
	id = "two"
	title = "Two again by {{who}}"
	needs = ["one"]
	EOF
	gt-formula-cook child >c.json &&
	jq -r "[.steps[] | .id + \":\" + .title] | join(\",\")" c.json |
		grep -qx "one:One,two:Two again by base,three:three" &&
	printf "formula = \"loop\"\nextends = \"loop\"\n" >formulas/loop.formula.toml &&
	expect_code 5 gt-formula-cook loop 2>err && grep -q "extends itself: loop -> loop" err &&
	gt-formula-cook --var issue=ap-1 mol-bug-fix >bf.json && ordered bf.json &&
	jq -r "[.steps[].id] | join(\" \")" bf.json | grep -q "load-context reproduce regression-test implement"
'

test_expect_success 'compose: an expansion replaces a step, an aspect wraps one' '
	cd town &&
	gt-formula-cook --var issue=ap-1 mol-polecat-work-tdd >tdd.json && ordered tdd.json &&
	jq -r "[.steps[].id] | join(\" \")" tdd.json |
		grep -q "load-context implement.red implement.green implement.refactor commit" &&
	cat >formulas/secure.formula.toml <<-\EOF &&
	formula = "secure"
	extends = "mol-polecat-work"
	[compose]
	aspects = ["security-scan"]
	EOF
	gt-formula-cook --var issue=ap-1 secure >sec.json && ordered sec.json &&
	jq -r "[.steps[].id] | join(\" \")" sec.json |
		grep -q "load-context implement-threat-model implement implement-security-check commit" &&
	jq -e ".steps[] | select(.id == \"commit\") | .needs == [\"implement-security-check\"]" sec.json
'

test_expect_success 'Beads shapes: advice around, required with a default, siblings extended' '
	mkdir -p lib && cd lib &&
	cat >audit.formula.toml <<-\EOF &&
	formula = "audit"
	type = "aspect"
	[[advice]]
	target = "build"
	[advice.around]
	[[advice.around.before]]
	id = "{step.id}-pre"
	[[advice.around.after]]
	id = "{step.id}-post"
	EOF
	cat >base.formula.toml <<-\EOF &&
	formula = "base"
	[vars.who]
	required = true
	default = "me"
	[[steps]]
	id = "build"
	title = "Build for {{who}}"
	[[steps]]
	id = "ship"
	needs = ["build"]
	EOF
	cat >top.formula.toml <<-\EOF &&
	formula = "top"
	extends = ["base"]
	[compose]
	aspects = ["audit"]
	EOF
	cd .. && gt-formula-cook lib/top.formula.toml >top.json &&
	jq -r "[.steps[] | .id + \"<\" + (.needs | join(\",\"))] | join(\" \")" top.json |
		grep -qx "build-pre< build<build-pre build-post<build ship<build-post" &&
	jq -r ".steps[1].title" top.json | grep -qx "Build for me"
'

test_expect_success 'a convoy: parallel legs, a synthesis that needs them all' '
	cd town &&
	gt-formula-cook --var target=main code-review >cr.json &&
	jq -e "[.steps[] | select(.kind == \"leg\") | .needs | length] | all(. == 0)" cr.json &&
	jq -e "(.steps[-1].kind == \"synthesis\") and
		(.steps[-1].needs | length) == ([.steps[] | select(.kind == \"leg\")] | length)" cr.json
'

test_expect_success 'gt-mol-pour attaches a molecule; steps are followed in order' '
	cd town &&
	b=$(gt-bead-add "Fix the parser") && echo "$b" >../b &&
	m=$(gt-mol-pour --on "$b" mol-polecat-work) && echo "$m" >../m &&
	case "$m" in hq-mol-*) ;; *) echo "bad id $m"; exit 1 ;; esac &&
	gt-bead-show --json "$b" | jq -r .metadata.molecule | grep -qx "$m" &&
	gt-bead-show --json "$m" | jq -e ".issue_type == \"molecule\" and .metadata.work == \"$b\" and
		.metadata.vars.issue == \"$b\" and .metadata.formula == \"mol-polecat-work\"" &&
	gt-mol-status --json "$b" >st.json &&
	jq -e ".id == \"$m\" and .current == \"load-context\" and .done == 0 and .total == 7" st.json &&
	expect_code 4 gt-mol-step-done --mol "$b" commit 2>err && grep -q "waits for implement" err &&
	gt-mol-step-done --mol "$m" load-context >out && grep -q "^next: implement" out &&
	gt-mol-step-done --mol "$m" load-context 2>err && grep -q "done already" err &&
	gt-mol-status --json "$m" | jq -e ".done == 1 and .current == \"implement\"" &&
	expect_code 3 gt-mol-step-done --mol "$m" nosuch &&
	expect_code 4 gt-mol-pour --on "$b" mol-bug-fix 2>err && grep -q "already has molecule" err
'

test_expect_success 'gt-mol-dag draws the steps as tiers or Graphviz' '
	cd town && b=$(cat ../b) &&
	gt-mol-dag "$b" >dag &&
	grep -q "^0	load-context	done	" dag && grep -q "^1	implement	current	" dag &&
	gt-mol-dag --dot "$b" >dag.dot &&
	head -1 dag.dot | grep -q "^digraph \"hq-mol-" &&
	grep -q "\"load-context\" -> \"implement\";" dag.dot && tail -1 dag.dot | grep -qx "}" &&
	gt-mol-dag --dot code-review | grep -c " -> \"synthesis\";" | grep -qx 5 &&
	gt-mol-dag --json --var issue=x release | jq -r "select(.id == \"release-complete\") | .tier" | grep -qx 9
'

test_expect_success 'squash closes the molecule and keeps a digest; burn discards one' '
	cd town && b=$(cat ../b) && m=$(cat ../m) &&
	gt-mol-squash -m "half way" "$b" | grep -qx "$m" &&
	gt-bead-show --json "$m" | jq -e ".status == \"closed\" and .metadata.digest.done == 1 and
		.metadata.digest.total == 7 and .metadata.digest.summary == \"half way\" and
		.metadata.steps[0].closed_by != null" &&
	expect_code 4 gt-mol-squash "$m" &&
	m2=$(gt-mol-pour --on "$b" mol-polecat-work) &&
	gt-mol-burn "$m2" | grep -qx "$m2" &&
	expect_code 3 gt-bead-show "$m2" &&
	gt-bead-show --json "$b" | jq -e ".metadata.molecule == null"
'

test_expect_success 'a poured formula makes a bead per step, closed as steps finish' '
	cd town &&
	m=$(gt-mol-pour --var version=2.0.0 release) &&
	gt-mol-status --json "$m" >r.json &&
	jq -e ".pour == true and .total == 11 and ([.steps[].bead] | all(. != null))" r.json &&
	first=$(jq -r ".steps[0].bead" r.json) && second=$(jq -r ".steps[1].bead" r.json) &&
	test "$first" = "$m.1" &&
	gt-bead-show --json "$second" | jq -e "[.dependencies[] | select(.type == \"blocks\") |
		.depends_on_id] == [\"$first\"]" &&
	gt-mol-step-done --mol "$m" "$first" >/dev/null &&
	gt-bead-show --json "$first" | jq -e ".status == \"closed\"" &&
	gt-mol-status --json "$m" | jq -e ".done == 1 and .current == \"review-changes\"" &&
	gt-mol-squash "$m" >/dev/null &&
	expect_code 3 gt-bead-show "$second" &&
	gt-bead-show --json "$m" | jq -e ".metadata.steps[0].closed_at != null and
		.metadata.steps[1].closed_at == null"
'

test_expect_success 'a wisp lives in refs/gt/wisps; squashing leaves a digest in the ledger' '
	cd town &&
	b=$(gt-bead-add "Patrol target") &&
	w=$(gt-mol-wisp --on "$b" mol-polecat-work) &&
	case "$w" in hq-wisp-*) ;; *) echo "bad id $w"; exit 1 ;; esac &&
	! git ls-tree -r --name-only refs/gt/ledger | grep -q "$w" &&
	gt-bead-show --json "$w" | jq -e ".id == \"$w\"" &&
	git ls-tree -r --name-only refs/gt/wisps | grep -q "$w.json" &&
	gt-mol-step-done --mol "$w" load-context >/dev/null &&
	gt-mol-status --json "$b" | jq -e ".wisp == true and .done == 1" &&
	d=$(gt-mol-squash "$b") &&
	case "$d" in hq-mol-*) ;; *) echo "bad digest $d"; exit 1 ;; esac &&
	gt-bead-show --json "$d" | jq -e ".status == \"closed\" and .metadata.digest.wisp == \"$w\"" &&
	gt-bead-show --json "$b" | jq -r .metadata.molecule | grep -qx "$d" &&
	! git ls-tree -r --name-only refs/gt/wisps | grep -q "$w"
'

test_expect_success 'gt-sling attaches the rig formula; gt-prime shows the checklist' '
	cd town &&
	gt-config rig.app.test "true" &&
	b=$(gt-bead-add "Add a feature") &&
	gt-sling --no-start --json "$b" app >s.json &&
	m=$(jq -r .molecule s.json) && p=$(jq -r .agent s.json) &&
	jq -e ".formula == \"mol-polecat-work\"" s.json &&
	gt-bead-show --json "$m" | jq -e ".assignee == \"$p\" and .metadata.vars.rig == \"app\" and
		.metadata.vars.test_command == \"true\" and .metadata.vars.agent == \"$p\" and
		(.metadata.vars.branch | startswith(\"polecat/\"))" &&
	GT_AGENT=$p gt-prime >prime &&
	grep -q "== Your molecule: $m (mol-polecat-work), 0 of 7 steps done" prime &&
	grep -q "^\[ \] 1. load-context: .*<- you are here" prime &&
	grep -q "== Current step: load-context" prime &&
	grep -q "gt-mol-step-done load-context" prime &&
	GT_AGENT=$p gt-mol-step-done load-context >/dev/null &&
	GT_AGENT=$p gt-prime --json | jq -e ".molecule.current == \"implement\"" &&
	echo "$b $p $m" >../slung
'

test_expect_success 'sling --no-formula, --formula, the rig setting none, a bad formula' '
	cd town &&
	b=$(gt-bead-add "No formula") &&
	gt-sling --no-start --no-formula --json "$b" app | jq -e ".molecule == null" &&
	b=$(gt-bead-add "Bug") &&
	gt-sling --no-start --formula mol-bug-fix --json "$b" app | jq -r .formula | grep -qx mol-bug-fix &&
	gt-config rig.app.formula none &&
	b=$(gt-bead-add "Setting none") &&
	gt-sling --no-start --json "$b" app | jq -e ".molecule == null" &&
	gt-config rig.app.formula release &&
	b=$(gt-bead-add "Missing var") && tip=$(ledger_tip) &&
	expect_code 5 gt-sling --no-start "$b" app 2>err && grep -q "missing required variable" err &&
	assert_eq "$tip" "$(ledger_tip)" "ledger tip" &&
	gt-bead-show --json "$b" | jq -e ".status == \"open\" and .assignee == null" &&
	gt-config --unset rig.app.formula
'

test_expect_success 'gt-done closes the molecule with the bead; DEFERRED keeps it' '
	cd town && read -r b p m <../slung &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo feature >"$ws/feature.txt" &&
	(cd "$ws" && GT_AGENT=$p gt-done --json) >done.json &&
	jq -e ".molecule.id == \"$m\" and .molecule.done == 1 and .molecule.total == 7 and
		(.molecule.unfinished | length) == 6" done.json &&
	gt-bead-show --json "$m" | jq -e ".status == \"closed\"" &&
	b2=$(gt-bead-add "Deferred") &&
	gt-sling --no-start --json "$b2" app >s2.json &&
	p2=$(jq -r .agent s2.json) && m2=$(jq -r .molecule s2.json) &&
	GT_AGENT=$p2 gt-mol-step-done load-context >/dev/null &&
	GT_AGENT=$p2 gt-done --status DEFERRED >/dev/null &&
	gt-bead-show --json "$m2" | jq -e ".status != \"closed\"" &&
	gt-sling --no-start --json "$b2" app >s3.json &&
	jq -r .molecule s3.json | grep -qx "$m2" &&
	gt-mol-status --json "$b2" | jq -e ".current == \"implement\""
'

test_expect_success 'a worker that crashes mid-molecule resumes at the first unfinished step' '
	cd town &&
	runs=$(cd .. && pwd)/runs &&
	b=$(gt-bead-add -d "$(printf "%s\n" "One:" "\`\`\`sh" "echo run >>$runs; echo one >one.txt" "\`\`\`" "Two:" "\`\`\`sh" \
		"m=\$(git rev-parse --absolute-git-dir)/crashed" \
		"if [ ! -f \"\$m\" ]; then touch \"\$m\"; kill -9 \$PPID; fi" \
		"echo two >two.txt" "\`\`\`")" "Crashy work") &&
	gt-sling --json "$b" app >c.json &&
	p=$(jq -r .agent c.json) && m=$(jq -r .molecule c.json) &&
	wait_for sh -c "gt-mol-status --json $m | jq -e \".current == \\\"implement\\\"\" && test -f ../runs" &&
	wait_for sh -c "! gt-session-list --json | jq -r .agent | grep -qx $p" &&
	gt-mol-status --json "$m" | jq -e ".done == 1 and .current == \"implement\"" &&
	gt-bead-show --json "$b" | jq -e ".status == \"hooked\"" &&
	gt-session-start "$p" >/dev/null &&
	wait_for sh -c "gt-bead-show --json $m | jq -e \".status == \\\"closed\\\"\"" &&
	gt-bead-show --json "$m" | jq -e "[.metadata.steps[] | select(.closed_at != null)] | length == 7" &&
	test "$(wc -l <../runs)" -eq 1 &&
	br=$(jq -r .branch c.json) &&
	git -C ../project show "$br:two.txt" | grep -qx two &&
	git -C ../project show "$br:one.txt" | grep -qx one
'

test_done
