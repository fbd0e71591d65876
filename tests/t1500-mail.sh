#!/bin/sh
# Mail: sending to agents, roles, a rig's workers and lists; the inbox and
# the new/read/acked states; unknown addresses refused before anything is
# written; protocol subjects as wisps in refs/gt/wisps (one commit, never
# history); replies and threads; literal subjects and bodies; the nudge a
# live recipient gets; gt-prime's unread mail.
. "$(dirname "$0")/lib/test.sh"

# the tip of refs/gt/wisps (empty when there is none yet)
wisps_tip() {
	git rev-parse -q --verify refs/gt/wisps 2>/dev/null || true
}

# sent_as_wisp OPTIONS...: send to app/crew/bob; 0 when the message is a
# wisp, 1 when it is durable, 2 when sending failed
sent_as_wisp() {
	gt-mail-send "$@" app/crew/bob >sent || return 2
	case $(cut -f1 sent) in
	hq-wisp-*) return 0 ;;
	hq-?*) return 1 ;;
	*) return 2 ;;
	esac
}

test_expect_success 'a town with two crew members and a polecat' '
	new_town && cd town &&
	gt-agent-add -q app/crew/ann &&
	gt-agent-add -q --no-workspace app/crew/bob &&
	id=$(gt-bead-add "Polecat work") &&
	gt-sling --no-start "$id" app >out &&
	cut -f2 out >../polecat &&
	grep -q "^app/polecats/" ../polecat
'

test_expect_success 'usage errors exit 2 and write nothing' '
	cd town && tip=$(ledger_tip) &&
	expect_code 2 gt-mail-send app/crew/ann &&
	expect_code 2 gt-mail-send -s "" app/crew/ann &&
	expect_code 2 gt-mail-send -s x &&
	expect_code 2 gt-mail-send -s x -m y --stdin app/crew/ann </dev/null &&
	expect_code 2 gt-mail-send -s x --wisp --durable app/crew/ann &&
	expect_code 2 gt-mail-send -s x -p 9 app/crew/ann &&
	expect_code 2 gt-mail-inbox app/crew/ann app/crew/bob &&
	expect_code 2 gt-mail-read &&
	expect_code 2 gt-mail-read --ack --peek hq-x &&
	expect_code 2 gt-mail-ack &&
	expect_code 2 gt-mail-ack --all hq-x &&
	expect_code 2 gt-mail-reply hq-x &&
	expect_code 2 gt-mail-reply -m x &&
	expect_code 2 gt-mail-thread &&
	test "$(ledger_tip)" = "$tip" && test -z "$(wisps_tip)"
'

test_expect_success 'an empty inbox exits 1' '
	cd town &&
	expect_code 1 gt-mail-inbox app/crew/ann >out &&
	! test -s out &&
	expect_code 1 gt-mail-inbox -a mayor
'

test_expect_success 'send to an agent: one message bead, one commit' '
	cd town &&
	before=$(git rev-list --count refs/gt/ledger) &&
	gt-mail-send -s Hello -m "Body text" app/crew/ann >out &&
	test "$(cut -f2 out)" = app/crew/ann &&
	id=$(cut -f1 out) && echo "$id" >../hello &&
	case $id in hq-wisp-*) false ;; hq-*) ;; *) false ;; esac &&
	test "$(git rev-list --count refs/gt/ledger)" = $((before + 1)) &&
	gt-bead-show --json "$id" >b &&
	jq -e ".issue_type == \"message\" and .title == \"Hello\" and .description == \"Body text\"" b &&
	jq -e ".assignee == \"app/crew/ann\" and .status == \"open\" and .sender == \"overseer\"" b &&
	jq -e ".metadata.sender_name == \"Test User\" and .metadata.read_at == null" b
'

test_expect_success 'send to roles and the overseer, all in one transaction' '
	cd town &&
	before=$(git rev-list --count refs/gt/ledger) &&
	gt-mail-send -s "Roll call" mayor deacon app/witness app/refinery overseer >out &&
	cut -f2 out >got &&
	printf "%s\n" mayor deacon app/witness app/refinery overseer >want &&
	test_cmp_files want got &&
	test "$(git rev-list --count refs/gt/ledger)" = $((before + 1)) &&
	gt-mail-inbox mayor | grep -q "	Roll call\$" &&
	gt-mail-inbox app/refinery | grep -q "	Roll call\$"
'

test_expect_success 'a person without an agent identity reads the overseer inbox' '
	cd town &&
	gt-mail-inbox | cut -f4 | grep -qx "Roll call" &&
	gt-mail-inbox overseer | cut -f4 | grep -qx "Roll call" &&
	GT_AGENT=app/crew/ann gt-mail-inbox | cut -f4 | grep -qx Hello &&
	ws=$(gt-agent-show --json app/crew/ann | jq -r .workspace) &&
	(cd "$ws" && gt-mail-inbox) | cut -f4 | grep -qx Hello
'

test_expect_success 'inbox and read: new, then read by its recipient only; --peek and re-reading change nothing' '
	cd town && id=$(cat ../hello) &&
	printf "%s\tnew\toverseer\tHello\n" "$id" >want &&
	gt-mail-inbox app/crew/ann >got && test_cmp_files want got &&
	gt-mail-inbox -u app/crew/ann >got && test_cmp_files want got &&
	tip=$(ledger_tip) &&
	gt-mail-read --peek "$id" >out &&
	test "$(ledger_tip)" = "$tip" &&
	gt-mail-read "$id" >out &&
	test "$(ledger_tip)" = "$tip" &&
	GT_AGENT=app/crew/bob gt-mail-read "$id" >/dev/null &&
	test "$(ledger_tip)" = "$tip" &&
	GT_AGENT=app/crew/ann gt-mail-read "$id" >out &&
	grep -qx "Message: $id" out && grep -qx "From: overseer" out &&
	grep -qx "To: app/crew/ann" out && grep -qx "Subject: Hello" out &&
	grep -qx "Body text" out &&
	test "$(ledger_tip)" != "$tip" &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\" and (.metadata.read_at | type) == \"string\"" &&
	printf "%s\tread\toverseer\tHello\n" "$id" >want &&
	gt-mail-inbox app/crew/ann >got && test_cmp_files want got &&
	expect_code 1 gt-mail-inbox -u app/crew/ann &&
	tip=$(ledger_tip) && GT_AGENT=app/crew/ann gt-mail-read "$id" >/dev/null &&
	test "$(ledger_tip)" = "$tip"
'

test_expect_success 'ack closes: the inbox drops it, --all shows it acked' '
	cd town && id=$(cat ../hello) &&
	test "$(gt-mail-ack "$id")" = "$id" &&
	gt-bead-show --json "$id" | jq -e ".status == \"closed\" and .close_reason == \"acked\"" &&
	expect_code 1 gt-mail-inbox app/crew/ann &&
	printf "%s\tacked\toverseer\tHello\n" "$id" >want &&
	gt-mail-inbox -a app/crew/ann >got && test_cmp_files want got &&
	tip=$(ledger_tip) && gt-mail-ack -q "$id" && test "$(ledger_tip)" = "$tip" &&
	expect_code 3 gt-mail-ack hq-nosuch &&
	expect_code 3 gt-mail-read hq-nosuch
'

test_expect_success 'ids may be abbreviated; an ambiguous one is a usage error' '
	cd town &&
	id=$(gt-mail-send -s Short app/crew/bob | cut -f1) &&
	gt-mail-read --peek "${id#hq-}" | grep -qx "Message: $id" &&
	expect_code 2 gt-mail-read --peek hq
'

test_expect_success 'unknown or invalid addresses are refused and nothing is written' '
	cd town && tip=$(ledger_tip) && wtip=$(wisps_tip) &&
	expect_code 3 gt-mail-send -s x app/crew/nobody 2>err &&
	grep -q "app/crew/nobody" err &&
	expect_code 3 gt-mail-send -s x app/crew/ann app/crew/nobody &&
	expect_code 3 gt-mail-send -s x app/polecats/nobody &&
	expect_code 3 gt-mail-send -s x nope/witness &&
	expect_code 3 gt-mail-send -s x nope/refinery &&
	expect_code 3 gt-mail-send -s x nope/ &&
	expect_code 3 gt-mail-send -s x @nolist &&
	expect_code 3 gt-mail-send -s x list:nolist &&
	expect_code 5 gt-mail-send -s x "bad address" &&
	expect_code 5 gt-mail-send -s x "app/crew/../x" &&
	expect_code 5 gt-mail-send -s x app/crew/ann "bad address" &&
	expect_code 3 gt-mail-send -s "FIX_NEEDED: x" app/crew/ann app/crew/nobody &&
	expect_code 3 gt-mail-send --wisp -s x app/crew/ann app/crew/nobody &&
	test "$(ledger_tip)" = "$tip" &&
	test "$(wisps_tip)" = "$wtip"
'

test_expect_success 'RIG/ reaches every polecat and crew member, once, in one thread' '
	cd town &&
	gt-agent-add -q --no-workspace app/crew/cy &&
	gt-agent-list --json | jq -r "select(.role == \"polecat\" or .role == \"crew\") | .address" | sort >want &&
	test "$(wc -l <want)" = 4 && grep -qx "$(cat ../polecat)" want &&
	gt-mail-send -s "All hands" app/ app/crew/ann >out &&
	cut -f2 out | sort >got && test_cmp_files want got &&
	first=$(head -1 out | cut -f1) &&
	for m in $(sed 1d out | cut -f1); do
		gt-bead-show --json "$m" | jq -e ".metadata.thread == \"$first\"" || exit 1
	done &&
	gt-mail-inbox "$(cat ../polecat)" | cut -f4 | grep -qx "All hands" &&
	! gt-mail-inbox app/witness | grep -q "All hands"
'

test_expect_success '@list and list: expand config mail.list.NAME, nested, without repeats' '
	cd town &&
	gt-config mail.list.team "app/crew/ann, mayor app/witness" &&
	gt-config mail.list.everyone "@team,app/crew/bob list:team" &&
	gt-mail-send -s "To the team" @team >out &&
	cut -f2 out >got && printf "%s\n" app/crew/ann mayor app/witness >want &&
	test_cmp_files want got &&
	gt-mail-send -s "To everyone" list:everyone >out &&
	cut -f2 out | sort >got &&
	printf "%s\n" app/crew/ann app/crew/bob app/witness mayor >want &&
	test_cmp_files want got &&
	gt-config mail.list.broken "app/crew/ann app/crew/zed" &&
	gt-config mail.list.loop "@loop" &&
	tip=$(ledger_tip) &&
	expect_code 3 gt-mail-send -s x @broken 2>err && grep -q "app/crew/zed" err &&
	expect_code 5 gt-mail-send -s x @loop &&
	test "$(ledger_tip)" = "$tip"
'

test_expect_success 'a protocol subject is a wisp: in refs/gt/wisps, not in the ledger' '
	cd town && tip=$(ledger_tip) &&
	w=$(gt-mail-send -s "FIX_NEEDED: x" -m "tests fail" app/crew/ann | cut -f1) &&
	echo "$w" >../wisp &&
	case $w in hq-wisp-*) ;; *) false ;; esac &&
	test "$(ledger_tip)" = "$tip" &&
	git ls-tree -r --name-only refs/gt/wisps | grep -q "/$w.json\$" &&
	! git ls-tree -r --name-only refs/gt/ledger | grep -q "$w" &&
	! git log --format=%B refs/gt/ledger | grep -q "$w" &&
	test "$(git rev-list --count refs/gt/wisps)" = 1 &&
	gt-mail-inbox --json app/crew/ann | jq -e "select(.id == \"$w\") | .ephemeral == true and .title == \"FIX_NEEDED: x\"" &&
	gt-mail-read --peek "$w" | grep -qx "Message: $w (wisp)"
'

test_expect_success 'which subjects are protocol; --wisp and --durable override' '
	cd town &&
	for s in MERGED LANDED "LIFECYCLE: stop" "MERGE_READY app-1" POLECAT_DONE "A_1 x"; do
		expect_code 0 sent_as_wisp -s "$s" || die "not a wisp: $s"
	done &&
	for s in Hello "HELLO world" Merged "URGENT: now" "Re: FIX_NEEDED: x" "fix_needed: x" MERGEDX "A_ x"; do
		expect_code 1 sent_as_wisp -s "$s" || die "a wisp: $s"
	done &&
	expect_code 1 sent_as_wisp --durable -s "FIX_NEEDED: keep" &&
	expect_code 0 sent_as_wisp --wisp -s Plain
'

test_expect_success 'refs/gt/wisps stays one commit however many sends' '
	cd town &&
	for i in 1 2 3 4 5; do gt-mail-send -q -s "PING_$i" app/crew/bob app/crew/cy; done &&
	for i in 1 2 3; do gt-mail-send -q -s "RACE_$i" app/crew/cy & done; wait &&
	test "$(git rev-list --count refs/gt/wisps)" = 1 &&
	test "$(git ls-tree -r --name-only refs/gt/wisps | grep -c .)" -ge 13 &&
	test "$(gt-mail-inbox app/crew/cy | cut -f4 | grep -c "^RACE_")" = 3
'

test_expect_success 'reading a wisp marks it in the wisp store; ack removes it' '
	cd town && w=$(cat ../wisp) && tip=$(ledger_tip) &&
	GT_AGENT=app/crew/ann gt-mail-read "$w" >/dev/null &&
	gt-mail-inbox app/crew/ann | grep -q "^$w	read	" &&
	git show "refs/gt/wisps:$(git ls-tree -r --name-only refs/gt/wisps | grep "/$w.json\$")" |
		jq -e ".metadata.read_at != null" &&
	gt-mail-ack -q "$w" &&
	! git ls-tree -r --name-only refs/gt/wisps | grep -q "$w" &&
	test "$(git rev-list --count refs/gt/wisps)" = 1 &&
	test "$(ledger_tip)" = "$tip" &&
	! gt-mail-inbox -a app/crew/ann | grep -q "$w" &&
	expect_code 3 gt-mail-read "$w" &&
	expect_code 3 gt-mail-ack "$w"
'

test_expect_success 'reply goes to the sender as "Re:", in the thread' '
	cd town &&
	q=$(gt-mail-send --actor app/crew/bob -s Question -m "Which branch?" app/crew/ann | cut -f1) &&
	gt-bead-show --json "$q" | jq -e ".sender == \"app/crew/bob\" and .metadata.sender_name == null" &&
	GT_AGENT=app/crew/ann gt-mail-reply -m "parser-tabs" "$q" >out &&
	test "$(cut -f2 out)" = app/crew/bob && r=$(cut -f1 out) &&
	gt-bead-show --json "$r" >b &&
	jq -e ".title == \"Re: Question\" and .sender == \"app/crew/ann\" and .assignee == \"app/crew/bob\"" b &&
	jq -e ".metadata.reply_to == \"$q\" and .metadata.thread == \"$q\"" b &&
	r2=$(gt-mail-reply --actor app/crew/bob -m "thanks" "$r" | cut -f1) &&
	gt-bead-show --json "$r2" |
		jq -e ".title == \"Re: Question\" and .assignee == \"app/crew/ann\" and .metadata.reply_to == \"$r\" and .metadata.thread == \"$q\"" &&
	gt-mail-send -q -s Unrelated app/crew/ann &&
	printf "%s\n" "$q" "$r" "$r2" >want &&
	gt-mail-thread --json "$r2" | jq -r .id >got && test_cmp_files want got &&
	gt-mail-thread "$q" | sed -n "s/^Message: //p" >got && test_cmp_files want got &&
	gt-mail-thread "$q" | grep -qx "In-Reply-To: $r" &&
	s=$(gt-mail-reply -s "Other subject" -m x "$q" | cut -f1) &&
	gt-bead-show --json "$s" | jq -e ".title == \"Other subject\" and .assignee == \"app/crew/bob\""
'

test_expect_success 'a reply to a person goes to the overseer inbox' '
	cd town &&
	m=$(gt-mail-send -s "From a person" app/crew/bob | cut -f1) &&
	r=$(GT_AGENT=app/crew/bob gt-mail-reply -m ok "$m" | cut -f1) &&
	gt-mail-inbox overseer | grep -q "^$r	new	app/crew/bob	Re: From a person\$"
'

test_expect_success '--json prints one valid JSON object per line' '
	cd town &&
	gt-mail-send --json -s "Json" -m "two lines
here" app/crew/ann app/crew/bob >out &&
	test "$(wc -l <out)" = 2 &&
	while IFS= read -r l; do
		printf "%s\n" "$l" | jq -e "type == \"object\" and .issue_type == \"message\" and .title == \"Json\"" >/dev/null || exit 1
	done <out &&
	gt-mail-inbox --json app/crew/bob >out &&
	test "$(wc -l <out)" = "$(gt-mail-inbox app/crew/bob | wc -l)" &&
	while IFS= read -r l; do
		printf "%s\n" "$l" | jq -e "type == \"object\" and .assignee == \"app/crew/bob\"" >/dev/null || exit 1
	done <out &&
	id=$(head -1 out | jq -r .id) &&
	gt-mail-read --peek --json "$id" | jq -e ".id == \"$id\"" &&
	test "$(gt-mail-read --peek --json "$id" | wc -l)" = 1 &&
	gt-mail-thread --json "$id" | jq -e ".id == \"$id\""
'

test_expect_success 'subjects and bodies are stored literally' '
	cd town &&
	s=$(printf "it\047s \$(touch %s/pwned) \"q\" \140id\140 \$HOME \\\\n" "$TRASH") &&
	case $s in *"\$(touch"*"\$HOME"*) ;; *) false ;; esac &&
	id=$(gt-mail-send -s "$s" -m "$s" app/crew/ann | cut -f1) &&
	! test -e "$TRASH/pwned" &&
	gt-bead-show --json "$id" | jq -e --arg s "$s" ".title == \$s and .description == \$s" &&
	gt-mail-read --peek "$id" | grep -qxF "Subject: $s" &&
	gt-mail-inbox app/crew/ann | grep -qF "	$s" &&
	printf "line 1\n\$(x)\n" | gt-mail-send --stdin -s stdin app/crew/ann >out &&
	gt-bead-show --json "$(cut -f1 out)" | jq -e ".description == \"line 1\\n\$(x)\\n\"" &&
	r=$(GT_AGENT=app/crew/ann gt-mail-reply -m "$s" "$id" | cut -f1) &&
	gt-bead-show --json "$r" | jq -e --arg s "$s" ".description == \$s and .title == (\"Re: \" + \$s)" &&
	! test -e "$TRASH/pwned"
'

test_expect_success 'a live recipient is nudged: "You have mail from ..."' '
	cd town &&
	d=$(printf "\140\140\140sh\nsleep 600\n\140\140\140\n") &&
	w=$(gt-bead-add "Stay up" -d "$d") &&
	gt-hook-attach -q app/crew/ann "$w" &&
	gt-session-start -q app/crew/ann &&
	wait_for sh -c "gt-peek app/crew/ann | grep -q \"step 1\"" &&
	gt-nudge --drain app/crew/ann >/dev/null &&
	m=$(gt-mail-send -s "Are you there" app/crew/ann app/crew/bob | head -1 | cut -f1) &&
	gt-nudge --drain app/crew/ann >out &&
	grep -qF "You have mail from overseer: Are you there (gt-mail-read $m)" out &&
	test -z "$(gt-nudge --drain app/crew/ann)" &&
	test -z "$(gt-nudge --drain app/crew/bob)" &&
	gt-mail-send -q --no-nudge -s "Quietly" app/crew/ann &&
	test -z "$(gt-nudge --drain app/crew/ann)"
'

test_expect_success 'gt-prime lists unread mail, durable and wisp, until it is read' '
	cd town &&
	gt-agent-add -q --no-workspace app/crew/dan &&
	GT_AGENT=app/crew/dan gt-prime --json | jq -e ".mail == []" &&
	m=$(gt-mail-send -s "Please look" -m "at we-1" app/crew/dan | cut -f1) &&
	w=$(gt-mail-send -s "MERGE_READY x" app/crew/dan | cut -f1) &&
	GT_AGENT=app/crew/dan gt-prime --json >p &&
	jq -e "[.mail[].id] == [\"$m\", \"$w\"]" p &&
	jq -e ".mail[0].from == \"overseer\" and .mail[0].subject == \"Please look\" and .mail[0].body == \"at we-1\"" p &&
	GT_AGENT=app/crew/dan gt-prime | grep -q "Please look" &&
	GT_AGENT=app/crew/dan gt-mail-read "$m" >/dev/null &&
	GT_AGENT=app/crew/dan gt-prime --json | jq -e "[.mail[].id] == [\"$w\"]" &&
	GT_AGENT=app/crew/dan gt-mail-read "$w" >/dev/null &&
	GT_AGENT=app/crew/dan gt-prime --json | jq -e ".mail == []"
'

test_expect_success 'ack --all empties the caller'\''s inbox, wisps included' '
	cd town &&
	gt-mail-send -q -s "One" app/crew/dan &&
	gt-mail-send -q -s "TWO_X" app/crew/dan &&
	GT_AGENT=app/crew/dan gt-mail-inbox | cut -f1 | sort >want &&
	test "$(wc -l <want)" = 4 &&
	GT_AGENT=app/crew/dan gt-mail-ack --all | sort >got &&
	test_cmp_files want got &&
	GT_AGENT=app/crew/dan expect_code 1 gt-mail-inbox &&
	test "$(GT_AGENT=app/crew/dan gt-mail-inbox -a | grep -c "	acked	")" = 2 &&
	GT_AGENT=app/crew/dan gt-mail-ack --all >out && ! test -s out
'

test_done
