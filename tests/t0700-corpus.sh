#!/bin/sh
# Real Beads data (../shared/corpus): every shape imports, re-importing
# changes nothing, exports reproduce the files (byte for byte for the big
# era C file, same meaning for the rest), and ready/blocked agree with an
# independent implementation of Beads' rules (tests/lib/ready-oracle.jq).
. "$(dirname "$0")/lib/test.sh"

BIG=$CORPUS/beads-2026-01-21-issues.jsonl
ORACLE=$TEST_DIR/lib/ready-oracle.jq
NOW=$(date -u +%s)

test_expect_success 'the corpus is there' '[ -f "$BIG" ]'

test_expect_success 'import the big era C file: one pack, no loose objects' '
	new_ledger big bd && cd big &&
	test "$(git count-objects | cut -d" " -f1)" -gt 0 &&
	gt-bead-import --json "$BIG" >st &&
	jq -e ".records == 5722 and .created == 5722" st &&
	assert_eq 0 "$(git count-objects | cut -d" " -f1)" "loose objects (gt-init'"'"'s packed too)" &&
	assert_eq 1 "$(git count-objects -v | sed -n "s/^packs: //p")" "packs" &&
	git verify-pack .git/objects/pack/pack-*.idx &&
	git fsck --no-dangling refs/gt/ledger
'

test_expect_success 'its export is the file, byte for byte' '
	cd big && gt-bead-export >out.jsonl && cmp out.jsonl "$BIG"
'

test_expect_success 're-importing changes nothing' '
	cd big && before=$(ledger_tip) &&
	gt-bead-import --json "$BIG" | jq -e ".unchanged == 5722 and .created == 0" &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'the ledger verifies clean' '
	cd big && gt-maintain --no-repack --json | jq -e ".problems == 0 and .verified == 5722"
'

test_expect_success 'ready on the big file agrees with the oracle' '
	cd big &&
	jq -s -r --argjson now "$NOW" --arg mode ready -f "$ORACLE" "$BIG" >want &&
	[ -s want ] &&
	gt-ready -n 0 --json | jq -r .id | sort >got &&
	diff -u want got
'

test_expect_success 'blocked on the big file agrees with the oracle' '
	cd big &&
	jq -s -r --argjson now "$NOW" --arg mode blocked -f "$ORACLE" "$BIG" >want &&
	[ -s want ] &&
	gt-blocked --json | jq -r "[.id, (.blocked_by | join(\",\"))] | @tsv" | sort >got &&
	diff -u want got
'

test_expect_success 'era A (v0.9.2) round-trips with the same meaning' '
	new_ledger a bd && cd a &&
	gt-bead-import -q "$CORPUS/beads-v0.9.2-issues.jsonl" &&
	gt-bead-export >out.jsonl &&
	jq -S -c . "$CORPUS/beads-v0.9.2-issues.jsonl" | sort >want &&
	jq -S -c . out.jsonl | sort >got && diff -u want got
'

test_expect_success 'the bd list --json shape round-trips (--format list)' '
	new_ledger r bd && cd r &&
	gt-bead-import -q "$CORPUS/beads-root-issues.jsonl" &&
	gt-bead-export --format list | jq -S -c . >got &&
	jq -S -c . "$CORPUS/beads-root-issues.jsonl" >want && diff -u want got
'

test_expect_success 'the deletions manifest: last record wins, idempotent' '
	new_ledger d bd && cd d &&
	gt-bead-import --json "$CORPUS/beads-v0.26.0-deletions.jsonl" >st &&
	jq -e ".deletion_records == 17744 and .deleted == 10003" st &&
	gt-bead-export --format deletions | jq -S -c . >got &&
	jq -s -c "reduce .[] as \$r ({}; .[\$r.id] = \$r) | [.[]] | sort_by(.id)[]" \
		"$CORPUS/beads-v0.26.0-deletions.jsonl" | jq -S -c . >want &&
	diff -u want got &&
	before=$(ledger_tip) &&
	gt-bead-import -q "$CORPUS/beads-v0.26.0-deletions.jsonl" &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'the manifest does not delete a bead updated after it' '
	cd big &&
	id=$(jq -r "select(.status == \"open\") | .id" "$BIG" | head -1) &&
	printf "{\"id\":\"%s\",\"ts\":\"2000-01-01T00:00:00Z\",\"by\":\"x\"}\n" "$id" >old-del.jsonl &&
	gt-bead-import -q old-del.jsonl &&
	gt-bead-show --json "$id" | jq -e ".status == \"open\""
'

test_expect_success 'the gastown backup tables import, joined by issue_id' '
	new_ledger g gt && cd g &&
	gt-bead-import --json "$CORPUS"/gastown-backup-*.json* >st &&
	jq -e ".created == 677 and .events == 3667 and .config_keys == 17 and .orphan_rows == 0" st &&
	gt-bead-show --json gt-u7dxq | jq -e "[.dependencies[].depends_on_id] | length == 6" &&
	before=$(ledger_tip) &&
	gt-bead-import -q "$CORPUS"/gastown-backup-*.json* &&
	assert_eq "$before" "$(ledger_tip)" "re-import"
'

test_expect_success 'every backup table round-trips with the same meaning' '
	cd g && gt-bead-export --format backup -q -o bk &&
	for t in issues dependencies labels comments events config; do
		jq -S -c . "$CORPUS/gastown-backup-$t.jsonl" | sort >want &&
		jq -S -c . "bk/$t.jsonl" | sort >got &&
		diff -u want got >/dev/null || die "$t differs"
	done &&
	jq -e ".counts.issues == 677 and .counts.dependencies == 315" bk/backup_state.json
'

test_expect_success 'a backup directory imports as a whole' '
	new_ledger g2 gt && cd g2 &&
	gt-bead-import -q ../g/bk &&
	gt-bead-export >a && (cd ../g && gt-bead-export) >b && cmp a b
'

test_expect_success 'backup booleans and metadata became JSON values' '
	cd g &&
	gt-bead-list -s all --json -n 0 >all &&
	jq -s -e "map(select(.ephemeral == true)) | length == 18" all &&
	jq -s -e "all(.[]; (.ephemeral // false) | type == \"boolean\")" all &&
	jq -s -e "all(.[]; has(\"metadata\") | not or (.metadata | type == \"object\"))" all &&
	jq -s -e "all(.[]; has(\"timeout_ns\") | not)" all
'

test_expect_success 'ready and blocked on the gastown data agree with the oracle' '
	cd g &&
	jq -s -c "(map({key: .issue_id, value: []}) | from_entries) as \$e |
		reduce .[] as \$d (\$e; .[\$d.issue_id] += [\$d])" \
		"$CORPUS/gastown-backup-dependencies.jsonl" >deps.json &&
	jq -c --slurpfile deps deps.json \
		"if (.metadata | type) == \"string\" then .metadata |= fromjson else . end |
		 (if .pinned == 1 then .pinned = true else del(.pinned) end) |
		 (if .ephemeral == 1 then .ephemeral = true else del(.ephemeral) end) |
		 .dependencies = (\$deps[0][.id] // [])" \
		"$CORPUS/gastown-backup-issues.jsonl" >joined.jsonl &&
	jq -s -r --argjson now "$NOW" --arg mode ready -f "$ORACLE" joined.jsonl >want &&
	gt-ready -n 0 --json | jq -r .id | sort >got && diff -u want got &&
	jq -s -r --argjson now "$NOW" --arg mode blocked -f "$ORACLE" joined.jsonl >want &&
	gt-blocked --json | jq -r "[.id, (.blocked_by | join(\",\"))] | @tsv" | sort >got &&
	diff -u want got
'

test_expect_success 'type lines carry _type and computed counts' '
	cd big &&
	gt-bead-export --type-lines | head -1 | jq -e "._type == \"issue\" and has(\"dependency_count\") and has(\"dependent_count\") and has(\"comment_count\")" &&
	gt-bead-export --type-lines >tl &&
	new_ledger ../tl bd && cd ../tl && gt-bead-import -q ../big/tl &&
	gt-bead-export --no-tombstones >a && (cd ../big && gt-bead-export --no-tombstones) >b &&
	cmp a b
'

test_expect_success 'import policies: newer, incoming, existing' '
	new_ledger p bd && cd p &&
	printf "%s\n" "{\"id\":\"bd-x\",\"title\":\"v2\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-02-01T00:00:00Z\"}" >v2 &&
	sed "s/v2/v1/; s/2026-02-01/2026-01-15/" v2 >v1 &&
	sed "s/v2/v3/; s/2026-02-01/2026-03-01/" v2 >v3 &&
	gt-bead-import -q v2 &&
	gt-bead-import --json v1 | jq -e ".kept_existing == 1" &&
	assert_eq v2 "$(gt-bead-show --json bd-x | jq -r .title)" &&
	gt-bead-import --policy existing -q v3 &&
	assert_eq v2 "$(gt-bead-show --json bd-x | jq -r .title)" &&
	gt-bead-import --policy incoming -q v1 &&
	assert_eq v1 "$(gt-bead-show --json bd-x | jq -r .title)" &&
	gt-bead-import -q v3 &&
	assert_eq v3 "$(gt-bead-show --json bd-x | jq -r .title)" &&
	expect_code 2 gt-bead-import --policy whatever v3
'

test_expect_success 'a tombstone is not revived by an older-style live record' '
	cd p && gt-bead-delete bd-x &&
	sed "s/v2/v9/; s/2026-02-01/2099-01-01/" v2 >v9 &&
	gt-bead-import --json v9 | jq -e ".kept_tombstone == 1" &&
	gt-bead-show --json bd-x | jq -e ".status == \"tombstone\""
'

test_expect_success '--dry-run reports and writes nothing' '
	new_ledger dry bd && cd dry && before=$(ledger_tip) &&
	gt-bead-import --dry-run --json "$BIG" | jq -e ".created == 5722 and .dry_run" &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'bead log -n counts imported Beads events too' '
	cd g && assert_eq 2 "$(gt-bead-log -n 2 --json gt-69dai | wc -l)" &&
	gt-bead-log gt-69dai | grep -q "bd: status_changed"
'

test_done
