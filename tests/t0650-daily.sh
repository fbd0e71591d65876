#!/bin/sh
# What a bd user reaches for daily: gt-bead-count, gt-bead-search,
# gt-bead-edit, gt-bead-stale, gt-bead-dupes, and --format on gt-bead-list,
# gt-bead-show and gt-ready.
. "$(dirname "$0")/lib/test.sh"

ids() { jq -r .id | tr "\n" " " | sed "s/ \$//"; }

# one Beads line with its own times: id status type updated [assignee]
old() {
	printf '{"id":"%s","title":"Old %s","status":"%s","priority":2,"issue_type":"%s","created_at":"2019-01-01T00:00:00Z","updated_at":"%s"%s}\n' \
		"$1" "$1" "$2" "$3" "$4" "${5:+,\"assignee\":\"$5\"}"
}

test_expect_success 'setup' '
	printf "#!/bin/sh\necho more >>\"\$1\"\n" >"$TRASH/append" &&
	printf "#!/bin/sh\nprintf \"\\\\n\\\\n\" >>\"\$1\"\n" >"$TRASH/newlines" &&
	chmod +x "$TRASH/append" "$TRASH/newlines" &&
	new_ledger l && cd l &&
	gt-bead-add --id t-1 -p 0 -t bug -a alice -l ui -l urgent "Crash on start" &&
	gt-bead-add --id t-2 -p 1 -t feature -a bob -l ui "Dark mode" &&
	gt-bead-add --id t-3 -p 2 -l backend -d "the parser crashes on empty input" "Refactor db" &&
	gt-bead-add --id t-4 -p 3 -t chore --notes "mentions CRASH in the notes" "Update deps" &&
	gt-bead-add --id t-5 -p 2 -t bug "Closed crash" && gt-bead-close t-5 &&
	gt-bead-add --id t-6 "Deleted crash" && gt-bead-delete t-6 &&
	gt-bead-add --id t-7 -t bug -a alice --design "crash-proof design" "Harden input" &&
	gt-bead-update -s in_progress t-7
'

# ---- gt-bead-count ----

test_expect_success 'count: by status, what gt-bead-list lists' '
	cd l &&
	gt-bead-count >out &&
	printf "open\t4\nin_progress\t1\n" >want && test_cmp_files want out &&
	assert_eq "$(gt-bead-list -n 0 | wc -l | tr -d " ")" "$(gt-bead-count --total)" &&
	gt-bead-count --all >out &&
	printf "open\t4\nclosed\t1\nin_progress\t1\n" >want && test_cmp_files want out &&
	assert_eq 1 "$(gt-bead-count -s tombstone --total)"
'

test_expect_success 'count: --by type, assignee (none last), label, priority' '
	cd l &&
	gt-bead-count --by type >out &&
	printf "bug\t2\nchore\t1\nfeature\t1\ntask\t1\n" >want && test_cmp_files want out &&
	gt-bead-count --by assignee >out &&
	printf "alice\t2\nbob\t1\n-\t2\n" >want && test_cmp_files want out &&
	gt-bead-count --by label >out &&
	printf "ui\t2\nbackend\t1\nurgent\t1\n-\t2\n" >want && test_cmp_files want out &&
	gt-bead-count --by priority --all >out &&
	printf "P0\t1\nP1\t1\nP2\t3\nP3\t1\n" >want && test_cmp_files want out
'

test_expect_success 'count: filters narrow what is counted' '
	cd l &&
	assert_eq 2 "$(gt-bead-count -t bug --total)" &&
	assert_eq 3 "$(gt-bead-count -t bug --all --total)" &&
	assert_eq 2 "$(gt-bead-count -a alice --total)" &&
	assert_eq 3 "$(gt-bead-count -a alice,bob --total)" &&
	assert_eq 2 "$(gt-bead-count --no-assignee --total)" &&
	assert_eq 1 "$(gt-bead-count -l ui -l urgent --total)" &&
	assert_eq "in_progress	1" "$(gt-bead-count -s in_progress)"
'

test_expect_success 'count: --json is one object' '
	cd l &&
	gt-bead-count --json >out &&
	assert_eq 1 "$(wc -l <out | tr -d " ")" &&
	jq -e ".by == \"status\" and .total == 5 and .counts == {open: 4, in_progress: 1}" out &&
	gt-bead-count --by assignee --json |
		jq -e ".counts == {alice: 2, bob: 1, \"\": 2} and .total == 5" &&
	gt-bead-count --by priority --json | jq -e ".counts.P0 == 1"
'

test_expect_success 'count: usage errors exit 2' '
	cd l &&
	expect_code 2 gt-bead-count --by colour 2>err && grep -q "unknown --by" err &&
	expect_code 2 gt-bead-count extra
'

# ---- gt-bead-search ----

test_expect_success 'search: any case, every text field, title matches first' '
	cd l &&
	assert_eq "t-1 t-5 t-7 t-3 t-4" "$(gt-bead-search CRASH --json | ids)"
'

test_expect_success 'search: --status and --type filter; deleted ones only by name' '
	cd l &&
	assert_eq "t-1 t-5" "$(gt-bead-search crash -t bug -s open,closed --json | ids)" &&
	assert_eq "t-1 t-7 t-3 t-4" "$(gt-bead-search crash -s open,in_progress --json | ids)" &&
	assert_eq "t-6" "$(gt-bead-search crash -s tombstone --json | ids)"
'

test_expect_success 'search: -n limits and says how many were left out' '
	cd l &&
	gt-bead-search crash -n 2 >out 2>err &&
	assert_eq "t-1 t-5" "$(cut -f1 out | tr "\n" " " | sed "s/ \$//")" &&
	grep -q "showing 2 of 5; -n 0 shows all" err &&
	gt-bead-search crash -n 0 >out 2>err &&
	assert_eq 5 "$(wc -l <out | tr -d " ")" && [ ! -s err ]
'

test_expect_success 'search: table, -z and an empty answer' '
	cd l &&
	assert_eq "t-1	P0	open	bug	alice	Crash on start" "$(gt-bead-search start)" &&
	gt-bead-search dark -z | tr "\0" "\n" | grep -qx t-2 &&
	gt-bead-search "no such words" >out && [ ! -s out ]
'

test_expect_success 'search: usage errors exit 2' '
	cd l &&
	expect_code 2 gt-bead-search &&
	expect_code 2 gt-bead-search "" &&
	expect_code 2 gt-bead-search two words &&
	expect_code 2 gt-bead-search x -n -1
'

# ---- gt-bead-edit ----

test_expect_success 'edit: the editor changes the description in one commit' '
	cd l &&
	gt-bead-update -d "first line" t-3 && tip=$(ledger_tip) &&
	EDITOR="sed -i s/first/second/" gt-bead-edit t-3 >out &&
	assert_eq t-3 "$(cat out)" &&
	assert_eq "second line" "$(gt-bead-show --json t-3 | jq -r .description)" &&
	assert_eq "$tip" "$(git rev-parse refs/gt/ledger~1)" &&
	git log -1 --format=%s refs/gt/ledger | grep -q "^gt-bead-edit: "
'

test_expect_success 'edit: the editor may take arguments; the file name is never shell text' '
	cd l &&
	mkdir -p "$TRASH/tmp dir \$(touch pwned)" &&
	TMPDIR="$TRASH/tmp dir \$(touch pwned)" EDITOR="sed -i -e s/second/third/" \
		gt-bead-edit t-3 &&
	[ ! -e pwned ] && [ ! -e "$TRASH/pwned" ] &&
	assert_eq "third line" "$(gt-bead-show --json t-3 | jq -r .description)" &&
	assert_eq "" "$(ls "$TRASH/tmp dir \$(touch pwned)")"
'

test_expect_success 'edit: $VISUAL comes before $EDITOR; --field picks the field' '
	cd l &&
	VISUAL="sed -i s/Harden/Toughen/" EDITOR=false gt-bead-edit --field title -q t-7 >out &&
	[ ! -s out ] &&
	assert_eq "Toughen input" "$(gt-bead-show --json t-7 | jq -r .title)" &&
	EDITOR="sed -i s/proof/resistant/" gt-bead-edit --field design --json t-7 >out &&
	jq -e ".design == \"crash-resistant design\"" out &&
	EDITOR="$TRASH/append" gt-bead-edit --field acceptance_criteria t-7 &&
	assert_eq "more" "$(gt-bead-show --json t-7 | jq -r .acceptance_criteria)"
'

test_expect_success 'edit: unchanged text writes nothing' '
	cd l &&
	tip=$(ledger_tip) &&
	EDITOR=true gt-bead-edit t-3 >out &&
	[ ! -s out ] && assert_eq "$tip" "$(ledger_tip)" &&
	EDITOR="$TRASH/newlines" gt-bead-edit t-1 >out && [ ! -s out ] &&
	assert_eq "$tip" "$(ledger_tip)"
'

test_expect_success 'edit: a change made meanwhile wins; the edit is kept in a file (exit 4)' '
	cd l &&
	cat >"$TRASH/racer" <<-\EOF &&
	#!/bin/sh
	gt-bead-update --notes "changed meanwhile" t-3 >/dev/null
	echo "my careful words" >"$1"
	EOF
	chmod +x "$TRASH/racer" &&
	mkdir -p "$TRASH/tmp" &&
	expect_code 4 env TMPDIR="$TRASH/tmp" EDITOR="$TRASH/racer" gt-bead-edit t-3 2>err &&
	grep -q "changed while it was edited" err &&
	kept=$(sed -n "s/^hint: the edited text is kept in .\\(.*\\).\$/\\1/p" err) &&
	[ -n "$kept" ] && [ -f "$kept" ] &&
	assert_eq "my careful words" "$(cat "$kept")" &&
	assert_eq "third line" "$(gt-bead-show --json t-3 | jq -r .description)" &&
	assert_eq "changed meanwhile" "$(gt-bead-show --json t-3 | jq -r .notes)"
'

test_expect_success 'edit: a failing editor, a bad title, bad usage' '
	cd l &&
	tip=$(ledger_tip) &&
	expect_code 7 env EDITOR=false gt-bead-edit t-3 2>err &&
	grep -q "editor .false. exited with 1" err &&
	mkdir -p "$TRASH/tmp2" &&
	expect_code 5 env TMPDIR="$TRASH/tmp2" EDITOR="$TRASH/append" \
		gt-bead-edit --field title t-3 2>err &&
	grep -q "kept in" err &&
	assert_eq "Refactor db more" "$(cat "$TRASH"/tmp2/* | tr "\n" " " | sed "s/ \$//")" &&
	assert_eq "$tip" "$(ledger_tip)" &&
	expect_code 2 env EDITOR=true gt-bead-edit --field colour t-3 &&
	expect_code 2 env EDITOR=true gt-bead-edit &&
	expect_code 2 env EDITOR=true gt-bead-edit t-1 t-2 &&
	expect_code 3 env EDITOR=true gt-bead-edit t-404
'

# ---- gt-bead-stale ----

test_expect_success 'stale: setup beads last touched long ago' '
	cd l && {
	old s-1 open task 2020-03-01T00:00:00Z
	old s-2 in_progress bug 2019-06-01T00:00:00Z carol
	old s-3 closed task 2019-01-02T00:00:00Z
	old s-4 blocked task 2019-01-03T00:00:00Z
	old s-5 open chore 2021-01-01T00:00:00Z
	} >old.jsonl && gt-bead-import -q old.jsonl
'

test_expect_success 'stale: open and in-progress beads, oldest first' '
	cd l &&
	assert_eq "s-2 s-1 s-5" "$(gt-bead-stale --json | ids)" &&
	assert_eq "s-2	P2	in_progress	bug	carol	Old s-2" "$(gt-bead-stale | head -1)"
'

test_expect_success 'stale: --days, filters and the limit' '
	cd l &&
	assert_eq "" "$(gt-bead-stale --days 100000 --json | ids)" &&
	days=$(( ($(date +%s) - $(date -d 2020-12-01 +%s)) / 86400 )) &&
	assert_eq "s-2 s-1" "$(gt-bead-stale --days "$days" --json | ids)" &&
	assert_eq "s-2" "$(gt-bead-stale -t bug --json | ids)" &&
	assert_eq "s-2" "$(gt-bead-stale -a carol --json | ids)" &&
	assert_eq "s-3 s-4" "$(gt-bead-stale -s closed,blocked --json | ids)" &&
	gt-bead-stale -n 1 >out 2>err && grep -q "showing 1 of 3" err
'

test_expect_success 'stale: usage errors exit 2' '
	cd l &&
	expect_code 2 gt-bead-stale --days -1 &&
	expect_code 2 gt-bead-stale --days soon &&
	expect_code 2 gt-bead-stale extra
'

# ---- gt-bead-dupes ----

test_expect_success 'dupes: setup a ledger with near duplicates' '
	new_ledger d d && cd d &&
	gt-bead-add --id d-1 "Crash on empty input" &&
	gt-bead-add --id d-2 "crash on EMPTY input!" &&
	gt-bead-add --id d-3 "Crash on empty input file" &&
	gt-bead-add --id d-4 "Something else entirely" &&
	gt-bead-add --id d-5 "???" && gt-bead-add --id d-6 "???" &&
	gt-bead-add --id d-7 "Crash on empty input" && gt-bead-close d-7 &&
	gt-bead-add --id d-8 -t message "Crash on empty input"
'

test_expect_success 'dupes: pairs above the threshold, most similar first' '
	cd d &&
	gt-bead-dupes >out &&
	printf "%s\n" \
		"d-1	d-2	1.00	Crash on empty input | crash on EMPTY input!" \
		"d-5	d-6	1.00	??? | ???" \
		"d-1	d-3	0.80	Crash on empty input | Crash on empty input file" \
		"d-2	d-3	0.80	crash on EMPTY input! | Crash on empty input file" >want &&
	test_cmp_files want out &&
	gt-bead-dupes --threshold 1 | cut -f1,2 >out &&
	printf "d-1\td-2\nd-5\td-6\n" >want && test_cmp_files want out &&
	gt-bead-dupes --threshold 0.1 >out && ! grep -q d-4 out && grep -q "^d-1	d-3" out
'

test_expect_success 'dupes: --type names the types compared (internal ones too)' '
	cd d &&
	gt-bead-dupes -t message >out && [ ! -s out ] &&
	gt-bead-dupes -t message,task --threshold 1 | cut -f1,2 >out &&
	grep -qx "d-1	d-8" out
'

test_expect_success 'dupes: --json lines' '
	cd d &&
	gt-bead-dupes --json >out &&
	assert_eq 4 "$(wc -l <out | tr -d " ")" &&
	head -1 out | jq -e ". == {id1: \"d-1\", id2: \"d-2\", score: 1,
		title1: \"Crash on empty input\", title2: \"crash on EMPTY input!\"}" &&
	tail -1 out | jq -e ".score == 0.8"
'

test_expect_success 'dupes: a bad threshold exits 2' '
	cd d &&
	expect_code 2 gt-bead-dupes --threshold 0 &&
	expect_code 2 gt-bead-dupes --threshold 1.5 &&
	expect_code 2 gt-bead-dupes --threshold high
'

# ---- --format ----

test_expect_success 'format: gt-bead-list fields and escapes' '
	cd l &&
	gt-bead-list -l ui --format "{{id}}\\t{{ .title }}|{{priority}}|{{type}}|{{assignee}}|{{labels}}|{{status}}\\\\" >out &&
	printf "%s\n" "t-1	Crash on start|0|bug|alice|ui,urgent|open\\" \
		"t-2	Dark mode|1|feature|bob|ui|open\\" >want &&
	test_cmp_files want out &&
	gt-bead-list --id t-3 --format "{{assignee}}<{{labels}}>\\n." >out &&
	printf "<backend>\n.\n" >want && test_cmp_files want out &&
	gt-bead-list -l ui --format "{{id}}" -z | tr "\0" "\n" >out &&
	printf "t-1\nt-2\n" >want && test_cmp_files want out
'

test_expect_success 'format: gt-bead-show and gt-ready' '
	cd l &&
	assert_eq "t-1 open alice" "$(gt-bead-show --format "{{id}} {{status}} {{assignee}}" t-1)" &&
	gt-bead-show --format "{{id}}" t-1 t-2 >out &&
	printf "t-1\nt-2\n" >want && test_cmp_files want out &&
	echo t-2 | gt-bead-show --stdin --format "{{title}}" >out &&
	assert_eq "Dark mode" "$(cat out)" &&
	gt-ready -n 2 --format "{{id}}:{{priority}}" >out &&
	printf "t-1:0\nt-2:1\n" >want && test_cmp_files want out
'

test_expect_success 'format: control characters in a field stay on the line' '
	cd l &&
	printf "{\"id\":\"t-nl\",\"title\":\"two\\\\nlines\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}\n" >nl.jsonl &&
	gt-bead-import -q nl.jsonl &&
	assert_eq "two lines" "$(gt-bead-show --format "{{title}}" t-nl)"
'

test_expect_success 'format: unknown fields and bad templates are usage errors' '
	cd l &&
	expect_code 2 gt-bead-list --format "{{id}} {{colour}}" 2>err &&
	grep -q "unknown field .{{colour}}.; known: {{id}} {{title}}" err &&
	expect_code 2 gt-ready --format "{{nope}}" 2>err && grep -q "{{assignee}} {{labels}}" err &&
	expect_code 2 gt-bead-show --format "{{id" t-1 2>err && grep -q "no closing" err &&
	expect_code 2 gt-bead-list --format "{{id}}" --json &&
	expect_code 2 gt-bead-show --format "{{}}" t-1
'

test_done
