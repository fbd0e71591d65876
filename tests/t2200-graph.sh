#!/bin/sh
# gt-graph: a bead's neighbourhood, an epic, a convoy and a molecule as
# text, DOT, SVG and JSON; titles from strangers (quotes, backslashes,
# line breaks, markup) quoted for DOT and escaped in the SVG; odd ids;
# the bounds; bad input and a missing Graphviz.
. "$(dirname "$0")/lib/test.sh"

# the texts of an SVG, one a line, after checking it is well-formed XML
# with no element made from a title (script, ...)
svg_texts() {
	python3 -c '
import sys, xml.dom.minidom as m
d = m.parseString(sys.stdin.buffer.read())
assert d.documentElement.tagName == "svg", d.documentElement.tagName
for bad in ("script", "foreignObject", "iframe"):
    assert not d.getElementsByTagName(bad), bad
for t in d.getElementsByTagName("text"):
    print("".join(c.data for c in t.childNodes if c.nodeType == c.TEXT_NODE))
'
}

TITLE='The "epic" \N \ <script>alert(1)</script> & co'

test_expect_success 'a ledger: an epic, its children, blockers, a convoy, a molecule' '
	new_ledger l &&
	cd l &&
	gt-bead-add -t epic "$TITLE" >../epic &&
	E=$(cat ../epic) &&
	gt-bead-add --parent "$E" "$(printf "child A\nsecond\tline")" >../a &&
	A=$(cat ../a) &&
	gt-bead-add --parent "$E" "child B" --deps "$A" >../b &&
	B=$(cat ../b) &&
	gt-bead-add "far blocker" >../far &&
	gt-bead-add "near blocker" --deps "$(cat ../far)" >../near &&
	gt-bead-dep add -q "$A" "$(cat ../near)" &&
	gt-bead-update -q -s in_progress -a app/polecats/agate "$B" &&
	gt-bead-add "blocked by B" --deps "$B" >../after &&
	gt-bead-add "unrelated" >../unrelated &&
	gt-bead-dep add -q "$(cat ../far)" "external:other:x\"y\\z" &&
	gt-convoy-create Batch "$A" "$B" "$(cat ../unrelated)" >../convoy &&
	gt-mol-pour --on "$(cat ../unrelated)" mol-polecat-work >../mol
'

E=$(cat epic 2>/dev/null)
A=$(cat a 2>/dev/null)
B=$(cat b 2>/dev/null)
FAR=$(cat far 2>/dev/null)
NEAR=$(cat near 2>/dev/null)
AFTER=$(cat after 2>/dev/null)
UNREL=$(cat unrelated 2>/dev/null)
CONVOY=$(cat convoy 2>/dev/null)
MOL=$(cat mol 2>/dev/null)

test_expect_success 'usage errors exit 2' '
	cd l &&
	expect_code 2 gt-graph 2>err && grep -q "usage: gt-graph" err &&
	expect_code 2 gt-graph "$A" "$B" 2>err &&
	expect_code 2 gt-graph --dot --json "$A" 2>err && grep -q "one at a time" err &&
	expect_code 2 gt-graph --svg --dot "$A" 2>err &&
	expect_code 2 gt-graph --depth -2 "$A" 2>err &&
	expect_code 2 gt-graph --kind tree "$A" 2>err && grep -q "tree" err &&
	expect_code 2 gt-graph --kind molecule "$A" 2>err &&
	expect_code 2 gt-graph --max-nodes 0 "$A" 2>err
'

test_expect_success 'an unknown id is not found (exit 3), odd characters and all, and never run' '
	cd l &&
	expect_code 3 gt-graph "nope-zzz" >out 2>err &&
	grep -q "^gt-graph: error: bead .nope-zzz. not found" err && test ! -s out &&
	expect_code 3 gt-graph "x\"; touch pwned; \$(touch pwned2)" 2>err &&
	test ! -e pwned && test ! -e pwned2 && test ! -e ../pwned &&
	expect_code 3 gt-graph --svg "../../etc/passwd" 2>err
'

test_expect_success 'a bead: what blocks it (transitively), what it blocks, its parent' '
	cd l &&
	gt-graph "$B" >out &&
	cat out &&
	head -n 1 out | grep -q "^$B	in_progress	task	child B	-> $E (parent-child), $A\$" &&
	grep -q "^$A	open	task	child A second line	-> $E (parent-child), $NEAR\$" out &&
	grep -q "^$NEAR	open	task	near blocker	-> $FAR\$" out &&
	grep -q "^$AFTER	open	task	blocked by B	-> $B\$" out &&
	grep -q "^$CONVOY	open	convoy	Batch	-> " out &&
	! grep -q "^$UNREL	" out &&
	# --depth 1: only the neighbours
	gt-graph --depth 1 "$B" | cut -f1 | sort >near1 &&
	printf "%s\n" "$A" "$AFTER" "$B" "$CONVOY" "$E" | sort >want &&
	test_cmp_files want near1 &&
	# --depth 0: the bead alone; -1: as far as it goes (the external
	# dependency of the far blocker is 4 steps up)
	gt-graph --depth 0 "$B" | cut -f1 >alone && echo "$B" >want && test_cmp_files want alone &&
	! grep -q "^external:" out &&
	gt-graph --depth -1 "$B" | grep -q "^external:other:" &&
	# a partial id is resolved
	gt-graph "${B%.*}" | head -n 1 | grep -q "^$E	open	epic	"
'

test_expect_success '--json: {nodes:[{id,title,status,type,assignee,current}], edges:[{from,to,type}]}' '
	cd l &&
	gt-graph --json "$B" >g.json &&
	test "$(wc -l <g.json)" = 1 &&
	jq -e --arg b "$B" --arg a "$A" --arg e "$E" --arg t "$TITLE" "
		.id == \$b and .kind == \"bead\" and .truncated == false and
		(.nodes | type) == \"array\" and (.edges | type) == \"array\" and
		all(.nodes[]; (keys - [\"id\",\"title\",\"status\",\"type\",\"assignee\",\"current\",\"root\"]) == []
			and (.id|type) == \"string\" and (.title|type) == \"string\"
			and (.current|type) == \"boolean\") and
		all(.edges[]; keys == [\"from\",\"to\",\"type\"]) and
		.nodes[0].id == \$b and .nodes[0].root and .nodes[0].current and
		.nodes[0].assignee == \"app/polecats/agate\" and
		([.nodes[] | select(.current)] | length) == 1 and
		(.nodes[] | select(.id == \$e) | .title) == \$t and
		(.nodes[] | select(.id == \$a) | .title) == \"child A\nsecond\tline\" and
		any(.edges[]; .from == \$b and .to == \$a and .type == \"blocks\") and
		any(.edges[]; .from == \$b and .to == \$e and .type == \"parent-child\")
	" g.json >/dev/null
'

test_expect_success 'an epic: its children and what is around them' '
	cd l &&
	gt-graph --json "$E" >e.json &&
	jq -e --arg e "$E" --arg a "$A" --arg b "$B" --arg n "$NEAR" --arg f "$FAR" \
		--arg x "$AFTER" --arg u "$UNREL" "
		.kind == \"epic\" and .nodes[0].id == \$e and
		([.nodes[].id] | index(\$a) and index(\$b) and index(\$n) and index(\$x)) and
		([.nodes[].id] | index(\$f) | not) and ([.nodes[].id] | index(\$u) | not) and
		any(.edges[]; .from == \$a and .to == \$e and .type == \"parent-child\") and
		any(.edges[]; .from == \$b and .to == \$a and .type == \"blocks\")
	" e.json >/dev/null &&
	gt-graph --kind bead --depth 1 --json "$E" | jq -e ".kind == \"bead\"" >/dev/null
'

test_expect_success 'a convoy: the beads it tracks and the deps among them' '
	cd l &&
	gt-graph --json "$CONVOY" >c.json &&
	jq -e --arg c "$CONVOY" --arg a "$A" --arg b "$B" --arg u "$UNREL" "
		.kind == \"convoy\" and ([.nodes[].id] | sort) == ([\$c, \$a, \$b, \$u] | sort) and
		([.edges[] | select(.type == \"tracks\")] | length) == 3 and
		any(.edges[]; .from == \$b and .to == \$a and .type == \"blocks\")
	" c.json >/dev/null
'

test_expect_success 'a molecule: its steps and what each needs, the current one marked' '
	cd l &&
	gt-graph --json "$MOL" >m.json &&
	jq -e "
		.kind == \"molecule\" and
		([.nodes[].id] | index(\"load-context\") and index(\"submit\")) and
		(.nodes[] | select(.id == \"load-context\") | .current and .status == \"in_progress\") and
		(.nodes[] | select(.id == \"implement\") | .status == \"blocked\" and .state == \"blocked\") and
		any(.edges[]; .from == \"implement\" and .to == \"load-context\" and .type == \"needs\")
	" m.json >/dev/null &&
	gt-graph "$MOL" | grep -q "^implement	blocked	step	.*	-> load-context\$" &&
	gt-graph --dot "$MOL" >m.dot && grep -q "\"load-context\" -> \"implement\";" m.dot
'

test_expect_success 'a wisp molecule (refs/gt/wisps) is drawn too' '
	cd l &&
	w=$(gt-mol-wisp mol-polecat-work --var issue=x --var title=y) &&
	case "$w" in *-wisp-*) ;; *) die "not a wisp: $w" ;; esac &&
	gt-graph --json "$w" | jq -e ".kind == \"molecule\" and (.nodes | length) > 3" >/dev/null &&
	expect_code 2 gt-graph --kind bead "$w" 2>err
'

test_expect_success '--dot: titles quoted, a legend, the current work outlined' '
	cd l &&
	gt-graph --dot "$E" >e.dot &&
	cat e.dot &&
	grep -qF "label=\"$E\\nThe \\\"epic\\\" \\\\N \\\\ <script>alert(1)</script> & co\"" e.dot &&
	grep -qF "label=\"$A\\nchild A\\nsecondline\"" e.dot &&
	grep -q "subgraph cluster_legend" e.dot &&
	grep -q "\"legend: open\" \[label=\"open\", fillcolor=lightblue\]" e.dot &&
	grep -q "\"legend: in_progress\" \[label=\"in_progress\", fillcolor=gold\]" e.dot &&
	grep -q "\"legend: current\"" e.dot &&
	grep -q "^	\"$B\" .*fillcolor=gold, color=red, penwidth=3" e.dot &&
	grep -q "^	\"$E\" .*peripheries=2" e.dot &&
	grep -q "^	\"$E\" -> \"$A\" \[label=\"parent-child\", style=dashed\]" e.dot &&
	grep -q "^	\"$A\" -> \"$B\";" e.dot &&
	# no line of it is broken by a title, and dot reads it
	test "$(grep -c "^	\"$A\" \[" e.dot)" = 1 &&
	dot -Tcanon e.dot >/dev/null
'

test_expect_success '--svg: well-formed XML, the titles there as they were typed' '
	cd l &&
	gt-graph --svg "$E" >e.svg &&
	svg_texts <e.svg >texts &&
	grep -qxF "$TITLE" texts &&
	grep -qx "child A" texts && grep -qx "secondline" texts &&
	grep -qx "legend" texts && grep -qx "current work" texts &&
	! grep -q "<script" e.svg && grep -q "&lt;script&gt;" e.svg
'

test_expect_success 'odd ids: an external dependency with quotes and a backslash' '
	cd l &&
	gt-graph --depth 1 "$FAR" >out &&
	grep -qxF "external:other:x\"y\\z	external	-	" out &&
	gt-graph --dot --depth 1 "$FAR" >far.dot &&
	grep -qF "\"external:other:x\\\"y\\\\z\" -> \"$FAR\";" far.dot &&
	dot -Tcanon far.dot >/dev/null &&
	gt-graph --svg --depth 1 "$FAR" | svg_texts >texts &&
	grep -qxF "external:other:x\"y\\z" texts &&
	gt-graph --json --depth 1 "$FAR" |
		jq -e ".nodes[] | select(.id == \"external:other:x\\\"y\\\\z\") | .status == \"external\"" >/dev/null
'

test_expect_success 'the graph is bounded: --max-nodes, a warning, truncated' '
	cd l &&
	hub=$(gt-bead-add "hub") &&
	i=0 && while [ $i -lt 30 ]; do echo "{\"title\":\"leaf $i\",\"dependencies\":[{\"depends_on_id\":\"$hub\",\"type\":\"blocks\"}]}"; i=$((i + 1)); done >leaves.jsonl &&
	gt-bead-add --stdin <leaves.jsonl >/dev/null &&
	gt-graph --json "$hub" | jq -e ".truncated == false and (.nodes | length) == 31" >/dev/null &&
	gt-graph --json --max-nodes 10 "$hub" 2>err >t.json &&
	jq -e ".truncated == true and (.nodes | length) == 10 and .nodes[0].id == \"$hub\"" t.json >/dev/null &&
	grep -q "warning: the graph of .$hub. stops at 10 nodes" err &&
	gt-graph --max-nodes 10 "$hub" | wc -l | grep -qx 10
'

test_expect_success '--svg without Graphviz: a clear error, exit 7' '
	cd l &&
	mkdir -p ../nodot &&
	PATH=$TRASH/nodot expect_code 7 "$BIN/gt-graph" --svg "$E" >out 2>err &&
	cat err &&
	test ! -s out &&
	grep -q "^gt-graph: error: cannot run .dot.: Graphviz is not installed" err &&
	grep -q "^hint: .*graphviz" err
'

test_done
