#!/bin/sh
# History: gt-feed and gt-bead-log on group commits (one event per Gt-Op
# operation, filters per operation, a bead's change attributed to the
# operations naming it), merges, order, limits, --since, and walks that
# stop early: on a long synthetic history whose old objects are removed
# from a copy, reading the recent part must still work.
. "$(dirname "$0")/lib/test.sh"

# squash_ledger N: replace the last N ledger commits by one commit with the
# same tree and the message on stdin (author from GIT_AUTHOR_*)
squash_ledger() {
	_old=$(ledger_tip) &&
		_new=$(git commit-tree "$_old^{tree}" -p "$_old~$1") &&
		git update-ref refs/gt/ledger "$_new" "$_old"
}

# shard ID: the shard directory of a bead without a parent (gt-ledger(5))
shard() {
	printf %s "$1" | sha256sum | cut -c1-2
}

# utc SECONDS: RFC 3339 in UTC
utc() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

test_expect_success 'setup: a town whose last commits are group commits' '
	new_town && cd town &&
	gt-bead-add -q --id hq-a "bead a" && gt-bead-add -q --id hq-b "bead b" &&
	gt-bead-add -q --id hq-c "bead c" &&
	gt-bead-update hq-a --title "A two" && gt-bead-close -q hq-b &&
	gt-bead-update hq-c -p 0 &&
	GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.com squash_ledger 3 <<-EOF &&
	gt-bead-update: update hq-a: title (+2 operations)

	Gt-Op: gt-bead-update by alice <alice@example.com>: update hq-a: title
	Gt-Bead: hq-a
	Gt-Op: gt-bead-close by bob <bob@example.com>: close hq-b
	Gt-Bead: hq-b
	Gt-Agent: app/polecats/bob
	Gt-Op: gt-bead-update by Carol C <carol@example.com>: update hq-c: priority
	Gt-Bead: hq-c
	EOF
	gt-bead-update hq-a --notes "some notes" && gt-bead-comment add hq-a "a comment" &&
	GIT_AUTHOR_NAME=dave GIT_AUTHOR_EMAIL=dave@example.com squash_ledger 2 <<-EOF &&
	gt-bead-update: update hq-a: notes (+1 operations)

	Gt-Op: gt-bead-update by dave <dave@example.com>: update hq-a: notes
	Gt-Bead: hq-a
	Gt-Op: gt-bead-comment by erin <erin@example.com>: comment on hq-a
	Gt-Bead: hq-a
	EOF
	gt-bead-update hq-c -p 1 && gt-bead-add -q --id hq-d "bead d" &&
	GIT_AUTHOR_NAME=frank GIT_AUTHOR_EMAIL=frank@example.com squash_ledger 2 <<-EOF
	gt-bead-add: add hq-d: bead d (+1 operations)

	Gt-Op: gt-bead-add by frank <frank@example.com>: add hq-d: bead d
	Gt-Bead: hq-d
	Gt-Op: gt-config by grace <grace@example.com>: tidy up
	EOF
'

test_expect_success 'a group commit is one event per operation, in order, with its own trailers' '
	cd town &&
	gt-feed -n 0 --json >all &&
	c=$(git rev-parse refs/gt/ledger~2) &&
	jq -c --arg c "$c" "select(.commit == \$c) | [.actor, .email, .command, .summary, .beads, .agents]" all >got &&
	cat >want <<-EOF &&
	["alice","alice@example.com","gt-bead-update","update hq-a: title",["hq-a"],[]]
	["bob","bob@example.com","gt-bead-close","close hq-b",["hq-b"],["app/polecats/bob"]]
	["Carol C","carol@example.com","gt-bead-update","update hq-c: priority",["hq-c"],[]]
	EOF
	test_cmp_files want got &&
	assert_eq 1 "$(jq -r --arg c "$c" "select(.commit == \$c) | .time" all | sort -u | wc -l)" &&
	gt-feed -n 0 >human &&
	grep -q "  bob  gt-bead-close: close hq-b\$" human &&
	grep -q "  Carol C  gt-bead-update: update hq-c: priority\$" human &&
	! grep -q "operations)" human
'

test_expect_success 'a commit without Gt-Op lines is one event, as before' '
	cd town &&
	gt-feed -n 0 --json >all &&
	c=$(git rev-parse refs/gt/ledger~3) &&
	jq -e -s --arg c "$c" "map(select(.commit == \$c)) |
		length == 1 and .[0].command == \"gt-bead-add\" and .[0].summary == \"add hq-c: bead c\" and
		.[0].beads == [\"hq-c\"]" all
'

test_expect_success 'limits count events, newest last' '
	cd town &&
	assert_eq "grace" "$(gt-feed -n 1 --json | jq -r .actor)" &&
	assert_eq "erin frank grace" "$(gt-feed -n 3 --json | jq -r .actor | xargs)" &&
	assert_eq "Carol C|dave|erin|frank|grace" "$(gt-feed -n 5 --json | jq -r .actor | paste -sd "|")" &&
	gt-feed -n 3 | tail -1 | grep -q "  grace  gt-config: tidy up\$"
'

test_expect_success '--agent, --bead and --rig pick operations, not whole commits' '
	cd town &&
	gt-feed -n 0 --json --agent bob >out &&
	assert_eq 1 "$(wc -l <out)" && jq -e ".command == \"gt-bead-close\"" out &&
	gt-feed -n 0 --json --agent app/polecats/bob >out &&
	assert_eq bob "$(jq -r .actor out)" &&
	gt-feed -n 0 --json --bead hq-b >out &&
	assert_eq "gt-bead-add gt-bead-close" "$(jq -r .command out | xargs)" &&
	! grep -q alice out &&
	gt-feed -n 0 --json --rig app >out &&
	jq -r .actor out | grep -qx bob && ! jq -r .actor out | grep -qx alice &&
	gt-feed -n 1 --json --bead hq-a >out &&
	assert_eq erin "$(jq -r .actor out)"
'

test_expect_success 'bead log: a change is attributed to the operation naming the bead' '
	cd town &&
	gt-bead-log --json hq-b | head -1 >out &&
	jq -e ".author == \"bob\" and .email == \"bob@example.com\" and
		.subject == \"gt-bead-close: close hq-b\" and .changes.status.new == \"closed\" and
		(.operations | length) == 1 and .operations[0].command == \"gt-bead-close\"" out &&
	gt-bead-log hq-c >out &&
	grep -q "  Carol C  gt-bead-update: update hq-c: priority  (" out &&
	gt-bead-log hq-a | head -1 | grep -q "  dave  gt-bead-update: update hq-a: notes  ("
'

test_expect_success 'bead log: several operations naming it share one change' '
	cd town &&
	gt-bead-log -n 1 hq-a >out &&
	sed -n 1p out | grep -q "  dave  gt-bead-update: update hq-a: notes  (" &&
	sed -n 2p out | grep -q "  erin  gt-bead-comment: comment on hq-a  (" &&
	sed -n 3,\$p out | grep -q "^    notes: (none) -> some notes" &&
	! sed -n 3,\$p out | grep -q "^20" &&
	gt-bead-log -n 1 --json hq-a >out && assert_eq 1 "$(wc -l <out)" &&
	jq -e "[.operations[].actor] == [\"dave\", \"erin\"]" out
'

test_expect_success 'bead log: a group commit whose trailers do not name it is the commit' '
	cd town &&
	gt-bead-log -n 1 --json hq-c >out &&
	jq -e ".author == \"frank\" and .subject == \"gt-bead-add: add hq-d: bead d (+1 operations)\" and
		.operations == [] and .changes.priority.new == 1" out &&
	assert_eq 3 "$(gt-bead-log --json hq-c | wc -l)"
'

# lines FILE N: FILE has at least N lines
lines() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

test_expect_success '--follow prints each operation of a new group commit' '
	cd town &&
	{ gt-feed --follow --interval 20 -n 1 --json >fol & } &&
	pid=$! && trap "kill $pid 2>/dev/null || :" EXIT &&
	wait_for lines fol 1 &&
	cat >msg <<-EOF &&
	gt-bead-update: first (+1 operations)

	Gt-Op: gt-bead-update by ivan <ivan@example.com>: first
	Gt-Bead: hq-a
	Gt-Op: gt-bead-update by judy <judy@example.com>: second
	Gt-Bead: hq-b
	EOF
	old=$(ledger_tip) && new=$(git commit-tree -F msg "$old^{tree}" -p "$old") &&
	git update-ref refs/gt/ledger "$new" "$old" &&
	wait_for lines fol 3 &&
	assert_eq "grace ivan judy" "$(jq -r .actor fol | xargs)" &&
	assert_eq "$new $new" "$(tail -2 fol | jq -r .commit | xargs)"
'

test_expect_success 'setup: a ledger with a merge (as a sync makes)' '
	new_ledger m &&
	cd m && base=$(ledger_tip) &&
	t0=$(git log -1 --format=%ct refs/gt/ledger) &&
	pm=beads/$(shard t-m)/t-m.json && pn=beads/$(shard t-n)/t-n.json &&
	bead() { printf "{\"id\":\"%s\",\"title\":\"%s\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}" "$1" "$2"; } &&
	commit() { # MARK AUTHOR TIME SUBJECT
		printf "commit refs/gt/ledger\nmark :%s\nauthor %s <%s@example.com> %s +0000\ncommitter %s <%s@example.com> %s +0000\ndata <<END\n%s\nEND\n" \
			"$1" "$2" "$2" "$3" "$2" "$2" "$3" "$4"
	} &&
	file() { printf "M 100644 inline %s\ndata <<END\n%s\nEND\n" "$1" "$2"; } &&
	{
		commit 1 maker $((t0 + 1)) "gt-bead-add: add t-m and t-n" &&
		echo "from $base" &&
		file "$pm" "$(bead t-m one)" && file "$pn" "$(bead t-n one)" &&
		commit 2 sider $((t0 + 2)) "gt-bead-update: side" && echo "from :1" &&
		file "$pm" "$(bead t-m side)" && file "$pn" "$(bead t-n side)" &&
		commit 3 mainer $((t0 + 3)) "gt-bead-update: main" && echo "from :1" &&
		file "$pn" "$(bead t-n main)" &&
		commit 4 syncer $((t0 + 4)) "gt-sync: merge" && echo "from :3" && echo "merge :2" &&
		file "$pm" "$(bead t-m side)" && file "$pn" "$(bead t-n merged)"
	} >stream &&
	git fast-import --quiet <stream &&
	assert_eq 2 "$(git log -1 --format=%p refs/gt/ledger | wc -w)"
'

test_expect_success 'bead log across a merge: the side that changed it, each commit once' '
	cd m &&
	gt-bead-log --json t-m | jq -r "[.author, .changes.title.new] | @tsv" >got &&
	printf "sider\tside\nmaker\tone\n" >want && test_cmp_files want got &&
	gt-bead-log --json t-n | jq -r "[.author, .changes.title.new] | @tsv" >got &&
	printf "syncer\tmerged\nmainer\tmain\nsider\tside\nmaker\tone\n" >want && test_cmp_files want got &&
	assert_eq "main merged" "$(gt-bead-log -n 1 --json t-n | jq -r ".changes.title | .old + \" \" + .new")"
'

test_expect_success 'feed across a merge: every commit once, newest last' '
	cd m &&
	assert_eq "maker sider mainer syncer" "$(gt-feed -n 4 --json | jq -r .actor | xargs)" &&
	assert_eq 5 "$(gt-feed -n 0 --json | wc -l)"
'

# A long history: N commits on top of gt-init, each changing one of 50
# beads; t-hot is created by the first and changed every 100th; t-late is
# created 10 commits before the end and changed 5 before it; every 1000th
# commit holds three operations (the third names no bead).
N=20000
test_expect_success 'setup: a 20000-commit ledger (fast-import)' '
	new_ledger big && cd big &&
	t0=$(git log -1 --format=%ct refs/gt/ledger) &&
	for i in $(seq 0 49); do echo "t-b$i $(shard "t-b$i")"; done >shards &&
	echo "t-hot $(shard t-hot)" >>shards && echo "t-late $(shard t-late)" >>shards &&
	awk -v n=$N -v t0="$t0" -v from="$(ledger_tip)" "
		FNR == NR { sh[\$1] = \$2; next }
		function path(id) { return \"beads/\" sh[id] \"/\" id \".json\" }
		function file(id, i) {
			return sprintf(\"M 100644 inline %s\ndata <<END\n{\\\"id\\\":\\\"%s\\\",\\\"title\\\":\\\"rev %d\\\",\\\"status\\\":\\\"open\\\",\\\"priority\\\":2,\\\"issue_type\\\":\\\"task\\\",\\\"created_at\\\":\\\"2026-01-01T00:00:00Z\\\",\\\"updated_at\\\":\\\"2026-01-01T00:00:00Z\\\"}\nEND\n\", path(id), id, i)
		}
		END {
			for (i = 1; i <= n; i++) {
				if (i % 100 == 1) id = \"t-hot\"
				else if (i == n - 9 || i == n - 4) id = \"t-late\"
				else id = \"t-b\" (i % 50)
				printf \"commit refs/gt/ledger\nauthor gen <gen@example.com> %d +0000\ncommitter gen <gen@example.com> %d +0000\n\", t0 + i, t0 + i
				if (i % 1000) {
					printf \"data <<END\ngt-bead-update: update %s: title\n\nGt-Bead: %s\nEND\n\", id, id
				} else {
					id2 = \"t-b\" ((i + 1) % 50)
					printf \"data <<END\ngt-bead-update: update %s: title (+2 operations)\n\n\", id
					printf \"Gt-Op: gt-bead-update by gen <gen@example.com>: update %s: title\nGt-Bead: %s\n\", id, id
					printf \"Gt-Op: gt-bead-close by closer <closer@example.com>: close %s\nGt-Bead: %s\n\", id2, id2
					printf \"Gt-Op: gt-agent-add by adder <adder@example.com>: add agent %d\nGt-Agent: app/polecats/p%d\nEND\n\", i, i
				}
				if (i == 1) printf \"from %s\n\", from
				printf \"%s\", file(id, i)
				if (i % 1000 == 0) printf \"%s\", file(id2, i)
				printf \"\n\"
			}
		}" shards /dev/null >stream &&
	git fast-import --quiet <stream && rm stream &&
	assert_eq $((N + 1)) "$(git rev-list --count refs/gt/ledger)" &&
	git cat-file -p "refs/gt/ledger:beads/$(shard t-late)/t-late.json" | jq -e ".title == \"rev $((N - 4))\""
'

test_expect_success 'the newest events of a long history, in order' '
	cd big &&
	gt-feed -n 20 --json >feed &&
	assert_eq 20 "$(wc -l <feed)" &&
	assert_eq "gen closer adder" "$(tail -3 feed | jq -r .actor | xargs)" &&
	assert_eq "$(git rev-parse refs/gt/ledger)" "$(tail -1 feed | jq -r .commit)" &&
	head -17 feed | jq -r .commit >got &&
	git log -n 17 --reverse --format=%H refs/gt/ledger~1 >want &&
	test_cmp_files want got &&
	jq -r .time feed | sort -c
'

test_expect_success '--since: events from then on, whole group commits included' '
	cd big &&
	since=$(utc "$(git log -1 --format=%ct refs/gt/ledger~9)") &&
	gt-feed -n 0 --json --since "$since" >out &&
	assert_eq 12 "$(wc -l <out)" &&
	assert_eq "$(git rev-parse refs/gt/ledger~9)" "$(head -1 out | jq -r .commit)"
'

test_expect_success 'a bead created late in a long history, and one changed many times' '
	cd big &&
	gt-bead-log --json t-late >out &&
	assert_eq "rev $((N - 4)) rev $((N - 9))" "$(jq -r .changes.title.new out | xargs)" &&
	jq -s -e ".[1].changes.id == {\"old\": null, \"new\": \"t-late\"}" out &&
	gt-bead-log --json t-hot >out &&
	assert_eq $((N / 100)) "$(wc -l <out)" &&
	assert_eq "rev $((N - 99))" "$(head -1 out | jq -r .changes.title.new)" &&
	assert_eq "rev 1" "$(tail -1 out | jq -r .changes.title.new)" &&
	gt-bead-log -n 3 --json t-hot | jq -r .changes.title.new | xargs >got &&
	assert_eq "rev $((N - 99)) rev $((N - 199)) rev $((N - 299))" "$(cat got)"
'

test_expect_success 'group commits in a long history: limits count operations' '
	cd big &&
	assert_eq "closer adder" "$(gt-feed -n 2 --json | jq -r .actor | xargs)" &&
	gt-feed -n 2 --json --agent closer >out &&
	assert_eq "$(git rev-parse refs/gt/ledger~1000) $(git rev-parse refs/gt/ledger)" \
		"$(jq -r .commit out | xargs)" &&
	gt-bead-log -n 1 --json "t-b$(((N + 1) % 50))" | jq -e ".author == \"closer\""
'

# A copy of big holding only the objects of its last 40 commits (with
# their whole trees): everything older is gone, so any walk that reads
# further back fails there.
test_expect_success 'setup: a copy without the objects of all but 40 commits' '
	cp -R big cut && cd cut &&
	rm -rf .git/objects/pack/* .git/objects/[0-9a-f][0-9a-f] &&
	git -C ../big rev-list --objects --no-walk $(git -C ../big rev-list -n 40 refs/gt/ledger) |
		cut -d" " -f1 | git -C ../big pack-objects -q "$PWD/.git/objects/pack/pack" >/dev/null &&
	git cat-file -e refs/gt/ledger~39 && ! git cat-file -e refs/gt/ledger~40
'

test_expect_success 'without old objects, history that needs them fails (the check can fail)' '
	cd cut &&
	! git log --format=%H refs/gt/ledger >/dev/null 2>&1 &&
	expect_code 7 gt-feed -n 0 >/dev/null &&
	expect_code 7 gt-bead-log t-hot >/dev/null
'

test_expect_success 'without old objects, the newest events, --since and a recent bead log still work' '
	cd cut &&
	gt-feed -n 20 --json >got &&
	(cd ../big && gt-feed -n 20 --json) >want && test_cmp_files want got &&
	since=$(utc "$(git log -1 --format=%ct refs/gt/ledger~9)") &&
	gt-feed -n 0 --json --since "$since" >got &&
	(cd ../big && gt-feed -n 0 --json --since "$since") >want && test_cmp_files want got &&
	gt-bead-log t-late >got && (cd ../big && gt-bead-log t-late) >want && test_cmp_files want got &&
	gt-bead-log -n 1 --json t-b1 >got && (cd ../big && gt-bead-log -n 1 --json t-b1) >want &&
	test_cmp_files want got && test -s got
'

test_done
