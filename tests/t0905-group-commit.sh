#!/bin/sh
# Group commit: writers that arrive while another commits go into one
# commit, each with its own result, exit code and history entry; a
# committer killed at any point loses no acknowledged write.
. "$(dirname "$0")/lib/test.sh"

# hold the ledger lock until the file "release" appears, as a committer
# busy with a long commit would
hold_lock() {
	mkdir -p .git/gt && rm -f release held || return 1
	(
		exec 9>.git/gt/ledger.lock
		flock 9
		: >held
		while [ ! -e release ]; do sleep 0.02; done
	) &
	holder=$!
	wait_for test -e held
}

release_lock() {
	: >release && wait "$holder"
}

# wait until n writers are queued
queued() {
	wait_for sh -c "[ \$(ls .git/gt/queue 2>/dev/null | grep -c '\\.q\$') -ge $1 ]"
}

# the operations recorded in the history: one per commit, or its Gt-Op lines
ops_in_history() {
	git log --format="@@%n%B" refs/gt/ledger | awk '
		/^@@$/ { if (seen) total += (n ? n : 1); seen = 1; n = 0; next }
		/^Gt-Op: / { n++ }
		END { total += (n ? n : 1); print total }'
}

# These tests name who commits (the writer, or the committer it leaves to
# go on); a writer that finds the lock free on a busy machine hands the
# commit to a detached committer instead, which is tested on its own below.
GT_LEDGER_HAND_OVER=0
export GT_LEDGER_HAND_OVER

test_expect_success 'setup' '
	new_ledger l && cd l && gt-bead-add -q --id t-base "base"
'

test_expect_success 'writers queued behind a commit go into one commit, each its own operation' '
	cd l && hold_lock &&
	for i in 1 2 3 4 5 6; do
		( set +e; gt-bead-add --actor "agent$i" --id "t-g$i" "grouped $i" >"out$i" 2>"err$i"
		  echo $? >"rc$i" ) &
	done &&
	queued 6 && before=$(ledger_tip) && release_lock &&
	wait_for sh -c "ls rc? | wc -l | grep -qx 6" && wait &&
	for i in 1 2 3 4 5 6; do
		assert_eq 0 "$(cat rc$i)" "exit of writer $i" &&
		assert_eq "t-g$i" "$(cat out$i)" "id printed by writer $i" || return 1
	done &&
	assert_eq 1 "$(git rev-list --count "$before..refs/gt/ledger")" "commits for the group" &&
	git log -1 --format=%B refs/gt/ledger >msg &&
	head -n 1 msg | grep -q "^gt-bead-add: .*(+5 operations)$" &&
	assert_eq 6 "$(grep -c "^Gt-Op: gt-bead-add by agent[1-6] <" msg)" "Gt-Op lines" &&
	for i in 1 2 3 4 5 6; do
		# each operation is followed by its own bead trailer
		grep -A1 "^Gt-Op: gt-bead-add by agent$i " msg | grep -qx "Gt-Bead: t-g$i" || return 1
	done &&
	for i in 1 2 3 4 5 6; do
		gt-bead-show --json "t-g$i" | jq -e ".title == \"grouped $i\"" >/dev/null || return 1
	done
'

# First come, first served: the writers queued one after another behind
# a commit are applied in that order, in the next commit.
test_expect_success 'writers queued one after another are applied in arrival order' '
	cd l && hold_lock &&
	for i in 1 2 3 4 5; do
		( gt-bead-add --actor "fifo$i" --id "t-f$i" "fifo $i" >/dev/null 2>&1; echo $? >"frc$i" ) &
		queued $i || return 1
	done &&
	before=$(ledger_tip) && release_lock &&
	wait_for sh -c "ls frc? | wc -l | grep -qx 5" && wait &&
	assert_eq 1 "$(git rev-list --count "$before..refs/gt/ledger")" "commits for the group" &&
	git log -1 --format=%B refs/gt/ledger | sed -n "s/^Gt-Op: gt-bead-add by \(fifo[0-9]\) .*/\1/p" | xargs >order &&
	assert_eq "fifo1 fifo2 fifo3 fifo4 fifo5" "$(cat order)"
'

test_expect_success 'conflicting preconditions in one group: one claim wins, the rest fail with 4' '
	cd l && gt-bead-add -q --id t-prize "prize" && hold_lock &&
	for i in 1 2 3 4 5; do
		( set +e; gt-bead-update --claim --actor "claimer$i" t-prize >/dev/null 2>"cerr$i"
		  echo $? >"crc$i" ) &
		( set +e; gt-bead-add -q --actor "adder$i" --id "t-a$i" "added $i"; echo $? >"arc$i" ) &
	done &&
	queued 10 && release_lock &&
	wait_for sh -c "ls crc? arc? | wc -l | grep -qx 10" && wait &&
	assert_eq 1 "$(cat crc? | grep -c "^0$")" "claims that won" &&
	assert_eq 4 "$(cat crc? | grep -c "^4$")" "claims refused as conflicts" &&
	assert_eq 5 "$(cat arc? | grep -c "^0$")" "adds" &&
	winner=$(gt-bead-show --json t-prize | jq -r .assignee) &&
	n=$(grep -l "^0$" crc? | sed "s/crc//") &&
	assert_eq "claimer$n" "$winner" "the assignee is the writer told it won" &&
	for f in $(grep -l "^4$" crc?); do
		grep -qi "claim" "cerr${f#crc}" || return 1
	done &&
	# the history names the winner, and no loser, as an actor
	git log --format="%an%n%B" refs/gt/ledger | grep -o "claimer[0-9]" | sort -u >actors &&
	assert_eq "$winner" "$(cat actors)" "claimers in the history"
'

# mass_write COUNTER TITLE: 64 writers at once, each labelling COUNTER,
# noting one of six beads (a note new to it: a write of what is there
# already is no operation) and adding one titled "TITLE <n>": every
# acknowledged write is there, each operation in the history, fsck clean
mass_write() {
	gt-bead-add -q --id "$1" "counter" && before=$(ops_in_history) &&
	i=0 &&
	while [ "$i" -lt 64 ]; do
		(
			gt-bead-label add "$1" "l$i" >/dev/null || exit 1
			gt-bead-update --actor "w$i" --notes "$2 note $i" "t-g$((i % 6 + 1))" >/dev/null || exit 1
			gt-bead-add -q --actor "w$i" "$2 $i" >/dev/null || exit 1
		) >"mlog$i" 2>&1 &
		i=$((i + 1))
	done && wait &&
	cat mlog* >mall && { [ ! -s mall ] || { cat mall; false; }; } &&
	assert_eq 64 "$(gt-bead-label list "$1" | wc -l)" "labels: no update lost" &&
	assert_eq 64 "$(gt-bead-list -n 0 --json | jq -r .title | grep -c "^$2 ")" "beads" &&
	assert_eq "$((before + 64 * 3))" "$(ops_in_history)" "operations in the history" &&
	git fsck --no-progress --strict 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
}

test_expect_success '64 writers with conflicting updates: every acknowledged write is there' '
	cd l && mass_write t-counter mass
'

test_expect_success 'a committer killed after moving the ref: the others are answered, all is there' '
	cd l && hold_lock &&
	for i in 1 2 3 4; do
		( set +e; GT_CRASH_AT=after-ref gt-bead-add -q --id "t-after$i" "killed after $i" >/dev/null 2>&1
		  echo $? >"krc$i" ) &
	done &&
	queued 4 && release_lock &&
	wait_for sh -c "ls krc? | wc -l | grep -qx 4" && wait &&
	assert_eq 1 "$(cat krc? | grep -vc "^0$")" "writers killed" &&
	assert_eq 3 "$(cat krc? | grep -c "^0$")" "writers answered" &&
	for i in 1 2 3 4; do gt-bead-show "t-after$i" >/dev/null || return 1; done &&
	[ ! -e .git/gt/queue/group ] &&
	git fsck --no-progress --strict 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
'

test_expect_success 'committers killed before moving the ref: nothing of theirs, the next writer goes on' '
	cd l && hold_lock && before=$(ledger_tip) &&
	for i in 1 2 3 4; do
		( set +e; GT_CRASH_AT=before-ref gt-bead-add -q --id "t-before$i" "killed before $i" >/dev/null 2>&1
		  echo $? >"brc$i" ) &
	done &&
	queued 4 && release_lock &&
	wait_for sh -c "ls brc? | wc -l | grep -qx 4" && wait &&
	# each committer in turn takes the queue and dies before the ref moves
	assert_eq 4 "$(cat brc? | grep -c "^137$")" "writers killed" &&
	assert_eq "$before" "$(ledger_tip)" "the ledger tip" &&
	gt-bead-add -q --id t-next "after the crashes" >/dev/null &&
	gt-bead-show t-next >/dev/null &&
	for i in 1 2 3 4; do expect_code 3 gt-bead-show "t-before$i" 2>/dev/null || return 1; done &&
	[ ! -e .git/gt/queue/group ] &&
	[ -z "$(ls .git/gt/queue | grep "\.q$")" ] &&
	git fsck --no-progress --strict 2>&1 | grep -v "^dangling\|^notice" | { ! grep .; }
'

test_expect_success 'a committer killed while it answers: each writer answered once, each write there once' '
	cd l && hold_lock && before=$(ops_in_history) &&
	for i in 1 2 3 4; do
		( set +e; GT_CRASH_AT=mid-answer gt-bead-add -q --id "t-mid$i" "killed answering $i" >/dev/null 2>&1
		  echo $? >"mrc$i" ) &
	done &&
	queued 4 && release_lock &&
	wait_for sh -c "ls mrc? | wc -l | grep -qx 4" && wait &&
	assert_eq 1 "$(cat mrc? | grep -c "^137$")" "committers killed" &&
	assert_eq 3 "$(cat mrc? | grep -c "^0$")" "writers answered" &&
	for i in 1 2 3 4; do gt-bead-show "t-mid$i" >/dev/null || return 1; done &&
	assert_eq "$((before + 4))" "$(ops_in_history)" "operations in the history" &&
	[ ! -e .git/gt/queue/group ] && [ -z "$(ls .git/gt/queue)" ]
'

test_expect_success 'queued writers are woken by the committer that answers them' '
	cd l && hold_lock && before=$(ledger_tip) &&
	for i in 1 2 3 4; do
		( set +e; GT_QUEUE_WAKE_MS=3600000 gt-bead-add -q --id "t-wk$i" "woken $i" \
			>/dev/null 2>"wk$i.err"; echo $? >"wk$i.rc" ) &
	done &&
	queued 4 &&
	for f in .git/gt/queue/*.q; do
		assert_eq "GTQ1 W 7" "$(head -c 9 "$f" | tr "\n" " " | sed "s/ $//")" "wake word" ||
			return 1
	done &&
	release_lock &&
	GT_LEDGER_HAND_OVER=0 gt-bead-add -q --id t-wk5 "the committer" &&
	wait_for sh -c "ls wk?.rc | wc -l | grep -qx 4" && wait &&
	assert_eq "0 0 0 0" "$(cat wk1.rc wk2.rc wk3.rc wk4.rc | tr "\n" " " | sed "s/ $//")" "exits" &&
	assert_eq 1 "$(git rev-list --count "$before..refs/gt/ledger")" "commits for the group"
'

# a queued intent that writes probe/NAME on the tip, held by a waiting
# writer (flock -s), answered ANSWER already when one is given
queue_probe() {
	f=.git/gt/queue/0000000001000000000-$1.q &&
	printf "GTQ1\nb 40\n%s\nc 4\ntest\na 1\nx\ne 3\nx@y\nw %d\nprobe/%s\nd 1\nx\n" \
		"$(ledger_tip)" $((6 + ${#1})) "$1" >"$f" &&
	if [ -n "${2-}" ]; then printf "A %d\n%s\n" "${#2}" "$2" >>"$f"; fi &&
	{ flock -s "$f" sleep 600 & } && probe_holder=$! &&
	wait_for sh -c "! flock -n -x $f true"
}

test_expect_success 'an intent already answered is never committed again; one not yet answered is' '
	cd l && mkdir -p .git/gt/queue &&
	queue_probe answered "retry" && h1=$probe_holder &&
	queue_probe waiting && h2=$probe_holder &&
	gt-bead-add -q "a write that commits the queue" &&
	{ kill $h1 $h2; wait $h1 $h2 || true; } 2>/dev/null &&
	git cat-file -e refs/gt/ledger:probe/waiting &&
	! git cat-file -e refs/gt/ledger:probe/answered 2>/dev/null &&
	[ -z "$(ls .git/gt/queue)" ]
'

test_expect_success 'without the wake word, writers queued behind a busy lock are answered all the same' '
	cd l && hold_lock && before=$(ledger_tip) &&
	for i in 1 2 3 4; do
		( set +e; GT_QUEUE_WAKE=0 gt-bead-add -q --id "t-ni$i" "no wake $i" >/dev/null \
			2>"ni$i.err"; echo $? >"ni$i.rc" ) &
	done &&
	queued 4 && release_lock &&
	wait_for sh -c "ls ni?.rc | wc -l | grep -qx 4" && wait &&
	assert_eq "0 0 0 0" "$(cat ni1.rc ni2.rc ni3.rc ni4.rc | tr "\n" " " | sed "s/ $//")" "exits" &&
	assert_eq 1 "$(git rev-list --count "$before..refs/gt/ledger")" "commits for the group" &&
	assert_eq 4 "$(git log -1 --format=%B refs/gt/ledger | grep -c "^Gt-Bead: t-ni")" "operations"
'

# the committers held at GT_COMMIT_HOLD=h (their pids), but pid $1
held_but() {
	for _h in h/held.*; do
		[ -e "$_h" ] && [ "${_h#h/held.}" != "$1" ] && echo "${_h#h/held.}"
	done
	return 0
}

test_expect_success 'a committer that leaves writers waiting goes on with them, detached' '
	cd l && rm -rf h && mkdir h && before=$(ledger_tip) &&
	{ ( set +e; GT_COMMIT_HOLD=$PWD/h gt-bead-add -q --id t-on1 "first" >on1.out 7>h/inherited
	    echo $? >on1.rc ) & } &&
	wait_for sh -c "ls h | grep -q ^held" && w1=$(held_but 0) &&
	for i in 2 3; do
		( set +e; gt-bead-add -q --id "t-on$i" "next $i" >"on$i.out" 2>"on$i.err"
		  echo $? >"on$i.rc" ) &
	done &&
	queued 2 && : >h/go &&
	wait_for test -e on1.rc && assert_eq 0 "$(cat on1.rc)" "exit of the first" &&
	# its writer has returned; the committer that went on holds the others
	wait_for sh -c "ls h | grep ^held | grep -vqx held.$w1" && c=$(held_but "$w1") &&
	test ! -e on2.rc && test ! -e on3.rc && kill -0 "$c" &&
	test "$(cut -d" " -f6 "/proc/$c/stat")" != "$(cut -d" " -f6 /proc/$$/stat)" &&
	assert_eq /dev/null "$(readlink "/proc/$c/fd/1")" "its standard output" &&
	for f in /proc/"$c"/fd/*; do
		case $(readlink "$f") in
		*/h/inherited | */on1.out) echo "it holds its caller'\''s $f" >&2 && return 1 ;;
		esac
	done &&
	: >h/go && wait_for test -e on2.rc -a -e on3.rc && wait &&
	assert_eq 0 "$(cat on2.rc)" "exit of the second" &&
	assert_eq 0 "$(cat on3.rc)" "exit of the third" &&
	assert_eq 2 "$(git rev-list --count "$before..refs/gt/ledger")" "commits" &&
	assert_eq 2 "$(git log -1 --format=%B refs/gt/ledger | grep -c "^Gt-Op: gt-bead-add by ")" \
		"operations in the second commit" &&
	git log -1 --skip=1 --format=%B refs/gt/ledger | grep -qx "Gt-Bead: t-on1" &&
	# nothing waits any more: it lets the lock go and ends
	wait_for sh -c "! kill -0 $c" && gt-bead-show t-on3 >/dev/null
'

test_expect_success 'GT_LEDGER_GO_ON=0: the oldest writer waiting commits for the others' '
	cd l && rm -rf h && mkdir h && before=$(ledger_tip) &&
	{ ( set +e; GT_LEDGER_GO_ON=0 GT_COMMIT_HOLD=$PWD/h gt-bead-add -q --id t-off1 "first" \
		>/dev/null; echo $? >off1.rc ) & } &&
	wait_for sh -c "ls h | grep -q ^held" && w1=$(held_but 0) &&
	for i in 2 3; do
		( set +e; gt-bead-add -q --id "t-off$i" "next $i" >/dev/null 2>"off$i.err"
		  echo $? >"off$i.rc" ) &
	done &&
	queued 2 && : >h/go &&
	wait_for test -e off1.rc -a -e off2.rc -a -e off3.rc && wait &&
	assert_eq "0 0 0" "$(cat off1.rc off2.rc off3.rc | tr "\n" " " | sed "s/ $//")" "exits" &&
	assert_eq "" "$(held_but "$w1")" "committers held after the first" &&
	assert_eq 2 "$(git rev-list --count "$before..refs/gt/ledger")" "commits"
'

test_expect_success 'on a busy machine a writer that finds the lock free hands its commit over' '
	cd l && rm -rf h && mkdir h && before=$(ledger_tip) &&
	{ ( set +e; GT_LEDGER_HAND_OVER=1 GT_COMMIT_HOLD=$PWD/h \
		gt-bead-add --id t-ho1 "handed over" >ho1.out 2>ho1.err
	    echo $? >ho1.rc ) & } &&
	wait_for sh -c "ls h | grep -q ^held" && c=$(held_but 0) &&
	# the committer holding it is detached, and the writer waits for it
	test "$(cut -d" " -f6 "/proc/$c/stat")" != "$(cut -d" " -f6 /proc/$$/stat)" &&
	assert_eq /dev/null "$(readlink "/proc/$c/fd/1")" "the committer'\''s standard output" &&
	test ! -e ho1.rc && queued 1 &&
	: >h/go && wait_for test -e ho1.rc && wait &&
	assert_eq 0 "$(cat ho1.rc)" "the writer'\''s exit" &&
	assert_eq t-ho1 "$(cat ho1.out)" "what it printed" &&
	assert_eq 1 "$(git rev-list --count "$before..refs/gt/ledger")" "commits" &&
	git log -1 --format=%B refs/gt/ledger | grep -qx "Gt-Bead: t-ho1" &&
	wait_for sh -c "! kill -0 $c" &&
	assert_eq 0 "$(ls .git/gt/queue | grep -c "\.q$")" "queue files left"
'

test_expect_success 'handed over: conflicting claims, one wins, the rest exit 4' '
	cd l && gt-bead-add -q --id t-prize2 "prize" &&
	for i in 1 2 3 4 5 6; do
		( set +e; GT_LEDGER_HAND_OVER=1 gt-bead-update --claim --actor "c$i" t-prize2 \
			>/dev/null 2>"hcerr$i"; echo $? >"hcrc$i" ) &
	done && wait &&
	assert_eq 1 "$(cat hcrc? | grep -c "^0$")" "claims that won" &&
	assert_eq 5 "$(cat hcrc? | grep -c "^4$")" "claims refused" &&
	n=$(grep -l "^0$" hcrc? | sed "s/hcrc//") &&
	assert_eq "c$n" "$(gt-bead-show --json t-prize2 | jq -r .assignee)" "the assignee"
'

test_expect_success 'handed over: 64 writers with conflicting updates lose nothing' '
	cd l && GT_LEDGER_HAND_OVER=1 && export GT_LEDGER_HAND_OVER &&
	mass_write t-counter2 mass2
'

test_expect_success 'GT_LEDGER_GROUP=0: one writer at a time, one commit per write' '
	cd l && before=$(ledger_tip) &&
	for i in 1 2 3 4 5 6 7 8; do
		GT_LEDGER_GROUP=0 gt-bead-add -q "serial $i" >/dev/null &
	done && wait &&
	assert_eq 8 "$(git rev-list --count "$before..refs/gt/ledger")" &&
	! git log --format=%B "$before..refs/gt/ledger" | grep -q "^Gt-Op:"
'

test_done
