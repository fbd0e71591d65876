#!/bin/sh
# Convoys: create, status, list and add (a landed convoy opens again);
# one convoy tracking beads of two rigs and the town; landing exactly once
# while beads close and checks run concurrently; feeding ready work in
# dependency order within a rig's max-workers, through real tmux sessions
# of the scripted agent and the refinery; the auto-convoy of gt-sling;
# stranded convoys; landing by hand.
. "$(dirname "$0")/lib/test.sh"

# a bead with PREFIX whose description holds the scripted agent's steps
#   step_bead PREFIX TITLE STEPS [gt-bead-add options...]
step_bead() {
	_p=$1 _t=$2 _s=$3
	shift 3
	gt-bead-add --prefix "$_p" "$@" -d "Steps:
\`\`\`sh
$_s
\`\`\`" "$_t"
}

no_hooks() {
	test -z "$(gt-hook-list)"
}

# the one JSON record of FILE whose KEY is VALUE (an error unless exactly
# one; jq 1.6 -e fails when the last record is filtered out by select)
rec() {
	jq -c -s --arg k "$2" --arg v "$3" '[.[] | select(.[$k] == $v)] |
		if length == 1 then .[0] else error("\(length) records with \($k) \($v)") end' "$1"
}

# one field of a convoy's status
cv_field() {
	gt-convoy-status --json "$1" | jq -r "$2"
}

# how many "Convoy landed" mails (read or not) ADDR has about CONVOY
landed_mail() {
	gt-mail-inbox --all --json "$1" | jq -s --arg cv "$2" '[.[] |
		select((.title | startswith("Convoy landed: ")) and
			(.description | contains("Convoy " + $cv + " ")))] | length'
}

# how many ledger commits say "land convoy CONVOY" in their subject
land_commits() {
	git log --format=%s refs/gt/ledger | awk -v s="land convoy $1" '
		{ i = index($0, s); if (i && substr($0, i + length(s), 1) ~ /^( |)$/) n++ }
		END { print n + 0 }'
}

# how many times a bead's history shows it going to STATUS
went_to() {
	gt-bead-log --json "$1" | jq -s --arg s "$2" '[.[] | select(.changes.status.new == $s)] | length'
}

# the ledger commit where a bead went to STATUS (the oldest such)
commit_to() {
	gt-bead-log --json --reverse "$1" | jq -r --arg s "$2" \
		'select(.changes.status.new == $s) | .commit' | head -n 1
}

# the most polecats of rig app holding a hook at once, over the ledger
# commits FROM..TO
max_busy() {
	_m=0
	for _c in $(git rev-list --reverse "$1..$2"); do
		_n=$(git ls-tree --name-only "$_c" agents/app/polecats/ |
			while read -r _f; do git show "$_c:$_f"; done |
			jq -s '[.[] | select((.hook // "") != "")] | length')
		[ "$_n" -le "$_m" ] || _m=$_n
	done
	echo "$_m"
}

# one round of the flow: the refinery merges (and feeds), a check lands
# and feeds; true once CONVOY has landed
flow_until_landed() {
	gt-refinery app >/dev/null 2>&1
	gt-convoy-check "$1" >/dev/null 2>&1
	test "$(cv_field "$1" .status)" = closed
}

test_expect_success 'a town with two rigs, app and web, each with its own prefix' '
	new_town &&
	git init -q project2 &&
	(cd project2 && echo "# web" >README.md && git add . && git commit -qm init &&
		git config receive.denyCurrentBranch updateInstead) &&
	cd town && gt-rig-add -q web ../project2 &&
	test "$(gt-rig-show --json app | jq -r .prefix)" = app &&
	test "$(gt-rig-show --json web | jq -r .prefix)" = web
'

test_expect_success 'create: a convoy tracks beads, names its watchers, and shows progress' '
	cd town &&
	a=$(gt-bead-add "First part") && b=$(gt-bead-add "Second part") &&
	gt-bead-update -q "$b" --assignee someone &&
	gt-convoy-create --json --notify mayor --notify app/witness "Batch one" "$a" "$b" >made &&
	cv=$(jq -r .id made) &&
	case "$cv" in hq-cv-*) ;; *) die "convoy id $cv" ;; esac &&
	gt-bead-show --json "$cv" | jq -e ".issue_type == \"convoy\"" &&
	echo "$cv $a $b" >../c1 &&
	gt-convoy-status --json "$cv" >st &&
	jq -e ".id == \"$cv\" and .title == \"Batch one\" and .status == \"open\" and
		.done == 0 and .total == 2 and (.beads | map(.id)) == [\"$a\", \"$b\"] and
		.beads[0].status == \"open\" and .beads[0].assignee == null and
		.beads[1].assignee == \"someone\" and
		.notify == [\"mayor\", \"app/witness\"]" st &&
	jq -e ".done == 0 and .total == 2" made &&
	gt-convoy-status "$cv" >txt &&
	head -n 1 txt | grep -qx "$cv	open	0/2	Batch one" &&
	grep -qx "  $b	open	someone	Second part" txt
'

test_expect_success 'status counts closed beads; list shows open convoys' '
	cd town && read -r cv a b <../c1 &&
	gt-bead-close -q "$a" &&
	gt-convoy-status --json "$cv" | jq -e ".done == 1 and .total == 2 and .status == \"open\" and
		.beads[0].status == \"closed\"" &&
	gt-convoy-list >list &&
	grep -qx "$cv	open	1/2	Batch one" list &&
	gt-convoy-list --json >list.json &&
	rec list.json id "$cv" | jq -e ".done == 1 and .total == 2 and .status == \"open\""
'

test_expect_success 'when the last bead closes a check lands it and mails each watcher once' '
	cd town && read -r cv a b <../c1 &&
	gt-bead-close -q "$b" &&
	gt-convoy-check --no-feed --json >out &&
	rec out convoy "$cv" | jq -e ".outcome == \"landed\"" &&
	gt-convoy-status --json "$cv" | jq -e ".status == \"closed\" and .done == 2 and .closed_at != null" &&
	gt-bead-show --json "$cv" | jq -e ".close_reason == \"All 2 tracked beads closed\"" &&
	test "$(landed_mail mayor "$cv")" = 1 &&
	test "$(landed_mail app/witness "$cv")" = 1 &&
	gt-mail-inbox mayor | cut -f4 | grep -qx "Convoy landed: Batch one" &&
	! gt-convoy-list | grep -q "^$cv	" &&
	gt-convoy-list --all | grep -qx "$cv	closed	2/2	Batch one"
'

test_expect_success 'adding a bead to a landed convoy opens it again' '
	cd town && read -r cv a b <../c1 &&
	c=$(gt-bead-add "Third part") &&
	gt-convoy-add -q "$cv" "$c" &&
	gt-convoy-status --json "$cv" >st &&
	jq -e ".status == \"open\" and .done == 2 and .total == 3 and .beads[2].id == \"$c\" and
		.beads[2].status == \"open\"" st &&
	gt-convoy-check --no-feed "$cv" >out && test ! -s out &&
	test "$(cv_field "$cv" .status)" = open &&
	gt-bead-close -q "$c" &&
	gt-convoy-check --no-feed "$cv" >out &&
	grep -qx "landed	$cv" out &&
	test "$(cv_field "$cv" .status)" = closed
'

test_expect_success 'adding beads it already tracks changes nothing: a landed convoy stays landed' '
	cd town && read -r cv a b <../c1 &&
	tip=$(ledger_tip) &&
	gt-convoy-add -q "$cv" "$a" &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(cv_field "$cv" .status)" = closed
'

test_expect_success 'unknown beads, watchers or convoys are refused and nothing is written' '
	cd town && read -r cv a b <../c1 &&
	tip=$(ledger_tip) &&
	expect_code 3 gt-convoy-create "Bad" "$a" hq-nosuch 2>err && grep -q "hq-nosuch" err &&
	expect_code 3 gt-convoy-create --notify app/crew/nobody "Bad" "$a" 2>err &&
	grep -q "app/crew/nobody" err &&
	expect_code 3 gt-convoy-create --notify nowhere/witness "Bad" "$a" &&
	expect_code 5 gt-convoy-create --notify "not an address" "Bad" "$a" &&
	expect_code 3 gt-convoy-add "$cv" hq-nosuch &&
	expect_code 3 gt-convoy-add hq-cv-nosuch "$a" &&
	expect_code 5 gt-convoy-add "$a" "$b" 2>err && grep -q "not a convoy" err &&
	expect_code 3 gt-convoy-status hq-cv-nosuch &&
	expect_code 5 gt-convoy-status "$a" &&
	expect_code 2 gt-convoy-create &&
	expect_code 2 gt-convoy-create "" "$a" &&
	expect_code 2 gt-convoy-add "$cv" &&
	expect_code 2 gt-convoy-list extra &&
	expect_code 2 gt-convoy-check a b &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(gt-bead-list --type convoy --status all --json | jq -s length)" = 1
'

test_expect_success 'one convoy tracks beads of two rigs and the town; status names each rig' '
	cd town &&
	ap=$(step_bead app "App part" "echo app >app-part.txt") &&
	wb=$(step_bead web "Web part" "echo web >web-part.txt") &&
	hq=$(gt-bead-add "Town part") &&
	case "$ap" in app-*) ;; *) die "app bead $ap" ;; esac &&
	case "$wb" in web-*) ;; *) die "web bead $wb" ;; esac &&
	cv=$(gt-convoy-create --notify mayor "Across rigs" "$ap" "$wb" "$hq") &&
	echo "$cv $ap $wb $hq" >../c2 &&
	gt-convoy-status --json "$cv" >st &&
	jq -e "[.beads[] | {id, rig}] == [{id: \"$ap\", rig: \"app\"}, {id: \"$wb\", rig: \"web\"},
		{id: \"$hq\", rig: null}]" st
'

test_expect_success 'feeding slings each bead to the rig its prefix names, none for the town bead' '
	cd town && read -r cv ap wb hq <../c2 &&
	gt-convoy-check --json "$cv" >fed &&
	test "$(jq -s length fed)" = 2 &&
	rec fed bead "$ap" | jq -e ".outcome == \"slung\" and .convoy == \"$cv\" and
		(.agent | startswith(\"app/polecats/\"))" &&
	rec fed bead "$wb" | jq -e ".outcome == \"slung\" and (.agent | startswith(\"web/polecats/\"))" &&
	gt-bead-show --json "$hq" | jq -e ".status == \"open\" and .assignee == null" &&
	wait_for no_hooks &&
	gt-refinery app web >/dev/null &&
	git -C ../project show main:app-part.txt | grep -qx app &&
	git -C ../project2 show main:web-part.txt | grep -qx web &&
	gt-convoy-status --json "$cv" | jq -e ".status == \"open\" and .done == 2 and .total == 3" &&
	gt-bead-close -q "$hq" &&
	gt-convoy-check --no-feed >out &&
	grep -qx "landed	$cv" out &&
	test "$(landed_mail mayor "$cv")" = 1
'

test_expect_success 'concurrent closes and checks land a convoy exactly once, one mail per watcher' '
	cd town &&
	gt-convoy-check -q --no-feed && # land anything landable first: only Race lands below
	for i in 1 2 3 4 5 6; do gt-bead-add "race $i"; done >ids &&
	cv=$(gt-convoy-create --notify mayor --notify deacon "Race" $(cat ids)) &&
	echo "$cv" >../c3 &&
	: >pids &&
	for k in 1 2 3 4; do
		(
			n=0
			while [ "$n" -lt 400 ] && [ "$(cv_field "$cv" .status)" = open ]; do
				gt-convoy-check -q --no-feed || exit 1
				n=$((n + 1))
			done
		) &
		echo $! >>pids
	done &&
	for id in $(cat ids); do
		gt-bead-close -q "$id" &
		echo $! >>pids
	done &&
	for p in $(cat pids); do wait "$p" || die "background job $p failed"; done &&
	gt-convoy-check -q --no-feed &&
	gt-convoy-status --json "$cv" | jq -e ".status == \"closed\" and .done == 6 and .total == 6" &&
	test "$(went_to "$cv" closed)" = 1 &&
	test "$(land_commits "$cv")" = 1 &&
	test "$(landed_mail mayor "$cv")" = 1 &&
	test "$(landed_mail deacon "$cv")" = 1
'

test_expect_success 'checking again is a no-op: no ledger commit, no mail' '
	cd town && read -r cv <../c3 &&
	tip=$(ledger_tip) &&
	gt-convoy-check --no-feed >out && test ! -s out &&
	gt-convoy-check "$cv" >out && test ! -s out &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(landed_mail mayor "$cv")" = 1
'

test_expect_success 'feeding with max-workers 1: only the best ready bead, never the blocked one' '
	cd town &&
	gt-config rig.app.max-workers 1 &&
	a=$(step_bead app "Feed A" "while ! test -f \"$TRASH/goA\"; do sleep 0.1; done
echo a >feed-a.txt" -p 1) &&
	b=$(step_bead app "Feed B" "test -f feed-a.txt
echo b >feed-b.txt" -p 0 --deps "$a") &&
	c=$(step_bead app "Feed C" "echo c >feed-c.txt" -p 2) &&
	cv=$(gt-convoy-create --notify mayor "Feed" "$a" "$b" "$c") &&
	echo "$cv $a $b $c $(ledger_tip)" >../c4 &&
	gt-convoy-check --json "$cv" >fed &&
	test "$(jq -s length fed)" = 1 &&
	jq -e ".outcome == \"slung\" and .bead == \"$a\" and .convoy == \"$cv\" and
		(.agent | startswith(\"app/polecats/\"))" fed &&
	gt-bead-show --json "$a" | jq -e ".status == \"hooked\"" &&
	gt-bead-show --json "$b" | jq -e ".status == \"open\" and .assignee == null" &&
	gt-bead-show --json "$c" | jq -e ".status == \"open\" and .assignee == null"
'

test_expect_success 'a rig at max-workers is fed nothing more, and nothing is written' '
	cd town && read -r cv a b c start <../c4 &&
	w=$(gt-bead-show --json "$a" | jq -r .assignee) &&
	# the worker writes its first molecule steps on its own: wait until it
	# sits in its sh step, waiting for goA, before watching the ledger
	wait_for sh -c "gt-peek $w | grep -q \"step 1\"" &&
	mol=$(gt-bead-show --json "$a" | jq -r .metadata.molecule) &&
	wait_for sh -c "gt-mol-status --json $mol | jq -e \".current | test(\\\"implement\\\")\"" &&
	tip=$(ledger_tip) &&
	gt-convoy-check --json "$cv" >fed && test ! -s fed &&
	gt-convoy-check --json >fed && test ! -s fed &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(gt-bead-show --json "$c" | jq -r .status)" = open
'

test_expect_success 'sessions and the refinery work it all off in dependency order; it lands' '
	cd town && read -r cv a b c start <../c4 &&
	touch "$TRASH/goA" &&
	wait_for flow_until_landed "$cv" &&
	for f in a b c; do
		git -C ../project show "main:feed-$f.txt" | grep -qx "$f" || die "feed-$f.txt not merged"
	done &&
	test "$(went_to "$b" hooked)" = 1 &&
	closed_a=$(commit_to "$a" closed) && hooked_b=$(commit_to "$b" hooked) &&
	test -n "$closed_a" && test -n "$hooked_b" && test "$closed_a" != "$hooked_b" &&
	{ git merge-base --is-ancestor "$closed_a" "$hooked_b" ||
		die "$b was hooked ($hooked_b) before $a closed ($closed_a)"; } &&
	gt-convoy-status --json "$cv" >st &&
	jq -e ".status == \"closed\" and .done == 3" st &&
	test "$(max_busy "$start" "$(commit_to "$cv" closed)")" = 1 &&
	test "$(landed_mail mayor "$cv")" = 1
'

test_expect_success 'gt-sling of untracked work makes a "Work: TITLE" convoy' '
	cd town &&
	solo=$(gt-bead-add "Solo job") &&
	gt-sling --json --no-start "$solo" app >out &&
	cv=$(jq -r .convoy out) &&
	case "$cv" in hq-cv-*) ;; *) die "no convoy: $(cat out)" ;; esac &&
	gt-convoy-status --json "$cv" | jq -e ".title == \"Work: Solo job\" and .status == \"open\" and
		.total == 1 and .beads[0].id == \"$solo\" and .beads[0].status == \"hooked\""
'

test_expect_success 'gt-sling of tracked work makes none; --no-convoy makes none' '
	cd town &&
	t=$(gt-bead-add "Tracked job") &&
	tc=$(gt-convoy-create "Has it" "$t") &&
	n=$(gt-convoy-list --all --json | jq -s length) &&
	gt-sling --json --no-start "$t" app >out &&
	test "$(jq -r .convoy out)" = "$tc" &&
	test "$(gt-convoy-list --all --json | jq -s length)" = "$n" &&
	x=$(gt-bead-add "Loose job") &&
	gt-sling --json --no-start --no-convoy "$x" app >out &&
	jq -e ".convoy == null" out &&
	test "$(gt-convoy-list --all --json | jq -s length)" = "$n" &&
	test -z "$(gt-convoy-list --all --json | jq -r "select(any(.beads[]; .id == \"$x\")) | .id")"
'

test_expect_success 'stranded: convoys with ready work nobody is on, and empty ones; 1 when none' '
	cd town &&
	for c in $(gt-convoy-list --json | jq -r .id); do gt-convoy-land -q --force "$c"; done &&
	test -z "$(gt-convoy-list)" &&
	expect_code 1 gt-convoy-stranded >out && test ! -s out &&
	r=$(gt-bead-add "Ready work") &&
	taken=$(gt-bead-add "Taken work") && gt-bead-update -q "$taken" --assignee someone &&
	blocked=$(gt-bead-add --deps "$r" "Blocked work") &&
	s1=$(gt-convoy-create "Stranded" "$r" "$taken" "$blocked") &&
	s2=$(gt-convoy-create "Empty") &&
	s3=$(gt-convoy-create "Staffed" "$taken") &&
	gt-convoy-stranded --json >out &&
	jq -s -e "map(.id) | sort == ([\"$s1\", \"$s2\"] | sort)" out &&
	rec out id "$s1" | jq -e ".ready == [\"$r\"] and .tracked == 3 and .title == \"Stranded\"" &&
	rec out id "$s2" | jq -e ".ready == [] and .tracked == 0" &&
	gt-convoy-stranded >txt &&
	grep -qx "$s1	ready	$r	Stranded" txt &&
	grep -qx "$s2	empty		Empty" txt &&
	! grep -q "^$s3	" txt &&
	gt-bead-update -q "$r" --assignee someone &&
	gt-convoy-add -q "$s2" "$taken" &&
	expect_code 1 gt-convoy-stranded
'

test_expect_success 'land refuses while beads are open (4), nothing written' '
	cd town &&
	o=$(gt-bead-add "Still open") && d=$(gt-bead-add "Done already") && gt-bead-close -q "$d" &&
	cv=$(gt-convoy-create --notify mayor --notify deacon "By hand" "$o" "$d") &&
	echo "$cv $o" >../c7 &&
	tip=$(ledger_tip) &&
	expect_code 4 gt-convoy-land "$cv" 2>err &&
	grep -q "1 open bead" err &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(cv_field "$cv" .status)" = open
'

test_expect_success 'land --force lands it, mails each watcher once, leaves the beads alone' '
	cd town && read -r cv o <../c7 &&
	gt-convoy-land --force "$cv" >out &&
	test "$(cat out)" = "$cv	landed" &&
	gt-convoy-status --json "$cv" | jq -e ".status == \"closed\" and .done == 1 and .total == 2" &&
	test "$(gt-bead-show --json "$o" | jq -r .status)" = open &&
	test "$(landed_mail mayor "$cv")" = 1 &&
	test "$(landed_mail deacon "$cv")" = 1 &&
	test "$(land_commits "$cv")" = 1
'

test_expect_success 'landing again says so and writes nothing' '
	cd town && read -r cv o <../c7 &&
	tip=$(ledger_tip) &&
	gt-convoy-land "$cv" >out && test "$(cat out)" = "$cv	landed already" &&
	gt-convoy-land --force "$cv" >out && test "$(cat out)" = "$cv	landed already" &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(landed_mail mayor "$cv")" = 1 &&
	expect_code 3 gt-convoy-land hq-cv-nosuch &&
	expect_code 5 gt-convoy-land "$o" &&
	expect_code 2 gt-convoy-land &&
	expect_code 2 gt-convoy-land "$cv" "$cv"
'

test_expect_success 'landing an empty convoy by hand never reports "landed" while it stays open' '
	cd town &&
	e=$(gt-convoy-create "Nothing yet") &&
	if gt-convoy-land "$e" >out 2>err; then
		test "$(cv_field "$e" .status)" = closed ||
			die "exit 0 and \"$(cat out)\", but $e is still open"
	else
		test "$(cv_field "$e" .status)" = open
	fi
'

test_done
