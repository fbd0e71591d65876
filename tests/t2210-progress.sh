#!/bin/sh
# Progress of long work (gt-bead-import, gt-sling of a batch, gt-maintain's
# repack (git's own) and verify, gt-refinery): a line on stderr when it is a terminal (run here
# in a real tmux pane, read back with capture-pane), nothing with -q, and
# nothing at all when stderr is a file; stdout (--json) never touched.
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
