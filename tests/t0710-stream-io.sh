#!/bin/sh
# Import and export stream: a large generated import round-trips exactly
# (from a file, a pipe, a backup directory, and merged over half of
# itself), its memory stays bounded whatever the number of beads, an import
# that fails or is killed midway leaves the ledger as it was and no pack
# behind (a killed one only a temporary file gt-maintain removes), and
# export walks shard trees of any depth.
. "$(dirname "$0")/lib/test.sh"

# gen N: N generated beads (and a child "<id>.1" for every tenth), ids in
# no order, every fourth depending on the one before, in Beads' key order
gen() {
	awk -v n="$1" 'BEGIN {
		d = "stream the beads through a pack on disk so that memory stays bounded by the number of beads and not by their size"
		for (i = 0; i < n; i++) {
			id = sprintf("st-%08x", (i * 2654435761) % 4294967296)
			dep = ""
			if (i > 0 && i % 4 == 0)
				dep = sprintf(",\"dependencies\":[{\"issue_id\":\"%s\",\"depends_on_id\":\"%s\",\"type\":\"blocks\",\"created_at\":\"2025-01-01T00:00:00Z\",\"created_by\":\"gen\"}]", id, prev)
			printf "{\"id\":\"%s\",\"title\":\"bead %d\",\"description\":\"%s %d\",\"status\":\"%s\",\"priority\":%d,\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":\"2025-01-02T00:00:00Z\",\"labels\":[\"l%d\"]%s}\n", id, i, d, i, (i % 3 ? "open" : "closed"), i % 5, i % 7, dep
			if (i % 10 == 0)
				printf "{\"id\":\"%s.1\",\"title\":\"child of %d\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":\"2025-01-02T00:00:00Z\"}\n", id, i
			prev = id
		}
	}'
}

# peak_kb CMD...: run CMD; print the peak resident set size of its
# process, in kilobytes (getrusage), and exit with its status
peak_kb() {
	python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode)' "$@"
}

# A sanitizer build's own bookkeeping (ASan's quarantine alone is 256 MB)
# says nothing of the import's: its memory is checked in normal builds.
sanitized=
if grep -qa __asan_init "$BIN/gt-bead-import"; then
	sanitized=1
fi

# the files in objects/pack/, one a line
pack_files() {
	find .git/objects/pack -type f | sort
}

test_expect_success 'setup: 20k beads, and 200k' '
	gen 18200 >20k.jsonl && assert_eq 20020 "$(wc -l <20k.jsonl)" &&
	sort 20k.jsonl >20k.sorted &&
	gen 182000 >200k.jsonl && assert_eq 200200 "$(wc -l <200k.jsonl)"
'

test_expect_success '20k beads import as one pack and export byte for byte' '
	new_ledger a st && cd a &&
	gt-bead-import --json ../20k.jsonl >st &&
	jq -e ".records == 20020 and .created == 20020" st &&
	assert_eq 0 "$(git count-objects | cut -d" " -f1)" "loose objects" &&
	assert_eq 1 "$(git count-objects -v | sed -n "s/^packs: //p")" "packs" &&
	git verify-pack .git/objects/pack/pack-*.idx &&
	git fsck --no-dangling refs/gt/ledger &&
	gt-bead-export >out.jsonl && test_cmp_files ../20k.sorted out.jsonl
'

test_expect_success 're-importing them changes nothing' '
	cd a && before=$(ledger_tip) &&
	gt-bead-import --json ../20k.jsonl | jq -e ".unchanged == 20020 and .commit == \"\"" &&
	assert_eq "$before" "$(ledger_tip)"
'

test_expect_success 'from a pipe, the same' '
	new_ledger p st && cd p &&
	cat ../20k.jsonl | gt-bead-import -q - &&
	gt-bead-export >out.jsonl && test_cmp_files ../20k.sorted out.jsonl
'

test_expect_success 'merged over half of them: the other half created, the rest unchanged' '
	new_ledger h st && cd h &&
	sed -n "1~2p" ../20k.jsonl >half.jsonl && gt-bead-import -q half.jsonl &&
	sed "s/\"title\":\"bead 7\"/\"title\":\"bead seven\"/
	     s/\"title\":\"bead 9\",\(.*\)2025-01-02T/\"title\":\"bead nine\",\12025-01-03T/" \
		../20k.jsonl >changed.jsonl &&
	gt-bead-import --json changed.jsonl >st &&
	jq -e ".created == 10010 and .unchanged == 10008 and .kept_existing == 1 and .updated == 1" st &&
	gt-bead-show --json "$(sed -n "9p" ../20k.jsonl | jq -r .id)" | jq -e ".title == \"bead 7\"" &&
	gt-bead-show --json "$(sed -n "11p" ../20k.jsonl | jq -r .id)" | jq -e ".title == \"bead nine\"" &&
	gt-bead-import -q --policy incoming changed.jsonl &&
	gt-bead-export >out.jsonl && sort changed.jsonl >want && test_cmp_files want out.jsonl
'

test_expect_success 'the backup format round-trips them (adding only content_hash)' '
	cd a && gt-bead-export --format backup -q -o "$TRASH/bk" &&
	jq -e ".counts.issues == 20020 and .counts.dependencies == 4549 and .counts.labels == 18200" \
		"$TRASH/bk/backup_state.json" &&
	new_ledger ../b st && cd ../b && gt-bead-import -q "$TRASH/bk" &&
	gt-bead-export | jq -c "del(.content_hash)" >out.jsonl &&
	test_cmp_files ../20k.sorted out.jsonl
'

test_expect_success 'importing 200k beads stays within 100 MB (it took 330 MB holding them)' '
	new_ledger m st && cd m &&
	kb=$(peak_kb gt-bead-import -q ../200k.jsonl) &&
	echo "peak: $kb KB" &&
	{ [ -n "$sanitized" ] || [ "$kb" -lt 102400 ]; } &&
	assert_eq 200200 "$(gt-bead-export | wc -l)"
'

test_expect_success 'an import failing on its last bead writes nothing, leaves no pack' '
	cd m && before=$(ledger_tip) && pack_files >packs.before &&
	{ cat ../20k.jsonl
	  printf "{\"id\":\"st-last\",\"title\":\"a\",\"status\":\"weird\"}\n"; } >bad.jsonl &&
	expect_code 5 gt-bead-import bad.jsonl 2>err && grep -q "bad.jsonl: line 20021" err &&
	assert_eq "$before" "$(ledger_tip)" &&
	pack_files >packs.after && test_cmp_files packs.before packs.after &&
	expect_code 3 gt-bead-show st-last
'

test_expect_success 'a dry run of them writes nothing, leaves no pack' '
	cd m && before=$(ledger_tip) && pack_files >packs.before &&
	gt-bead-import --dry-run --json ../20k.jsonl | jq -e ".unchanged == 20020 and .dry_run" &&
	assert_eq "$before" "$(ledger_tip)" &&
	pack_files >packs.after && test_cmp_files packs.before packs.after
'

test_expect_success 'a killed import leaves the ledger as it was and only a temporary file' '
	new_ledger k st && cd k && before=$(ledger_tip)
	gt-bead-import -q ../200k.jsonl &
	pid=$!
	until ls .git/objects/pack/tmp_pack_* >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || die "the import ended before writing its pack"
		sleep 0.05
	done &&
	kill -9 "$pid" && { wait "$pid" || true; } &&
	assert_eq "$before" "$(ledger_tip)" &&
	! ls .git/objects/pack/pack-*.pack 2>/dev/null &&
	touch -d "2 hours ago" .git/objects/pack/tmp_pack_* &&
	gt-maintain --no-repack --json | jq -e ".tmp_removed >= 1" &&
	! ls .git/objects/pack/tmp_* 2>/dev/null &&
	gt-bead-import -q ../20k.jsonl &&
	gt-bead-export >out.jsonl && test_cmp_files ../20k.sorted out.jsonl
'

test_expect_success 'export walks a shard that holds a further level of shards' '
	cd a && s=$(git ls-tree --name-only refs/gt/ledger:beads | head -1) &&
	sub=$(git ls-tree "refs/gt/ledger:beads/$s" | git mktree) &&
	shard=$(printf "040000 tree %s\t00\n" "$sub" | git mktree) &&
	beads=$(git ls-tree refs/gt/ledger:beads | sed "s/[0-9a-f]\{40\}	$s\$/$shard	$s/" | git mktree) &&
	root=$(git ls-tree refs/gt/ledger | sed "s/[0-9a-f]\{40\}	beads\$/$beads	beads/" | git mktree) &&
	git update-ref refs/gt/ledger "$(git commit-tree -p refs/gt/ledger -m deeper "$root")" &&
	git ls-tree -r --name-only refs/gt/ledger | grep -q "^beads/$s/00/" &&
	gt-bead-export >deep.jsonl && test_cmp_files ../20k.sorted deep.jsonl &&
	gt-bead-export --format backup -q -o "$TRASH/bk2" &&
	jq -e ".counts.issues == 20020" "$TRASH/bk2/backup_state.json"
'

test_done
