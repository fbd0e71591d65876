#!/bin/sh
# Progress of long work (gt-bead-import, gt-sling of a batch, gt-maintain's
# repack (git's own), verify and history index, gt-bead-log building the
# history index, gt-refinery): a line on stderr when it is a terminal (run
# here in a real tmux pane, read back with capture-pane), nothing with -q,
# and nothing at all when stderr is a file; stdout (--json) never touched.
. "$(dirname "$0")/lib/test.sh"

SOCK=gt-progress-test

# in_pane NAME SCRIPT: run the sh script SCRIPT in a new tmux pane of a
# server of this test; "exit=N" is printed when it ends, and the pane
# stays (cat waits on the terminal) until the server is killed
in_pane() {
	cat >"$TRASH/$1.sh" <<EOF
cd "$TRASH" || exit 1
export PATH="$PATH" HOME="$HOME" GT_AUTO_MAINTAIN=0 NO_COLOR=1 LC_ALL=C TZ=UTC
export GIT_CONFIG_NOSYSTEM=1 TMUX_TMPDIR="$TMUX_TMPDIR"
unset TMUX TMUX_PANE
$2
echo "exit=\$?"
exec cat
EOF
	tmux -L "$SOCK" new-session -d -s "$1" -x 160 -y 40 "sh $TRASH/$1.sh"
}

# pane NAME: what the pane shows, trailing blanks trimmed
pane() {
	tmux -L "$SOCK" capture-pane -p -t "$1" | sed "s/[[:space:]]*\$//"
}

pane_ended() {
	pane "$1" | grep -q "^exit="
}

# N beads as Beads JSONL
beads_jsonl() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"id\":\"%s-%d\",\"title\":\"bead %d\",\"status\":\"open\"," \
				"\"priority\":2,\"issue_type\":\"task\"," \
				"\"created_at\":\"2025-01-01T00:00:00Z\"," \
				"\"updated_at\":\"2025-01-01T00:00:00Z\"}\n", p, i, i
	}'
}

test_expect_success 'setup: a ledger and files to import' '
	new_ledger l &&
	beads_jsonl 3000 t >big.jsonl &&
	beads_jsonl 1200 u >more.jsonl &&
	beads_jsonl 500 v >json.jsonl &&
	beads_jsonl 500 w >quiet.jsonl
'

test_expect_success 'gt-bead-import on a terminal: a progress line, finished with a newline' '
	in_pane imp "cd l && gt-bead-import ../big.jsonl" &&
	wait_for pane_ended imp &&
	pane imp >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	grep -qx "importing: 3,000/3,000 beads (100%)" screen &&
	# the summary on stdout comes on a line of its own after it
	grep -A1 "^importing: 3,000/3,000" screen | tail -n 1 | grep -q "^imported 3000 records" &&
	test "$(gt-bead-count --gt-dir l --status all | cut -f2)" -ge 3000
'

test_expect_success 'stderr to a file: not a byte of progress' '
	cd l &&
	gt-bead-import ../more.jsonl >out 2>err &&
	test ! -s err &&
	grep -q "^imported 1200 records" out &&
	gt-maintain --no-repack >out 2>err &&
	test ! -s err
'

test_expect_success '--json: stdout stays one JSON line while the terminal sees progress' '
	in_pane json "cd l && gt-bead-import --json ../json.jsonl >../imp.json" &&
	wait_for pane_ended json &&
	pane json >screen &&
	grep -qx "importing: 500/500 beads (100%)" screen &&
	test "$(wc -l <imp.json)" = 1 &&
	jq -e ".created == 500" imp.json >/dev/null
'

test_expect_success '-q: nothing on the terminal' '
	in_pane quiet "cd l && gt-bead-import -q ../quiet.jsonl" &&
	wait_for pane_ended quiet &&
	pane quiet >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	! grep -q "importing" screen &&
	test "$(grep -cv "^\$" screen)" = 1
'

test_expect_success 'gt-maintain on a terminal: verifying the shards' '
	in_pane maint "cd l && gt-maintain --no-repack" &&
	wait_for pane_ended maint &&
	pane maint >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	grep -qE "^verifying: ([0-9]+)/\\1 shards \\(100%\\)\$" screen
'

test_expect_success 'gt-maintain --repack on a terminal: git shows its progress as it packs' '
	in_pane repack "cd l && gt-maintain --repack" &&
	wait_for pane_ended repack &&
	pane repack >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	grep -q "^Enumerating objects: [0-9]*, done\.$" screen &&
	grep -q "^Writing objects: 100% ([0-9]*/[0-9]*), done\.$" screen &&
	grep -q "^objects: .* (repacked everything)" screen &&
	# -q on a terminal: none of it
	in_pane repack_q "cd l && gt-maintain -q --repack" &&
	wait_for pane_ended repack_q &&
	pane repack_q >screen_q &&
	grep -qx "exit=0" screen_q &&
	test "$(grep -cv "^\$" screen_q)" = 1 &&
	# to files: stderr empty, stdout the report alone
	cd l &&
	gt-maintain --repack >out 2>err &&
	test ! -s err &&
	test "$(wc -l <out)" = 3 &&
	gt-maintain --repack --json >out 2>err &&
	test ! -s err && jq -e ".repacked" out >/dev/null
'

# commas N: N with commas between thousands, as the progress line shows it
commas() {
	awk -v n="$1" 'BEGIN {
		s = ""
		while (n >= 1000) { s = sprintf(",%03d", n % 1000) s; n = int(n / 1000) }
		print n s
	}'
}

# history_stream N T0 FROM: a git fast-import stream of N commits on top
# of FROM, one a second from T0, each changing one of the beads t-h0 ..
# t-h19, whose shards ("id shard" lines) it reads from stdin
history_stream() {
	awk -v n="$1" -v t0="$2" -v from="$3" '{ sh[$1] = $2 }
	END {
		for (i = 1; i <= n; i++) {
			id = "t-h" (i % 20)
			printf "commit refs/gt/ledger\nauthor gen <gen@example.com> %d +0000\n" \
				"committer gen <gen@example.com> %d +0000\n", t0 + i, t0 + i
			printf "data <<END\ngt-bead-update: update %s: title\n\nGt-Bead: %s\nEND\n", id, id
			if (i == 1)
				printf "from %s\n", from
			printf "M 100644 inline beads/%s/%s.json\ndata <<END\n", sh[id], id
			printf "{\"id\":\"%s\",\"title\":\"rev %d\",\"status\":\"open\"," \
				"\"priority\":2,\"issue_type\":\"task\"," \
				"\"created_at\":\"2026-01-01T00:00:00Z\"," \
				"\"updated_at\":\"2026-01-01T00:00:00Z\"}\nEND\n\n", id, i
		}
	}'
}

# A ledger of 3000 more commits made at once, and no history index yet
# (gt-ledger(5)).
test_expect_success 'setup: a ledger with a long history and no history index' '
	new_ledger h && cd h &&
	for i in $(seq 0 19); do
		echo "t-h$i $(printf %s "t-h$i" | sha256sum | cut -c1-2)" || return 1
	done |
	history_stream 3000 "$(git log -1 --format=%ct refs/gt/ledger)" "$(ledger_tip)" >../stream &&
	git fast-import --quiet <../stream &&
	test "$(git rev-list --count refs/gt/ledger)" -gt 3000 &&
	gt-bead-show --json t-h7 | jq -e ".title == \"rev 2987\"" >/dev/null &&
	test ! -e .git/gt/index/history.idx
'

test_expect_success 'gt-maintain on a terminal: the history index built, its commits counted' '
	n=$(commas "$(git -C h rev-list --count refs/gt/ledger)") &&
	in_pane hist "cd h && gt-maintain --no-repack" &&
	wait_for pane_ended hist &&
	pane hist >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	grep -qx "indexing history: $n commits" screen &&
	# after the verifying line, before the report on stdout
	grep -A1 "^verifying: " screen | tail -n 1 | grep -qx "indexing history: $n commits" &&
	grep -A1 "^indexing history: " screen | tail -n 1 | grep -q "^objects: " &&
	test -s h/.git/gt/index/history.idx &&
	# up to date: nothing to walk, no line
	in_pane hist2 "cd h && gt-maintain --no-repack" &&
	wait_for pane_ended hist2 &&
	pane hist2 >screen2 &&
	grep -qx "exit=0" screen2 &&
	! grep -q "indexing history" screen2 &&
	# a commit more: one walked
	gt-bead-add --gt-dir h -q "one more" &&
	in_pane hist3 "cd h && gt-maintain --no-repack --no-verify" &&
	wait_for pane_ended hist3 &&
	pane hist3 >screen3 &&
	grep -qx "exit=0" screen3 &&
	grep -qx "indexing history: 1 commit" screen3
'

test_expect_success 'gt-maintain building the history index: -q and files see none of it' '
	rm h/.git/gt/index/history.idx &&
	in_pane hist_q "cd h && gt-maintain -q --no-repack" &&
	wait_for pane_ended hist_q &&
	pane hist_q >screen_q &&
	cat screen_q &&
	grep -qx "exit=0" screen_q &&
	test "$(grep -cv "^\$" screen_q)" = 1 &&
	test -s h/.git/gt/index/history.idx &&
	rm h/.git/gt/index/history.idx &&
	cd h &&
	gt-maintain --no-repack >out 2>err &&
	test ! -s err &&
	test "$(wc -l <out)" = 3 &&
	test -s .git/gt/index/history.idx &&
	rm .git/gt/index/history.idx &&
	gt-maintain --no-repack --json >out 2>err &&
	test ! -s err && jq -e ".problems == 0" out >/dev/null &&
	test -s .git/gt/index/history.idx
'

# gt-bead-log catches the history index up before it answers: a line only
# when that takes GT_PROGRESS_DELAY seconds (0 here: at once; by default
# 2, so that the log of a bead stands alone when a few commits are caught up)
test_expect_success 'gt-bead-log building the history index on a terminal: its commits counted' '
	n=$(commas "$(git -C h rev-list --count refs/gt/ledger)") &&
	rm h/.git/gt/index/history.idx &&
	in_pane log "cd h && GT_PROGRESS_DELAY=0 gt-bead-log -n 2 t-h7" &&
	wait_for pane_ended log &&
	pane log >screen &&
	cat screen &&
	grep -qx "exit=0" screen &&
	grep -qx "indexing history: $n commits" screen &&
	# the log after it, on lines of its own
	grep -A1 "^indexing history: " screen | tail -n 1 | grep -q "  gen  gt-bead-update: update t-h7: title  (" &&
	test "$(grep -c "^    title: rev " screen)" = 2 &&
	test -s h/.git/gt/index/history.idx &&
	# a few commits to catch up, well within the delay: no line
	gt-bead-update --gt-dir h -q t-h7 --title "rev last" &&
	in_pane log2 "cd h && gt-bead-log -n 1 t-h7" &&
	wait_for pane_ended log2 &&
	pane log2 >screen2 &&
	cat screen2 &&
	grep -qx "exit=0" screen2 &&
	! grep -q "indexing history" screen2 &&
	grep -qx "    title: rev 2987 -> rev last" screen2
'

test_expect_success 'gt-bead-log building the history index: -q and files see none of it' '
	rm h/.git/gt/index/history.idx &&
	in_pane log_q "cd h && GT_PROGRESS_DELAY=0 gt-bead-log -q -n 1 t-h7" &&
	wait_for pane_ended log_q &&
	pane log_q >screen_q &&
	cat screen_q &&
	grep -qx "exit=0" screen_q &&
	! grep -q "indexing history" screen_q &&
	grep -qx "    title: rev 2987 -> rev last" screen_q &&
	test -s h/.git/gt/index/history.idx &&
	rm h/.git/gt/index/history.idx &&
	cd h &&
	GT_PROGRESS_DELAY=0 gt-bead-log --json t-h7 >out 2>err &&
	test ! -s err &&
	test "$(wc -l <out)" = 151 &&
	test -s .git/gt/index/history.idx
'

test_expect_success 'gt-sling of a batch on a terminal: slinging N beads; none to a file' '
	new_town &&
	cd town &&
	for i in 1 2 3; do gt-bead-add "work $i"; done >../work &&
	gt-bead-add "alone" >../alone &&
	gt-bead-add "more 1" >../more && gt-bead-add "more 2" >>../more &&
	in_pane sling "cd town && gt-sling --no-start --no-convoy $(tr "\n" " " <../work) app" &&
	wait_for pane_ended sling &&
	pane sling >../screen &&
	cat ../screen &&
	grep -qx "exit=0" ../screen &&
	grep -qx "slinging: 3/3 beads (100%)" ../screen &&
	for b in $(cat ../work); do grep -q "^$b[[:space:]]*app/polecats/" ../screen || exit 1; done &&
	gt-sling --no-start --no-convoy $(cat ../more) app >out 2>err &&
	test ! -s err && test "$(wc -l <out)" = 2 &&
	# one bead is no batch: no line
	in_pane one "cd town && gt-sling --no-start --no-convoy $(cat ../alone) app" &&
	wait_for pane_ended one &&
	pane one >../screen1 &&
	grep -qx "exit=0" ../screen1 &&
	! grep -q "slinging" ../screen1
'

# play a polecat: a bead of rig app slung without a session, FILE gets
# a line, a commit, gt-done (a merge request)
submit() {
	_id=$(gt-bead-add --prefix app "$1") &&
	gt-sling --no-start --no-convoy "$_id" app >"$TRASH/sling.out" &&
	_p=$(cut -f2 "$TRASH/sling.out") &&
	_ws=$(gt-agent-show --json "$_p" | jq -r .workspace) &&
	echo "$1" >"$_ws/$2" &&
	git -C "$_ws" add -- "$2" && git -C "$_ws" commit -qm "$1" &&
	gt-done --json "$_p" | jq -e ".merge_request != null" >/dev/null
}

test_expect_success 'gt-refinery on a terminal: merging the rig, request by request' '
	cd town &&
	submit "first change" one.txt &&
	submit "second change" two.txt &&
	in_pane refinery "cd town && gt-refinery app" &&
	wait_for pane_ended refinery &&
	pane refinery >../screen &&
	cat ../screen &&
	grep -qx "exit=0" ../screen &&
	grep -qx "merging app: 2 requests" ../screen &&
	submit "third change" three.txt &&
	gt-refinery --json app >log 2>err &&
	test ! -s err &&
	jq -e "select(.outcome == \"merged\")" log >/dev/null &&
	# -q on a terminal: neither the progress line nor the outcomes
	submit "fourth change" four.txt && fourth=$_id &&
	in_pane refinery_q "cd town && gt-refinery -q app" &&
	wait_for pane_ended refinery_q &&
	pane refinery_q >../screen_q &&
	grep -qx "exit=0" ../screen_q &&
	{ ! grep -q "merging app\|merged" ../screen_q || die "-q printed: $(cat ../screen_q)"; } &&
	gt-bead-show --json "$fourth" | jq -e ".status == \"closed\"" >/dev/null
'

test_done
