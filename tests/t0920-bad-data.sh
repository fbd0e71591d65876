#!/bin/sh
# A ledger that survives bad data (issue 14): times from year 1 to 9999,
# ids that would be paths, dependency loops, numbers too big for their
# field, and the temporary files killed writers leave behind.  The C side
# of the same is tests/unit/t-baddata.c.
. "$(dirname "$0")/lib/test.sh"

ORACLE=$TEST_DIR/lib/ready-oracle.jq

# one Beads line: id, status, [deps as a JSON array], [extra fields]
line() {
	printf '{"id":"%s","title":"%s","status":"%s","priority":2,"issue_type":"task","created_at":"%s","updated_at":"%s"%s%s}\n' \
		"$1" "$1" "$2" "${C:-2026-01-01T00:00:00Z}" "${C:-2026-01-01T00:00:00Z}" \
		"${X:+,$X}" "${D:+,\"dependencies\":$D}"
}
dep() { # issue type target
	printf '{"issue_id":"%s","depends_on_id":"%s","type":"%s"}' "$1" "$3" "$2"
}
tip() { git rev-parse -q --verify refs/gt/ledger; }

# ---- 1. times: years 1 to 9999 ----

test_expect_success 'a bead deferred until 9999 is not ready' '
	new_ledger t && cd t &&
	far=$(gt-bead-add far) && later=$(gt-bead-add later) && gone=$(gt-bead-add gone) &&
	gt-bead-update --defer-until 9999-12-31T23:59:59Z "$far" &&
	gt-bead-update --defer-until 2262-04-12T00:00:00Z "$later" &&
	gt-bead-update --defer-until 0001-01-01T00:00:00Z "$gone" &&
	gt-ready -n 0 --json | jq -r .id >got &&
	assert_eq "$gone" "$(cat got)" &&
	gt-ready -n 0 --include-deferred --json | jq -r .id | sort >got &&
	printf "%s\n" "$far" "$later" "$gone" | sort >want && test_cmp_files want got
'

test_expect_success 'far times keep their canonical form' '
	cd t &&
	far=$(gt-ready -n 0 --include-deferred --json | jq -r "select(.title == \"far\") | .id") &&
	assert_eq 9999-12-31T23:59:59Z "$(gt-bead-show --json "$far" | jq -r .defer_until)" &&
	gt-bead-show "$far" | grep -q "^deferred: *9999-12-31T23:59:59Z$"
'

test_expect_success 'the children of a bead deferred until 9999 wait with it' '
	cd t &&
	far=$(gt-ready -n 0 --include-deferred --json | jq -r "select(.title == \"far\") | .id") &&
	kid=$(gt-bead-add --parent "$far" kid) &&
	! gt-ready -n 0 --json | jq -r .id | grep -qx "$kid"
'

test_expect_success 'years 1 to 9999 import, sort by age and export byte for byte' '
	new_ledger y && cd y && {
	C=0001-01-01T00:00:00Z line y-1 open
	C=1677-09-21T00:12:43Z line y-2 open
	C=1970-01-01T00:00:00Z line y-3 open
	C=2262-04-11T23:47:16.854775807Z line y-4 open
	C=2262-04-11T23:47:16.854775808Z line y-5 open
	C=2262-04-12T00:00:00-23:59 line y-6 open
	C=9999-12-31T23:59:59.999999999Z line y-7 open
	C=9999-12-31T23:59:59-23:59 X="\"defer_until\":\"9999-12-31T23:59:59.5Z\"" line y-8 open
	} >in.jsonl &&
	gt-bead-import -q in.jsonl &&
	gt-bead-export >out.jsonl && test_cmp_files in.jsonl out.jsonl &&
	gt-ready -n 0 --sort oldest --json | jq -r .id | tr "\n" " " >got &&
	assert_eq "y-1 y-2 y-3 y-4 y-5 y-6 y-7 " "$(cat got)" &&
	gt-bead-list --sort created --json | jq -r .id | tr "\n" " " >got &&
	assert_eq "y-8 y-7 y-6 y-5 y-4 y-3 y-2 y-1 " "$(cat got)"
'

test_expect_success 'import policy newer compares updated_at past 2262 too' '
	cd y &&
	C=2300-01-01T00:00:00Z line y-u open >u1.jsonl && gt-bead-import -q u1.jsonl &&
	C=2400-01-01T00:00:00Z line y-u open | sed "s/\"title\":\"y-u\"/\"title\":\"newer\"/" >u2.jsonl &&
	gt-bead-import --json u2.jsonl | jq -e ".updated == 1" &&
	assert_eq newer "$(gt-bead-show --json y-u | jq -r .title)" &&
	gt-bead-import --json u1.jsonl | jq -e ".kept_existing == 1" &&
	assert_eq newer "$(gt-bead-show --json y-u | jq -r .title)"
'

test_expect_success 'impossible dates are refused (5), naming the line' '
	cd y &&
	before=$(tip) &&
	C=2023-02-29T00:00:00Z line y-9 open >bad.jsonl &&
	expect_code 5 gt-bead-import bad.jsonl 2>err &&
	grep -q "bad.jsonl: line 1: .*created_at" err &&
	expect_code 5 gt-bead-update --defer-until 2023-04-31 y-1 &&
	printf "{\"id\":\"y-1\",\"ts\":\"2026-01-01T00:00:00Z\"}\n{\"id\":\"y-2\",\"ts\":\"2026-02-30T00:00:00Z\"}\n" >del.jsonl &&
	expect_code 5 gt-bead-import del.jsonl 2>err &&
	grep -q "del.jsonl: line 2: ts: .2026-02-30T00:00:00Z. is not a time" err &&
	assert_eq "$before" "$(tip)"
'

# ---- 2. ids that would be paths ----

test_expect_success 'setup: a ledger to attack' '
	new_ledger p && cd p &&
	line p-ok open >ok.jsonl && gt-bead-import -q ok.jsonl
'

# import_refused FILE LINE: exit 5 naming the line, the ledger untouched
import_refused() {
	before=$(tip) &&
	expect_code 5 gt-bead-import "$1" 2>err &&
	grep -q "$1: line $2: .*\.\./\.\./etc/passwd" err &&
	assert_eq "$before" "$(tip)" &&
	! git ls-tree -r --name-only refs/gt/ledger | grep -q passwd
}

test_expect_success 'a bead id ../../etc/passwd is refused' '
	cd p && {
	line p-a open
	line ../../etc/passwd open
	} >a.jsonl && import_refused a.jsonl 2
'

test_expect_success 'a dependency on ../../etc/passwd is refused' '
	cd p && {
	line p-a open
	D="[$(dep p-b blocks ../../etc/passwd)]" line p-b open
	} >b.jsonl && import_refused b.jsonl 2
'

test_expect_success 'a parent ../../etc/passwd is refused, as an edge or a parent key' '
	cd p &&
	D="[$(dep p-c parent-child ../../etc/passwd)]" line p-c open >c.jsonl &&
	import_refused c.jsonl 1 &&
	X="\"parent\":\"../../etc/passwd\"" line p-c open >c2.jsonl &&
	import_refused c2.jsonl 1
'

test_expect_success 'a dependency on a path in an edge issue_id is refused' '
	cd p &&
	D="[$(dep ../../etc/passwd blocks p-ok)]" line p-d open >d.jsonl &&
	import_refused d.jsonl 1
'

test_expect_success 'backup rows naming a path are refused, also for a bead already here' '
	cd p && {
	dep p-ok blocks p-x && echo
	dep p-ok parent-child ../../etc/passwd && echo
	} >rows.jsonl && import_refused rows.jsonl 2 &&
	printf "{\"issue_id\":\"../../etc/passwd\",\"label\":\"x\"}\n" >labels.jsonl &&
	import_refused labels.jsonl 1 &&
	printf "{\"id\":\"../../etc/passwd\",\"ts\":\"2026-01-01T00:00:00Z\",\"by\":\"x\"}\n" >del.jsonl &&
	import_refused del.jsonl 1 &&
	gt-bead-show --json p-ok | jq -e "has(\"dependencies\") | not"
'

test_expect_success 'gt-bead-add refuses the same target' '
	cd p && before=$(tip) &&
	expect_code 5 gt-bead-add --deps ../../etc/passwd x 2>/dev/null ||
		expect_code 3 gt-bead-add --deps ../../etc/passwd x &&
	assert_eq "$before" "$(tip)"
'

test_expect_success 'a hand-made edge to a path is a problem for gt-maintain' '
	cd p &&
	blob=$(printf "%s\n" "$(D="[$(dep p-ok blocks ../../etc/passwd)]" line p-ok open)" | git hash-object -w --stdin) &&
	path=$(git ls-tree -r --name-only refs/gt/ledger beads | grep "/p-ok.json$") &&
	GIT_INDEX_FILE=$TRASH/hand.idx git read-tree refs/gt/ledger &&
	GIT_INDEX_FILE=$TRASH/hand.idx git update-index --add --cacheinfo "100644,$blob,$path" &&
	tree=$(GIT_INDEX_FILE=$TRASH/hand.idx git write-tree) &&
	git update-ref refs/gt/ledger "$(git commit-tree -p refs/gt/ledger -m hand "$tree")" &&
	expect_code 5 gt-maintain --no-repack 2>err &&
	grep -q "problem: .*p-ok.*\.\./\.\./etc/passwd" err
'

# ---- 2b. self-dependencies and loops: kept, named, deterministic ----

test_expect_success 'setup: loops come in with Beads data and are kept' '
	new_ledger c && cd c && {
	line c-free open
	D="[$(dep c-self blocks c-self)]" line c-self open
	D="[$(dep c-r1 blocks c-r2)]" line c-r1 open
	D="[$(dep c-r2 blocks c-r3)]" line c-r2 open
	D="[$(dep c-r3 blocks c-r1)]" line c-r3 open
	D="[$(dep c-r1.1 parent-child c-r1)]" line c-r1.1 open
	D="[$(dep c-p1 parent-child c-p2)]" line c-p1 open
	D="[$(dep c-p2 parent-child c-p1)]" line c-p2 open
	D="[$(dep c-w waits-for c-w)]" line c-w open
	D="[$(dep c-w.1 parent-child c-w)]" line c-w.1 closed
	} | sort >in.jsonl &&
	gt-bead-import -q in.jsonl &&
	gt-bead-export >out.jsonl && test_cmp_files in.jsonl out.jsonl
'

test_expect_success 'gt-maintain names every loop, as warnings' '
	cd c &&
	gt-maintain --no-repack --json >st 2>err &&
	jq -e ".problems == 0 and .self_dependencies == 2 and .dependency_cycles == 2" st &&
	grep -qx "gt-maintain: warning: bead .c-self. depends on itself (blocks)" err &&
	grep -qx "gt-maintain: warning: bead .c-w. depends on itself (waits-for)" err &&
	grep -qx "gt-maintain: warning: dependency cycle: c-r1 -> c-r2 -> c-r3 -> c-r1" err &&
	grep -qx "gt-maintain: warning: dependency cycle: c-p1 -> c-p2 -> c-p1" err &&
	gt-maintain --no-repack 2>/dev/null |
		grep -qx "ledger: 10 beads checked, 0 problems, 2 self-dependencies, 2 dependency cycles"
'

test_expect_success 'a bead blocked by itself or by a loop is blocked, the loop named' '
	cd c &&
	gt-blocked --json | jq -r "[.id, (.blocked_by | join(\",\"))] | @tsv" | sort >got &&
	cat >want <<-EOT &&
	c-r1	c-r2
	c-r1.1	c-r1
	c-r2	c-r3
	c-r3	c-r1
	c-self	c-self
	EOT
	test_cmp_files want got &&
	gt-ready -n 0 --json | jq -r .id | sort | tr "\n" " " >got &&
	assert_eq "c-free c-p1 c-p2 c-w " "$(cat got)" &&
	jq -s -r --argjson now 0 --arg mode ready -f "$ORACLE" in.jsonl | tr "\n" " " >want &&
	assert_eq "$(cat want)" "$(cat got)"
'

test_expect_success 'closing a bead of the loop frees the one waiting on it' '
	cd c &&
	gt-bead-close c-r3 &&
	gt-blocked --json | jq -r .id | sort | tr "\n" " " >got &&
	assert_eq "c-r1 c-r1.1 c-self " "$(cat got)" &&
	gt-ready -n 0 --json | jq -r .id | grep -qx c-r2
'

# Y has two parents, X (first) and D (blocked); X has parent Y.  Blocked
# passes down: D, then Y, then X, whichever of X and Y is asked about
# first.  Both namings are tried, so that Y comes first in the index in one
# of them.
order_test() { # X Y
	test_expect_success "parent-child loops: the answer does not depend on order ($1 under $2)" "
		new_ledger '$1' && cd '$1' && {
		line o-z open
		D='[$(dep o-d blocks o-z)]' line o-d open
		D='[$(dep "$1" parent-child "$2")]' line '$1' open
		D='[$(dep "$2" parent-child "$1"),$(dep "$2" parent-child o-d)]' line '$2' open
		} >in.jsonl &&
		gt-bead-import -q in.jsonl &&
		assert_eq o-z \"\$(gt-ready -n 0 --json | jq -r .id | tr '\n' ' ' | sed 's/ \$//')\" &&
		gt-blocked --json | jq -r '[.id, (.blocked_by | join(\",\"))] | @tsv' | sort >got &&
		jq -s -r --argjson now 0 --arg mode blocked -f '$ORACLE' in.jsonl >want &&
		test_cmp_files want got &&
		assert_eq 3 \"\$(wc -l <got)\"
	"
}
order_test o-a o-b
order_test o-b o-a

# ---- 3. hostile numbers ----

test_expect_success 'priority 1e20 in an import is refused (5), nothing written' '
	new_ledger n && cd n && before=$(tip) &&
	line n-a open | sed "s/\"priority\":2/\"priority\":1e20/" >p.jsonl &&
	expect_code 5 gt-bead-import p.jsonl 2>err &&
	grep -q "p.jsonl: line 1: bead .n-a.: field .priority. is out of range" err &&
	line n-a open | sed "s/\"priority\":2/\"priority\":99999999999999999999999/" >p2.jsonl &&
	expect_code 5 gt-bead-import p2.jsonl &&
	assert_eq "$before" "$(tip)"
'

test_expect_success 'huge exponents are refused (5), naming line and column' '
	cd n && before=$(tip) && {
	line n-a open
	X="\"x_extra\":1e99999" line n-b open
	} >e.jsonl &&
	expect_code 5 gt-bead-import e.jsonl 2>err &&
	grep -q "e.jsonl: line 2, column [0-9]*: number out of range" err &&
	printf "{\"issue_id\":\"n-a\",\"depends_on_id\":\"n-b\",\"type\":\"blocks\",\"n\":-1e400}\n" >e2.jsonl &&
	expect_code 5 gt-bead-import e2.jsonl &&
	assert_eq "$before" "$(tip)"
'

test_expect_success 'numbers too big on stdin are refused (5)' '
	cd n && before=$(tip) &&
	echo "{\"title\":\"x\",\"priority\":1e20}" | expect_code 5 gt-bead-add --stdin &&
	echo "{\"title\":\"x\",\"estimated_minutes\":1e20}" | expect_code 5 gt-bead-add --stdin 2>err &&
	grep -q "estimated_minutes. is out of range" err &&
	echo "{\"title\":\"x\",\"estimated_minutes\":1e999}" | expect_code 5 gt-bead-add --stdin &&
	assert_eq "$before" "$(tip)"
'

test_expect_success 'backup metadata that is no clean JSON stays the string it was' '
	cd n &&
	printf "%s\n" "{\"id\":\"n-m\",\"title\":\"m\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\",\"metadata\":\"{\\\"n\\\":1e999}\",\"pinned\":0}" >m.jsonl &&
	gt-bead-import -q m.jsonl &&
	assert_eq "{\"n\":1e999}" "$(gt-bead-show --json n-m | jq -r .metadata)"
'

test_expect_success 'a hand-made blob with hostile numbers and times: index survives' '
	cd n &&
	gt-bead-add -q h &&
	id=$(gt-bead-list --json | jq -r "select(.title == \"h\") | .id") &&
	printf "{\"id\":\"%s\",\"title\":\"h\",\"priority\":99999999999999999999999,\"estimated_minutes\":1e20,\"created_at\":\"9999-12-31T23:59:59Z\",\"updated_at\":\"0001-01-01T00:00:00Z\",\"defer_until\":\"9999-12-31T23:59:59Z\"}\n" "$id" >h.json &&
	blob=$(git hash-object -w h.json) &&
	path=$(git ls-tree -r --name-only refs/gt/ledger beads | grep "/$id.json$") &&
	GIT_INDEX_FILE=$TRASH/n.idx git read-tree refs/gt/ledger &&
	GIT_INDEX_FILE=$TRASH/n.idx git update-index --cacheinfo "100644,$blob,$path" &&
	tree=$(GIT_INDEX_FILE=$TRASH/n.idx git write-tree) &&
	git update-ref refs/gt/ledger "$(git commit-tree -p refs/gt/ledger -m hand "$tree")" &&
	! gt-ready -n 0 --json | jq -r .id | grep -qx "$id" &&
	gt-ready -n 0 --include-deferred --json | jq -r .id | grep -qx "$id" &&
	gt-bead-list --sort updated --json >/dev/null &&
	expect_code 5 gt-maintain --no-repack 2>err &&
	grep -q "problem: .*$id.*priority" err
'

test_expect_success 'a formula found past the first directory cooks (no leak)' '
	new_town && cd town &&
	gt-formula-cook --rig app --var issue=ap-1 mol-polecat-work >dag.json &&
	jq -e ".steps | length > 0" dag.json &&
	gt-formula-list >/dev/null
'

# ---- 4. what killed writers leave behind ----

test_expect_success 'gt-maintain removes stale tmp_pack_* and tmp_object_* files' '
	new_ledger k && cd k &&
	obj=$(git rev-parse --git-common-dir)/objects &&
	mkdir -p "$obj/pack" "$obj/ab" "$obj/cd" &&
	for f in pack/tmp_pack_Xk2j9a pack/tmp_idx_Xk2j9a ab/tmp_object_git2_q1w2e3 tmp_obj_r4t5y6 \
		pack/tmp_pack_fresh1 cd/tmp_obj_fresh2 pack/not-tmp ab/0123456789012345678901234567890123456789; do
		echo x >"$obj/$f"
	done &&
	for f in pack/tmp_pack_Xk2j9a pack/tmp_idx_Xk2j9a ab/tmp_object_git2_q1w2e3 tmp_obj_r4t5y6 pack/not-tmp; do
		touch -d "2 hours ago" "$obj/$f"
	done &&
	touch -d "50 minutes ago" "$obj/pack/tmp_pack_fresh1" &&
	gt-maintain --no-repack --json >st &&
	jq -e ".tmp_removed == 4" st &&
	for f in pack/tmp_pack_Xk2j9a pack/tmp_idx_Xk2j9a ab/tmp_object_git2_q1w2e3 tmp_obj_r4t5y6; do
		! test -e "$obj/$f" || die "$f is still there"
	done &&
	for f in pack/tmp_pack_fresh1 cd/tmp_obj_fresh2 pack/not-tmp ab/0123456789012345678901234567890123456789; do
		test -e "$obj/$f" || die "$f was removed"
	done &&
	gt-maintain --no-repack | grep -q "^objects: .*, 0 stale temporary files removed$" &&
	touch -d "3 hours ago" "$obj/pack/tmp_pack_fresh1" &&
	gt-maintain --no-repack | grep -q "^objects: .*, 1 stale temporary files removed$" &&
	! test -e "$obj/pack/tmp_pack_fresh1"
'

test_expect_success 'JSON is strict: bad escapes, numbers and control bytes are refused (fuzzing found them)' '
	cd t && before=$(tip) &&
	printf "{\"title\":\"a\\\\uzzzzb\"}\n" | expect_code 5 gt-bead-add --stdin 2>err && grep -q "bad .u escape" err &&
	for n in 01 -.5 1. 1.e5 -01; do
		printf "{\"title\":\"n\",\"priority\":%s}\n" "$n" | expect_code 5 gt-bead-add --stdin 2>err &&
		grep -q "malformed number" err || exit 1
	done &&
	printf "{\"title\":\"c\",\004\"priority\":1}\n" | expect_code 5 gt-bead-add --stdin 2>err &&
	grep -q "control character" err &&
	test "$(tip)" = "$before" &&
	printf "{\"title\":\"fine \\\\u00e9\",\"priority\":1e0}\n" | gt-bead-add --stdin >/dev/null
'

test_done
