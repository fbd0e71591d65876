#!/bin/sh
# Slinging in batches: ids from a pipe with one convoy for the batch, an
# epic or a convoy standing for its ready work, a convoy made from an
# epic, and gt-unsling taking a bead back off its hook.
. "$(dirname "$0")/lib/test.sh"

test_expect_success 'a town' '
	new_town && cd town &&
	gt-config runtime.hang.command "sh -c '\''exec sleep 100000'\''" &&
	gt-config runtime.hang.prompt none
'

test_expect_success '--stdin: ids from a pipe, one convoy for the batch' '
	cd town &&
	for i in 1 2 3; do gt-bead-add "piped $i"; done >ids &&
	gt-sling --stdin --no-start --json app <ids >out &&
	test "$(wc -l <out)" = 3 &&
	test "$(jq -r .convoy out | sort -u | wc -l)" = 1 &&
	c=$(jq -r .convoy out | head -n 1) &&
	gt-convoy-status --json "$c" | jq -e ".title == \"Batch of 3 beads\" and .total == 3" &&
	test "$(jq -r .agent out | sort -u | wc -l)" = 3 &&
	expect_code 2 gt-sling --stdin app extra </dev/null &&
	printf "" | expect_code 2 gt-sling --stdin app
'

test_expect_success 'an epic stands for its ready children; the batch is named after it' '
	cd town &&
	ep=$(gt-bead-add -t epic "Login revamp") &&
	a=$(gt-bead-add --parent "$ep" "form") && b=$(gt-bead-add --parent "$ep" "session") &&
	c=$(gt-bead-add --parent "$ep" "after the form") &&
	gt-bead-dep add "$c" "$a" &&
	gt-sling --no-start --json "$ep" app >out &&
	jq -r .bead out | sort >got && printf "%s\n%s\n" "$a" "$b" | sort >want &&
	test_cmp_files want got &&
	gt-convoy-status --json "$(jq -r .convoy out | head -n 1)" | jq -e ".title == \"Epic: Login revamp\""
'

test_expect_success 'a convoy stands for its ready tracked beads, and keeps tracking them' '
	cd town &&
	x=$(gt-bead-add "tracked x") && y=$(gt-bead-add "tracked y") &&
	cv=$(gt-convoy-create "two" "$x" "$y" | cut -f1) &&
	gt-sling --no-start --json "$cv" app >out &&
	test "$(jq -r .bead out | sort | tr "\n" " ")" = "$(printf "%s\n%s\n" "$x" "$y" | sort | tr "\n" " ")" &&
	test "$(jq -r .convoy out | sort -u)" = "$cv"
'

test_expect_success 'gt-convoy-create --from-epic tracks the children not closed yet' '
	cd town &&
	ep=$(gt-bead-add -t epic "Billing") &&
	a=$(gt-bead-add --parent "$ep" "invoice") && b=$(gt-bead-add --parent "$ep" "refund") &&
	gt-bead-close -q "$b" &&
	gt-convoy-create --from-epic "$ep" --json >cv &&
	jq -e ".title == \"Epic: Billing\" and .total == 1 and .beads[0].id == \"$a\"" cv &&
	e2=$(gt-bead-add -t epic "Empty") &&
	expect_code 3 gt-convoy-create --from-epic "$e2"
'

test_expect_success 'gt-unsling: the worker stops, its work kept, the bead open again' '
	cd town &&
	id=$(gt-bead-add "Take it back") &&
	gt-sling --agent hang "$id" app >s && p=$(cut -f2 s) &&
	ws=$(gt-agent-show --json "$p" | jq -r .workspace) &&
	echo "half done" >"$ws/wip.txt" &&
	gt-unsling --json "$id" >out &&
	jq -e ".bead == \"$id\" and .agent == \"$p\" and (.snapshot | startswith(\"refs/gt/snapshots/\"))" out &&
	! gt-session-list --json | jq -s -e "any(.[]; .agent == \"$p\")" >/dev/null &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.assignee // \"\") == \"\"" &&
	gt-agent-show --json "$p" | jq -e "(.hook // \"\") == \"\"" &&
	gt-snapshot-list "$p" | grep -q gt-unsling &&
	expect_code 3 gt-unsling "$id"
'

test_done
