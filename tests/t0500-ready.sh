#!/bin/sh
# Ready and blocked work, case by case, with the answers written from
# Beads' rules (gt(7)) rather than from gt's output.
. "$(dirname "$0")/lib/test.sh"

# one Beads line: id, status, [type], [deps as a JSON array], [extra fields]
line() {
	printf '{"id":"%s","title":"%s","status":"%s","priority":%s,"issue_type":"%s","created_at":"%s","updated_at":"%s"%s%s}\n' \
		"$1" "$1" "$2" "${P:-2}" "${T:-task}" "${C:-2026-01-01T00:00:00Z}" \
		"${C:-2026-01-01T00:00:00Z}" "${D:+,\"dependencies\":$D}" "${X:+,$X}"
}
dep() { # issue type target
	printf '{"issue_id":"%s","depends_on_id":"%s","type":"%s"}' "$1" "$3" "$2"
}

test_expect_success 'setup: import the scenario' '
	new_ledger l r && cd l && {
	line r-open open
	line r-closed closed
	D="[$(dep r-blocked blocks r-open)]" line r-blocked open
	D="[$(dep r-after blocks r-closed)]" line r-after open
	D="[$(dep r-cond conditional-blocks r-open)]" line r-cond open
	D="[$(dep r-cond-done conditional-blocks r-closed)]" line r-cond-done open
	line r-tomb tombstone
	D="[$(dep r-on-tomb blocks r-tomb)]" line r-on-tomb open
	line r-pinned pinned
	D="[$(dep r-on-pinned blocks r-pinned)]" line r-on-pinned open
	D="[$(dep r-missing blocks r-nowhere)]" line r-missing open
	D="[$(dep r-external blocks external:proj:cap)]" line r-external open
	D="[$(dep r-related related r-open),$(dep r-related discovered-from r-open),$(dep r-related tracks r-open),$(dep r-related blocked-by r-open)]" line r-related open
	line r-hooked hooked
	line r-progress in_progress
	D="[$(dep e-blocked blocks r-open)]" T=epic line e-blocked open
	D="[$(dep e-blocked.1 parent-child e-blocked)]" line e-blocked.1 open
	D="[$(dep e-blocked.1.1 parent-child e-blocked.1)]" line e-blocked.1.1 open
	T=epic line e-free open
	D="[$(dep e-free.1 parent-child e-free)]" line e-free.1 open
	D="[$(dep e-free.2 parent-child e-free),$(dep e-free.2 blocks r-open)]" line e-free.2 open
	T=epic line s1 open
	D="[$(dep s1.1 parent-child s1)]" line s1.1 closed
	D="[$(dep s1.2 parent-child s1)]" line s1.2 open
	T=epic line s2 open
	D="[$(dep s2.1 parent-child s2)]" line s2.1 open
	T=epic line s3 closed
	D="[$(dep w-all waits-for s1)]" line w-all open
	D="[{\"issue_id\":\"w-any\",\"depends_on_id\":\"s1\",\"type\":\"waits-for\",\"metadata\":\"{\\\"gate\\\":\\\"any-children\\\"}\"}]" line w-any open
	D="[{\"issue_id\":\"w-any2\",\"depends_on_id\":\"s2\",\"type\":\"waits-for\",\"metadata\":{\"gate\":\"any-children\"}}]" line w-any2 open
	D="[$(dep w-none waits-for s3)]" line w-none open
	X="\"defer_until\":\"2099-01-01T00:00:00Z\"" line r-deferred open
	X="\"defer_until\":\"2000-01-01T00:00:00Z\"" line r-was-deferred open
	D="[$(dep r-deferred.1 parent-child r-deferred)]" line r-deferred.1 open
	X="\"ephemeral\":true" line r-ephemeral open
	X="\"pinned\":true" line r-pinned-flag open
	for t in message agent merge-request molecule gate role rig; do T=$t line "i-$t" open; done
	T=convoy line i-convoy open
	T=event line i-event open
	line x-mol-1 open
	line x-wisp-1 open
	} >scenario.jsonl && gt-config types.custom "" && gt-bead-import -q scenario.jsonl
'

READY="e-free e-free.1 i-convoy i-event r-after r-cond-done r-external r-missing r-on-pinned r-on-tomb r-open r-related r-was-deferred s1 s1.2 s2 s2.1 w-any w-none"

test_expect_success 'ready is exactly the beads the rules allow' '
	cd l &&
	gt-ready -n 0 --json | jq -r .id | sort | tr "\n" " " >got &&
	assert_eq "$READY " "$(cat got)"
'

test_expect_success 'blocked lists the blocked beads with their blockers' '
	cd l &&
	gt-blocked --json | jq -r "[.id, (.blocked_by | join(\",\")), .blocked_by_count] | @tsv" | sort >got &&
	cat >want <<-EOT &&
	e-blocked	r-open	1
	e-blocked.1	e-blocked	1
	e-blocked.1.1	e-blocked.1	1
	e-free.2	r-open	1
	r-blocked	r-open	1
	r-cond	r-open	1
	w-all	s1	1
	w-any2	s2	1
	EOT
	diff -u want got
'

test_expect_success 'blocked shows a blocker column for people' '
	cd l && gt-blocked | grep -q "^r-blocked	P2	open	task	-	r-blocked	r-open$"
'

test_expect_success 'closing a blocker frees what it blocked, down the hierarchy' '
	cd l &&
	gt-bead-close r-open &&
	gt-ready -n 0 --json | jq -r .id >got &&
	for id in r-blocked e-blocked e-blocked.1 e-blocked.1.1 e-free.2; do
		grep -qx "$id" got || die "$id should be ready"
	done &&
	grep -qx r-cond got &&
	! gt-blocked --json | jq -r .id | grep -q "^e-blocked"
'

test_expect_success 'waits-for: all children done opens the gate' '
	cd l && gt-bead-close s1.2 &&
	gt-ready -n 0 --json | jq -r .id | grep -qx w-all
'

test_expect_success '--include-deferred shows deferred beads and their children' '
	cd l &&
	gt-ready -n 0 --include-deferred --json | jq -r .id >got &&
	grep -qx r-deferred got && grep -qx r-deferred.1 got
'

test_expect_success '--type asks for internal types explicitly' '
	cd l &&
	assert_eq "i-message" "$(gt-ready -t message --json | jq -r .id)" &&
	assert_eq "i-gate" "$(gt-ready -t gate --json | jq -r .id)"
'

test_expect_success 'filters: assignee, unassigned, labels, priority, parent' '
	cd l &&
	gt-bead-update r-after -a alice -l x -l y -p 0 &&
	gt-bead-update r-missing -l y &&
	assert_eq "r-after" "$(gt-ready -a alice --json | jq -r .id)" &&
	! gt-ready --unassigned -n 0 --json | jq -r .id | grep -qx r-after &&
	assert_eq "r-after" "$(gt-ready -l x -l y --json | jq -r .id)" &&
	assert_eq "r-after r-missing" "$(gt-ready --label-any y -n 0 --json | jq -r .id | sort | tr "\n" " " | sed "s/ \$//")" &&
	assert_eq "r-after" "$(gt-ready -p 0 --json | jq -r .id)" &&
	gt-ready --parent e-blocked -n 0 --json | jq -r .id | sort | tr "\n" " " | grep -q "^e-blocked.1 e-blocked.1.1 $"
'

test_expect_success 'sort policies: priority (then newest), oldest, hybrid' '
	new_ledger s s && cd s &&
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ) &&
	{ P=3 C=2020-01-01T00:00:00Z line old-p3 open
	  P=1 C=2021-01-01T00:00:00Z line old-p1 open
	  P=1 C=2022-01-01T00:00:00Z line newer-p1 open
	  P=2 C=$now line recent-p2 open
	  P=0 C=2019-06-01T00:00:00Z line oldest-p0 open; } >s.jsonl &&
	gt-bead-import -q s.jsonl &&
	assert_eq "oldest-p0 newer-p1 old-p1 recent-p2 old-p3" \
		"$(gt-ready --json | jq -r .id | tr "\n" " " | sed "s/ \$//")" "priority" &&
	assert_eq "oldest-p0 newer-p1 old-p1 recent-p2 old-p3" \
		"$(gt-ready --sort priority --json | jq -r .id | tr "\n" " " | sed "s/ \$//")" "priority" &&
	assert_eq "oldest-p0 old-p3 old-p1 newer-p1 recent-p2" \
		"$(gt-ready --sort oldest --json | jq -r .id | tr "\n" " " | sed "s/ \$//")" "oldest" &&
	assert_eq "recent-p2 oldest-p0 old-p3 old-p1 newer-p1" \
		"$(gt-ready --sort hybrid --json | jq -r .id | tr "\n" " " | sed "s/ \$//")" "hybrid" &&
	assert_eq "oldest-p0 newer-p1" "$(gt-ready -n 2 --json | jq -r .id | tr "\n" " " | sed "s/ \$//")" "limit" &&
	expect_code 2 gt-ready --sort random
'

test_done
