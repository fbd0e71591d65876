#!/bin/sh
# The query index at work: an answer with a limit is the first N of the
# whole answer; the index patched after in-place writes, and rebuilt from
# the old one after adds, answers exactly as one built from nothing and as
# the rules' oracle (tests/lib/ready-oracle.jq); a two-level shard tree
# (beads/<2 hex>/<2 hex>/<id>.json) indexes as the one-level one; long
# listings print row by row, the same rows the table would have.
. "$(dirname "$0")/lib/test.sh"

ORACLE=$TEST_DIR/lib/ready-oracle.jq
NOW=$(date -u +%s)
RECENT=$(date -u -d "@$((NOW - 3600))" +%Y-%m-%dT%H:%M:%SZ)

# gen N SEED: N Beads lines of a busy ledger, the same for the same seed:
# epics with children, blocks/conditional-blocks/waits-for/related edges
# to earlier beads, every status, internal types, flags, deferrals, and
# creation times that often tie (so the id breaks ties) or are recent.
gen() {
	awk -v n="$1" -v seed="$2" -v recent="$RECENT" 'BEGIN {
		srand(seed)
		split("open open open open open closed closed closed in_progress in_progress hooked blocked deferred tombstone pinned", st, " ")
		split("task task task bug feature chore epic message", ty, " ")
		k = 0
		for (i = 1; i <= n; i++) {
			if (ep != "" && rand() < 0.4) {
				id = ep "." (++kid)
				parent = ep
			} else {
				id = sprintf("s-%03d", i)
				if (rand() < 0.04)
					id = sprintf("s-mol-%03d", i)
				parent = ""
			}
			ids[++k] = id
			status = st[int(rand() * 15) + 1]
			type = ty[int(rand() * 8) + 1]
			if (type == "epic" && parent == "") { ep = id; kid = 0 }
			if (rand() < 0.1)
				created = recent
			else
				created = sprintf("2025-%02d-%02dT00:00:00Z", int(rand() * 3) + 1, int(rand() * 4) + 1)
			deps = ""
			if (parent != "")
				deps = dep(deps, id, parent, "parent-child")
			if (k > 1 && rand() < 0.3)
				deps = dep(deps, id, ids[int(rand() * (k - 1)) + 1], rand() < 0.85 ? "blocks" : "conditional-blocks")
			if (k > 1 && rand() < 0.05)
				deps = dep(deps, id, ids[int(rand() * (k - 1)) + 1], "related")
			if (ep != "" && ep != parent && ep != id && rand() < 0.05)
				deps = wdep(deps, id, ep, rand() < 0.5)
			if (k > 1 && rand() < 0.02)
				deps = dep(deps, id, "s-nowhere", "blocks")
			x = ""
			if (rand() < 0.3)
				x = x ",\"assignee\":\"" (rand() < 0.5 ? "alice" : "bob") "\""
			if (rand() < 0.25)
				x = x ",\"labels\":[\"" (rand() < 0.5 ? "ui" : "db") "\"" (rand() < 0.3 ? ",\"x\"" : "") "]"
			r = rand()
			if (r < 0.03)
				x = x ",\"defer_until\":\"2099-01-01T00:00:00Z\""
			else if (r < 0.05)
				x = x ",\"defer_until\":\"2000-01-01T00:00:00Z\""
			else if (r < 0.06)
				x = x ",\"ephemeral\":true"
			else if (r < 0.07)
				x = x ",\"pinned\":true"
			printf "{\"id\":\"%s\",\"title\":\"bead %s\",\"status\":\"%s\",\"priority\":%d,\"issue_type\":\"%s\",\"created_at\":\"%s\",\"updated_at\":\"%s\"%s%s}\n",
				id, id, status, int(rand() * 5), type, created, created,
				deps == "" ? "" : ",\"dependencies\":[" deps "]", x
		}
	}
	function dep(d, from, to, t) {
		return d (d == "" ? "" : ",") "{\"issue_id\":\"" from "\",\"depends_on_id\":\"" to "\",\"type\":\"" t "\"}"
	}
	function wdep(d, from, to, any) {
		return d (d == "" ? "" : ",") "{\"issue_id\":\"" from "\",\"depends_on_id\":\"" to "\",\"type\":\"waits-for\"" \
			(any ? ",\"metadata\":{\"gate\":\"any-children\"}" : "") "}"
	}'
}

# pick K SEED: K ids of the ledger, the same for the same seed
pick() {
	gt-bead-list -s all -n 0 -z | tr "\0" "\n" | sort |
		awk -v k="$1" -v seed="$2" 'BEGIN { srand(seed) } { id[NR] = $0 }
			END { for (i = 0; i < k; i++) print id[int(rand() * NR) + 1] }'
}

# what the commands answer, into files named $1.*
snap() {
	gt-ready -n 0 --json >"$1.ready" &&
	gt-ready -n 0 --sort oldest --json >"$1.oldest" &&
	gt-ready -n 7 --sort hybrid --json >"$1.hybrid" &&
	gt-ready -n 0 -a alice --json >"$1.alice" &&
	gt-blocked --json >"$1.blocked" &&
	gt-blocked >"$1.blocked-table" &&
	gt-bead-list -s all -n 0 --json >"$1.list" &&
	gt-bead-list -n 9 >"$1.list-table" 2>"$1.list-warning" &&
	gt-bead-list -n 4 -r -l ui --json >"$1.list-labels" 2>>"$1.list-warning" &&
	gt-bead-list -n 5 --sort updated --json >"$1.list-updated" 2>>"$1.list-warning" &&
	gt-ready -p 1 -n 0 --json >"$1.ready-p1" &&
	gt-bead-list --priority-min 2 --priority-max 3 -n 0 --json >"$1.list-p23" &&
	gt-bead-list -p 0 -r -s all -n 0 --json >"$1.list-p0" &&
	gt-ready --parent s-069 -n 0 --json >"$1.ready-parent" &&
	gt-ready --parent s-069 --sort hybrid -n 2 --json >>"$1.ready-parent" &&
	gt-blocked --parent s-069 --json >"$1.blocked-parent"
}

same() {
	for f in ready oldest hybrid alice blocked blocked-table list list-table list-warning \
		list-labels list-updated ready-p1 list-p23 list-p0 ready-parent blocked-parent; do
		test_cmp_files "$1.$f" "$2.$f" || { echo "$f differs" >&2; return 1; }
	done
}

# the answers from this index equal those of one built from nothing
same_as_fresh() {
	snap inc && mv .git/gt/index .git/gt/index.keep &&
	snap fresh && rm -rf .git/gt/index && mv .git/gt/index.keep .git/gt/index &&
	same inc fresh
}

# ready and blocked agree with the oracle over every bead (an export
# leaves out ephemeral ones)
same_as_oracle() {
	gt-bead-list -s all,tombstone -n 0 --json >all.jsonl &&
	jq -s -r --argjson now "$NOW" --arg mode ready -f "$ORACLE" all.jsonl >want &&
	gt-ready -n 0 --json | jq -r .id | sort >got &&
	test_cmp_files want got &&
	jq -s -r --argjson now "$NOW" --arg mode blocked -f "$ORACLE" all.jsonl >want &&
	gt-blocked --json | jq -r "[.id, (.blocked_by | join(\",\"))] | @tsv" | sort >got &&
	test_cmp_files want got
}

# two_level: a commit of the ledger tip whose beads/ tree has a second
# level of shards: beads/<2 hex>/<2 hex>/<id>.json, the second two hex the
# next byte of the SHA-256 of the root id
two_level() {
	git ls-tree -r refs/gt/ledger beads | while read -r _ _ oid path; do
		f=${path##*/} && s=${path#beads/} && s=${s%%/*} && id=${f%.json} &&
		t=$(printf %s "${id%%.*}" | sha256sum | cut -c3-4) &&
		printf "%s %s %s %s\n" "$s" "$t" "$oid" "$f"
	done | sort >entries &&
	: >shards &&
	for s in $(cut -d" " -f1 entries | uniq); do
		: >subs &&
		for t in $(awk -v s="$s" "\$1 == s { print \$2 }" entries | uniq); do
			st=$(awk -v s="$s" -v t="$t" "\$1 == s && \$2 == t { printf \"100644 blob %s\t%s\n\", \$3, \$4 }" entries | git mktree) &&
			printf "040000 tree %s\t%s\n" "$st" "$t" >>subs || return 1
		done &&
		printf "040000 tree %s\t%s\n" "$(git mktree <subs)" "$s" >>shards || return 1
	done &&
	beads=$(git mktree <shards) &&
	root=$( { git ls-tree refs/gt/ledger | grep -v "	beads$"; printf "040000 tree %s\tbeads\n" "$beads"; } | git mktree) &&
	git commit-tree -p refs/gt/ledger -m "two levels" "$root"
}

# path_of ID LEVELS: where a bead lives in a tree of one or two levels
path_of() {
	h=$(printf %s "${1%%.*}" | sha256sum) &&
	if [ "$2" = 2 ]; then
		echo "beads/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-4)/$1.json"
	else
		echo "beads/$(echo "$h" | cut -c1-2)/$1.json"
	fi
}

# put_tree TREE PATH BLOB: TREE with BLOB at PATH (missing trees made)
put_tree() (
	case $2 in
	*/*)
		dir=${2%%/*} &&
		sub=$(git rev-parse -q --verify "$1:$dir" 2>/dev/null || git mktree </dev/null) &&
		new=$(put_tree "$sub" "${2#*/}" "$3") &&
		{ git ls-tree "$1" | grep -v "	$dir$" || true; printf "040000 tree %s\t%s\n" "$new" "$dir"; } | git mktree ;;
	*)
		{ git ls-tree "$1" | grep -v "	$2$" || true; printf "100644 blob %s\t%s\n" "$3" "$2"; } | git mktree ;;
	esac
)

# put COMMIT ID LEVELS BLOB: a commit on COMMIT with bead ID's file BLOB
put() {
	git commit-tree -p "$1" -m "put $2" "$(put_tree "$1^{tree}" "$(path_of "$2" "$3")" "$4")"
}

# rm_path TREE PATH: TREE without the file at PATH
rm_path() (
	case $2 in
	*/*)
		dir=${2%%/*} && new=$(rm_path "$(git rev-parse "$1:$dir")" "${2#*/}") &&
		{ git ls-tree "$1" | grep -v "	$dir$" || true; printf "040000 tree %s\t%s\n" "$new" "$dir"; } | git mktree ;;
	*)
		{ git ls-tree "$1" | grep -v "	$2$" || true; } | git mktree ;;
	esac
)

test_expect_success 'setup: a ledger of 600 beads' '
	new_ledger l s && cd l && gen 600 7 >beads.jsonl &&
	# one level: the tests below build their two-level trees by hand
	GT_SHARD_SPLIT=0 gt-bead-import -q beads.jsonl &&
	[ "$(gt-bead-list --parent s-069 -s all -n 0 --json | wc -l)" -gt 3 ] &&
	assert_eq 600 "$(gt-bead-list -s all,tombstone -n 0 --json | wc -l)" &&
	[ -n "$(gt-blocked --json | jq -r .id | head -1)" ]
'

test_expect_success 'ready and blocked agree with the oracle' '
	cd l && same_as_oracle
'

# t: an instant of created_at that sorts as text (nine digits of fraction)
T='def t: .created_at | if test("[.]") then . else sub("Z$"; ".000000000Z") end;'

test_expect_success 'orders are the rules: priority then newest, oldest, hybrid' '
	cd l &&
	gt-bead-list -s all -n 0 --json | jq -s -e "$T"" map([.priority, (t | explode | map(-.)), .id]) as \$k | \$k == (\$k | sort)" &&
	gt-bead-list -s all -n 0 -r --json | jq -s -e "$T"" map([.priority, (t | explode | map(-.)), .id]) as \$k | \$k == (\$k | sort | reverse)" &&
	gt-ready -n 0 --json | jq -s -e "$T"" map([.priority, (t | explode | map(-.)), .id]) as \$k | \$k == (\$k | sort)" &&
	gt-ready -n 0 --sort oldest --json | jq -s -e "$T"" map([t, .id]) as \$k | \$k == (\$k | sort)" &&
	gt-ready -n 0 --sort hybrid --json >h &&
	jq -s -e --arg cut "$(date -u -d "@$((NOW - 48 * 3600))" +%Y-%m-%dT%H:%M:%S).000000000Z" "$T"" map(if t >= \$cut then [0, .priority, t, .id] else [1, 0, t, .id] end) as \$k | \$k == (\$k | sort) and (\$k[0][0] == 0)" h &&
	assert_eq "$(gt-ready -n 0 --json | jq -r .id | sort)" "$(jq -r .id h | sort)" "hybrid holds the same beads"
'

test_expect_success 'with -n K every answer is the first K of the whole answer' '
	cd l &&
	for q in "gt-ready" "gt-ready --sort oldest" "gt-ready --sort hybrid" "gt-ready -a alice" \
		"gt-ready -l ui" "gt-ready -p 2" "gt-ready -t bug" "gt-ready --unassigned" \
		"gt-ready --include-deferred" "gt-blocked" "gt-bead-list" "gt-bead-list -r" \
		"gt-bead-list --all" "gt-bead-list -s closed" "gt-bead-list --sort created" \
		"gt-bead-list --sort updated -r" "gt-bead-list --sort id" "gt-bead-list -a bob" \
		"gt-bead-list --title 3" "gt-bead-list -t epic --all" "gt-ready --parent s-069" \
		"gt-bead-list -p 3" "gt-bead-list --priority-min 1 --priority-max 2 -r"; do
		$q -n 0 --json | jq -r .id >all &&
		[ -s all ] || die "$q: nothing"
		for k in 1 2 5 40; do
			$q -n $k --json 2>/dev/null | jq -r .id >part &&
			head -n $k all >want &&
			test_cmp_files want part || die "$q -n $k"
		done
	done
'

test_expect_success 'a cut list says how many there are' '
	cd l &&
	for q in "" "--all" "-t bug" "-p 1" "-s open,closed" "-a alice" "-l db" "--no-assignee" "--sort id"; do
		total=$(gt-bead-list $q -n 0 --json | wc -l) &&
		gt-bead-list $q -n 3 >/dev/null 2>err &&
		assert_eq "gt-bead-list: warning: showing 3 of $total; -n 0 shows all" "$(cat err)" "$q" || return 1
	done &&
	n=$(gt-bead-list -n 0 --json | wc -l) &&
	gt-bead-list -n "$n" >/dev/null 2>err && [ ! -s err ] &&
	gt-bead-list --title bead -n 2 >/dev/null 2>err &&
	grep -q "showing the first 2; more may match" err
'

test_expect_success 'rows stream: the table, -z and --format hold what --json holds' '
	cd l &&
	gt-bead-list -s all -n 0 --json |
		jq -r "[.id, \"P\(.priority)\", .status, (.issue_type // \"task\"), (.assignee // \"-\"), .title] | @tsv" >want &&
	gt-bead-list -s all -n 0 >got && test_cmp_files want got &&
	gt-bead-list -s all -n 0 -z | tr "\0" "\n" >got && cut -f1 want >ids && test_cmp_files ids got &&
	gt-bead-list -s all -n 0 --format "{{id}}|{{priority}}" >got &&
	jq -r "\"\(.id)|\(.priority)\"" <<-EOF >fwant && test_cmp_files fwant got
	$(gt-bead-list -s all -n 0 --json)
	EOF
'

test_expect_success 'at a terminal the streamed table is aligned as a whole' '
	cd l &&
	gt-bead-list -s all -n 0 >tabs &&
	awk -F "\t" "{ for (i = 1; i < NF; i++) if (length(\$i) > w[i]) w[i] = length(\$i); row[NR] = \$0 }
		END { for (r = 1; r <= NR; r++) { n = split(row[r], c, \"\t\"); s = \"\";
			for (i = 1; i < n; i++) s = s sprintf(\"%-*s\", w[i] + 2, c[i]); print s c[n] } }" tabs >want &&
	script -qec "gt-bead-list -s all -n 0" /dev/null | tr -d "\r" >got &&
	test_cmp_files want got &&
	gt-blocked | awk -F "\t" "{ for (i = 1; i < NF; i++) if (length(\$i) > w[i]) w[i] = length(\$i); row[NR] = \$0 }
		END { for (r = 1; r <= NR; r++) { n = split(row[r], c, \"\t\"); s = \"\";
			for (i = 1; i < n; i++) s = s sprintf(\"%-*s\", w[i] + 2, c[i]); print s c[n] } }" >want &&
	script -qec "gt-blocked" /dev/null | tr -d "\r" >got &&
	test_cmp_files want got
'

test_expect_success 'in-place writes patch the index; it answers as a fresh one and the oracle' '
	cd l && gt-ready >/dev/null &&
	for round in 1 2 3 4 5 6 7 8 9 10 11 12; do
		set -- $(pick 6 "$round")
		gt-bead-update -q -p $((round % 5)) "$1" &&
		gt-bead-update -q -s "$(echo "open in_progress blocked hooked" | cut -d" " -f$((round % 4 + 1)))" "$2" &&
		gt-bead-close -q "$3" 2>/dev/null || gt-bead-reopen -q "$3" &&
		gt-bead-update -q -a alice -l ui "$4" &&
		{ gt-bead-dep add "$5" "$6" 2>/dev/null || gt-bead-dep rm "$5" "$6" 2>/dev/null || true; } &&
		case $round in
		3|7) gt-bead-dep add -t parent-child "$6" "$1" 2>/dev/null || true ;;
		5) gt-bead-update -q --defer-until 2099-01-01T00:00:00Z "$1" ;;
		9) gt-bead-delete "$2" ;;
		esac
		gt-ready >/dev/null &&
		[ -f .git/gt/index/beads.idx.patch ] || die "round $round: no patch"
		same_as_fresh || die "round $round differs from a fresh index"
		same_as_oracle || die "round $round differs from the oracle"
	done
'

test_expect_success 'a priority question skips what the patch moved' '
	cd l && gt-ready >/dev/null &&
	for id in $(gt-bead-list -p 4 -s all -n 0 --json | jq -r .id | awk "NR % 3 != 0"); do
		gt-bead-update -q -p 0 "$id" || return 1
	done &&
	for id in $(gt-bead-list -p 0 -s all -n 0 --json | jq -r .id | awk "NR % 4 == 1"); do
		gt-bead-update -q -p 3 "$id" || return 1
	done &&
	gt-ready >/dev/null && [ -f .git/gt/index/beads.idx.patch ] &&
	for p in 0 1 2 3 4; do
		gt-ready -p $p -n 0 --json >inc.$p && gt-bead-list -s all --priority-min $p -n 0 --json >>inc.$p &&
		gt-bead-list -s all --priority-max $p -r -n 0 --json >>inc.$p || return 1
	done &&
	mv .git/gt/index .git/gt/index.keep &&
	for p in 0 1 2 3 4; do
		gt-ready -p $p -n 0 --json >fresh.$p && gt-bead-list -s all --priority-min $p -n 0 --json >>fresh.$p &&
		gt-bead-list -s all --priority-max $p -r -n 0 --json >>fresh.$p || return 1
	done &&
	rm -rf .git/gt/index && mv .git/gt/index.keep .git/gt/index &&
	for p in 0 1 2 3 4; do test_cmp_files fresh.$p inc.$p || return 1; done &&
	same_as_fresh
'

test_expect_success 'closing a blocker in a patch frees what it blocked, down the tree' '
	cd l &&
	gt-bead-add -q --id s-top -t epic "top" && gt-bead-add -q --id s-gate "gate" &&
	child=$(gt-bead-add --parent s-top "child") &&
	grand=$(gt-bead-add --parent "$child" "grandchild") &&
	gt-bead-dep add s-top s-gate && gt-ready >/dev/null &&
	gt-blocked --json | jq -r .id >b && grep -qx "$grand" b && grep -qx "$child" b &&
	gt-bead-close -q s-gate && gt-ready -n 0 --json | jq -r .id >r &&
	[ -f .git/gt/index/beads.idx.patch ] &&
	grep -qx s-top r && grep -qx "$child" r && grep -qx "$grand" r &&
	same_as_fresh && same_as_oracle &&
	gt-bead-reopen -q s-gate && ! gt-ready -n 0 --json | jq -r .id | grep -qx "$grand" &&
	same_as_fresh
'

test_expect_success 'waits-for gates open and close in a patch' '
	cd l &&
	gt-bead-add -q --id s-sp -t epic "spawner" &&
	c1=$(gt-bead-add --parent s-sp "first child") && c2=$(gt-bead-add --parent s-sp "second child") &&
	gt-bead-add -q --id s-wall "waits for all" && gt-bead-dep add -t waits-for s-wall s-sp &&
	printf "%s\n" "{\"id\":\"s-wany\",\"title\":\"waits for any\",\"status\":\"open\",\"dependencies\":[{\"issue_id\":\"s-wany\",\"depends_on_id\":\"s-sp\",\"type\":\"waits-for\",\"metadata\":{\"gate\":\"any-children\"}}]}" >wany.jsonl &&
	gt-bead-import -q wany.jsonl && gt-ready >/dev/null &&
	gt-blocked --json | jq -r .id >b && grep -qx s-wall b && grep -qx s-wany b &&
	gt-bead-close -q "$c1" && gt-ready -n 0 --json | jq -r .id >r &&
	[ -f .git/gt/index/beads.idx.patch ] &&
	grep -qx s-wany r && ! grep -qx s-wall r && same_as_fresh && same_as_oracle &&
	gt-bead-close -q "$c2" && gt-ready -n 0 --json | jq -r .id | grep -qx s-wall &&
	same_as_fresh && same_as_oracle &&
	gt-bead-reopen -q "$c1" && ! gt-ready -n 0 --json | jq -r .id | grep -qx s-wall &&
	gt-ready -n 0 --json | jq -r .id | grep -qx s-wany &&
	gt-bead-dep rm "$c2" s-sp && gt-bead-dep add -t parent-child "$c2" s-top &&
	! gt-ready -n 0 --json | jq -r .id | grep -qx s-wany &&
	[ -f .git/gt/index/beads.idx.patch ] && same_as_fresh && same_as_oracle
'

test_expect_success 'adds rebuild from the old index; it answers as a fresh one' '
	cd l &&
	for i in 1 2 3; do
		set -- $(pick 2 "$((i + 40))")
		gt-bead-add -q -p $((i % 5)) --deps "$1" "added $i" &&
		gt-bead-add -q --parent "$2" "child $i" >/dev/null 2>&1 || true
		gt-ready >/dev/null &&
		[ ! -f .git/gt/index/beads.idx.patch ] || die "an add left a patch"
		same_as_fresh || die "add $i differs"
	done &&
	same_as_oracle
'

test_expect_success 'a rebuild re-derives what an add changes: a target found, a gate, a close beside it' '
	cd l && gt-ready >/dev/null &&
	gt-bead-list -s all -n 0 --json | jq -r "select(any(.dependencies[]?; .depends_on_id == \"s-nowhere\")) | .id" >waiting &&
	[ -s waiting ] &&
	gt-bead-add -q --id s-nowhere "now here" && gt-ready >/dev/null &&
	gt-blocked --json | jq -r .id >b && while read -r id; do grep -qx "$id" b ||
		gt-bead-show --json "$id" | jq -e ".status == \"closed\" or .status == \"tombstone\" or .status == \"pinned\"" >/dev/null ||
		die "$id should be blocked by s-nowhere"; done <waiting &&
	same_as_fresh && same_as_oracle &&
	for c in $(gt-bead-list --parent s-sp -n 0 --json | jq -r .id); do gt-bead-close -q "$c"; done &&
	gt-ready -n 0 --json | jq -r .id | grep -qx s-wall &&
	gt-bead-add -q --parent s-sp "one more child" && ! gt-ready -n 0 --json | jq -r .id | grep -qx s-wall &&
	same_as_fresh && same_as_oracle &&
	gt-bead-close -q s-nowhere && gt-bead-add -q "added beside a close" && gt-ready >/dev/null &&
	[ ! -f .git/gt/index/beads.idx.patch ] && same_as_fresh && same_as_oracle
'

test_expect_success 'beads removed from the tree (a blocker, a parent, a spawner and its children) rebuild right' '
	cd l &&
	for ids in s-gate s-top "s-sp $(gt-bead-list --parent s-sp -s all -n 0 --json | jq -r .id | tr "\n" " ")"; do
		one=$(ledger_tip) && root="$one^{tree}" &&
		for id in $ids; do
			root=$(rm_path "$root" "$(git ls-tree -r --name-only "$one" beads | grep "/$id.json$")") || return 1
		done &&
		git update-ref refs/gt/ledger "$(git commit-tree -p "$one" -m "rm $ids" "$root")" "$one" &&
		gt-ready >/dev/null && [ ! -f .git/gt/index/beads.idx.patch ] &&
		! gt-bead-list -s all -n 0 --json | jq -r .id | grep -qx "${ids%% *}" &&
		same_as_fresh && same_as_oracle || die "removing $ids"
	done
'

test_expect_success 'a two-level shard tree indexes as the one-level tree' '
	cd l && snap one && one=$(ledger_tip) &&
	two=$(two_level) &&
	git ls-tree -r --name-only "$two" beads | grep -v -c "^beads/[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/[^/]*\.json$" >n || true &&
	assert_eq 0 "$(cat n)" "files outside the two levels" &&
	git update-ref refs/gt/ledger "$two" "$one" &&
	snap two && same one two &&
	rm -rf .git/gt/index && snap two && same one two &&
	git update-ref refs/gt/ledger "$one" "$two" && snap back && same one back
'

test_expect_success 'two levels: a bead changed in place patches, an add rebuilds' '
	cd l && one=$(ledger_tip) && two=$(two_level) &&
	id=$(gt-ready -n 1 --json | jq -r .id) &&
	blob=$(git cat-file blob "$one:$(path_of "$id" 1)" | jq -c ".status = \"closed\"" |
		git hash-object -w --stdin) &&
	one1=$(put "$one" "$id" 1 "$blob") && two1=$(put "$two" "$id" 2 "$blob") &&
	git update-ref refs/gt/ledger "$two" && rm -rf .git/gt/index && gt-ready >/dev/null &&
	git update-ref refs/gt/ledger "$two1" && gt-ready >/dev/null &&
	[ -f .git/gt/index/beads.idx.patch ] && snap two && same_as_fresh &&
	git update-ref refs/gt/ledger "$one1" && snap one && same one two &&
	new=$(git cat-file blob "$one:$(path_of "$id" 1)" |
		jq -c ".id = \"s-new\" | .title = \"new at two levels\" | del(.dependencies)" |
		git hash-object -w --stdin) &&
	one2=$(put "$one1" s-new 1 "$new") && two2=$(put "$two1" s-new 2 "$new") &&
	git update-ref refs/gt/ledger "$two2" && snap two && same_as_fresh &&
	grep -q "new at two levels" two.list &&
	git update-ref refs/gt/ledger "$one2" && snap one && same one two
'

test_expect_success 'an index file changed behind its stamp is checked again' '
	cd l && snap before &&
	idx=.git/gt/index/beads.idx && [ -f .git/gt/index/beads.idx.ok ] &&
	dd if=/dev/urandom of=$idx bs=1 count=64 seek=7000 conv=notrunc 2>/dev/null &&
	snap after && same before after &&
	sed -i "s/^[^ ]*/not-this-boot/" .git/gt/index/beads.idx.ok &&
	snap after && same before after
'

test_done
