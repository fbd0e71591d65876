#!/bin/sh
# The house in layers: tests/layers (run by make lint) passes on lib/ as it
# is, by its #include lines and by what the built objects call, and fails,
# naming the file and the include, on a tree with an upward include, a
# loop, a file outside the layers or two objects of one name.
. "$(dirname "$0")/lib/test.sh"

LAYERS="$ROOT/tests/layers"

# mklayer DIR LAYER...: a tree with these layers, bottom-up
mklayer() {
	dir=$1
	shift
	mkdir -p "$dir"
	: >"$dir/LAYERS"
	for l in "$@"; do
		mkdir -p "$dir/$l"
		echo "$l" >>"$dir/LAYERS"
	done
}

# mkmod DIR LAYER/NAME INCLUDE...: NAME.c and NAME.h, the .c including
# its own header and each INCLUDE
mkmod() {
	dir=$1 m=$2
	shift 2
	printf '#ifndef X\n#define X\nint %s(void);\n#endif\n' "$(basename "$m")" >"$dir/$m.h"
	printf '#include "%s.h"\n' "$m" >"$dir/$m.c"
	for i in "$@"; do
		printf '#include "%s"\n' "$i" >>"$dir/$m.c"
	done
}

test_expect_success 'lib/ as it is: no upward include, no loop' '
	"$LAYERS" "$ROOT/lib" 2>err &&
	[ ! -s err ]
'

test_expect_success 'lib/ as built: no object calls upward or round a loop' '
	[ -d "$ROOT/build/lib/base" ] || die "build/lib is not built" &&
	"$LAYERS" --objects "$ROOT/build/lib" "$ROOT/lib" 2>err &&
	[ ! -s err ]
'

test_expect_success 'every source of lib/ sits in a layer the Makefile builds' '
	layers=$(grep -v "^#" "$ROOT/lib/LAYERS" | tr "\n" " ") &&
	for f in "$ROOT"/lib/*/*.c; do
		l=$(basename "$(dirname "$f")") &&
		case " $layers " in *" $l "*) ;; *) die "$f: $l is not a layer" ;; esac &&
		case $f in */nonet.c | */static.c) continue ;; esac &&
		o=$ROOT/build/lib/$l/$(basename "$f" .c).o &&
		{ [ -f "$o" ] || die "$f was not built: $o missing"; }
	done
'

test_expect_success 'a clean tree of three layers passes' '
	mklayer ok base store flow &&
	mkmod ok base/buf &&
	mkmod ok store/ledger base/buf.h &&
	mkmod ok flow/mail store/ledger.h base/buf.h &&
	mkmod ok flow/sling "mail.h" store/ledger.h &&
	"$LAYERS" ok 2>err &&
	[ ! -s err ]
'

test_expect_success 'an upward include fails, naming the file, the line and the include' '
	mklayer up base store flow &&
	mkmod up base/buf &&
	mkmod up store/ledger base/buf.h flow/mail.h &&
	mkmod up flow/mail &&
	expect_code 1 "$LAYERS" up 2>err &&
	cat err &&
	grep -q "up/store/ledger.c:3: #include \"flow/mail.h\": layer store uses flow, which is above it" err &&
	[ "$(wc -l <err)" = 1 ]
'

test_expect_success 'an upward include from a header fails too' '
	mklayer uph base store &&
	mkmod uph base/buf &&
	mkmod uph store/ledger &&
	echo "#include \"store/ledger.h\"" >>uph/base/buf.h &&
	expect_code 1 "$LAYERS" uph 2>err &&
	grep -q "uph/base/buf.h:5: #include \"store/ledger.h\": layer base uses store" err
'

test_expect_success 'two modules that include each other are a loop' '
	mklayer loop base flow &&
	mkmod loop flow/mail flow/worker.h &&
	mkmod loop flow/worker &&
	echo "#include \"flow/mail.h\"" >>loop/flow/worker.h &&
	expect_code 1 "$LAYERS" loop 2>err &&
	cat err &&
	grep -q "loop: flow/mail -> flow/worker -> flow/mail" err &&
	[ "$(grep -c "^layers: loop" err)" = 1 ]
'

test_expect_success 'a longer loop is found and named once' '
	mklayer ring base town &&
	mkmod ring town/agent town/mail.h &&
	mkmod ring town/mail town/worker.h &&
	mkmod ring town/worker town/agent.h &&
	mkmod ring town/solo town/agent.h &&
	expect_code 1 "$LAYERS" ring 2>err &&
	cat err &&
	[ "$(grep -c "^layers: loop" err)" = 1 ] &&
	grep -q "loop: town/agent -> town/mail -> town/worker -> town/agent" err
'

test_expect_success 'files outside the layers, unknown headers and umbrellas are refused' '
	mklayer odd base store &&
	mkmod odd base/buf &&
	mkmod odd store/ledger base/nosuch.h gt.h &&
	echo "#include \"base/buf.h\"" >odd/gt.h &&
	echo "int x;" >odd/stray.c &&
	mkdir -p odd/extra && echo "int y;" >odd/extra/y.c &&
	expect_code 1 "$LAYERS" odd 2>err &&
	cat err &&
	grep -q "odd/store/ledger.c:2: #include \"base/nosuch.h\": no such header" err &&
	grep -q "odd/store/ledger.c:3: #include \"gt.h\": gt.h is an umbrella for commands" err &&
	grep -q "odd/stray.c: not in a layer" err &&
	grep -q "odd/extra/y.c: extra is not a layer" err
'

test_expect_success 'two sources of one name in different layers are refused' '
	mklayer twins base store &&
	mkmod twins base/feed &&
	mkmod twins store/feed &&
	expect_code 1 "$LAYERS" twins 2>err &&
	grep -q "twins/store/feed.c: has the name of twins/base/feed.c" err
'

test_expect_success 'with --objects: a call upward and a loop of calls fail' '
	mklayer obj base store &&
	printf "int lo(void);\nint lo(void) { return 0; }\nint hi(void);\nint up(void) { return hi(); }\n" >obj/base/lo.c &&
	printf "int lo(void);\nint hi(void);\nint hi(void) { return lo(); }\n" >obj/store/hi.c &&
	printf "int a2(void);\nint a1(void);\nint a1(void) { return a2(); }\n" >obj/store/a.c &&
	printf "int a1(void);\nint a2(void);\nint a2(void) { return a1(); }\n" >obj/store/b.c &&
	mkdir -p objs/base objs/store &&
	cc -c -o objs/base/lo.o obj/base/lo.c &&
	cc -c -o objs/store/hi.o obj/store/hi.c &&
	cc -c -o objs/store/a.o obj/store/a.c &&
	cc -c -o objs/store/b.o obj/store/b.c &&
	expect_code 1 "$LAYERS" --objects objs obj 2>err &&
	cat err &&
	grep -q "objs/base/lo.o: calls hi: layer base uses store, which is above it" err &&
	grep -q "loop: store/a -> store/b -> store/a" err
'

test_expect_success 'usage errors and a tree without LAYERS exit 2' '
	expect_code 2 "$LAYERS" a b &&
	expect_code 2 "$LAYERS" --objects &&
	mkdir -p bare/base &&
	expect_code 2 "$LAYERS" bare 2>err &&
	grep -q "LAYERS" err
'

test_done
