#!/bin/sh
# Shell completion for every command and every kind of id: the engine that
# completions/gt.bash, _gt and gt.fish share (one text, in the three files),
# bash through its completion function, and zsh and fish through their own
# completion machinery when they are installed (skipped otherwise).
. "$(dirname "$0")/lib/test.sh"

COMP=$ROOT/completions

# the engine: the lines between the quote that opens it and the one that
# closes it
engine_of() {
	sed -n "/gt_engine.*'\$/,/^'\$/p" "$1" | sed "1d;\$d"
}

# bcomp WORD...: what bash offers for the last word, one a line
cat >comp.bash <<'EOF'
. "$COMP/gt.bash"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
_gt "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
[ ${#COMPREPLY[@]} = 0 ] || printf '%s\n' "${COMPREPLY[@]}"
EOF
bcomp() {
	COMP=$COMP bash "$TRASH/comp.bash" "$@"
}

# zcomp LINE: what zsh offers when TAB is pressed after LINE, one a line.
# A zsh on a pty (zpty) loads _gt through compinit; compadd is wrapped to
# print the matches, and the shell exits once the completion is done.
cat >zcomp.zsh <<'EOF'
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT=; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() {
	if [[ " $* " == *" -"[OAD]" "* ]]; then builtin compadd "$@"; return; fi
	local -a h; builtin compadd -O h "$@"; print -rl -- "" ${h/#/@@}
	builtin compadd "$@"; }'
zpty -w z 'bindkey "^I" complete-word; comppostfuncs=(exit)'
zpty -w z "$2"$'\t'
integer n=0
local out line
# bounded only so that a broken run cannot hang (10 s)
while (( n++ < 200 )); do
	if zpty -rt z line; then
		out+=$line
	elif ! zpty -t z 2>/dev/null; then
		break
	else
		sleep 0.05
	fi
done
zpty -d z
print -r -- $out | tr -d '\r' | sed -n 's/^@@//p'
EOF
zcomp() {
	zsh -f "$TRASH/zcomp.zsh" "$COMP" "$1"
}

# fcomp LINE: what fish offers after LINE, one a line (without help)
fcomp() {
	fish -N -c "source '$COMP/gt.fish'; complete -C '$1'" | cut -f1
}

# has WORD FILE / hasnt WORD FILE: whether a line of FILE is WORD
has() {
	grep -qx -- "$1" "$2" || { echo "no '$1' in:" && cat "$2"; return 1; }
}
hasnt() {
	! grep -qx -- "$1" "$2" || { echo "'$1' offered:" && cat "$2"; return 1; }
}

# make_shims DIR: for each command of bin/ a gt-* in DIR that notes its
# name in $TRASH/calls and runs it
make_shims() {
	mkdir -p "$1"
	for c in "$BIN"/gt-*; do
		cat >"$1/${c##*/}" <<EOF
#!/bin/sh
echo "\${0##*/}" >>"$TRASH/calls"
exec "$BIN/\${0##*/}" "\$@"
EOF
		chmod +x "$1/${c##*/}"
	done
}

# skip_unless CMD DESCRIPTION BODY: the test, or "ok N - ... # skip"
skip_unless() {
	if command -v "$1" >/dev/null; then
		test_expect_success "$2" "$3"
	else
		test_expect_success "$2 # skip $1 is not installed" true
	fi
}

test_expect_success 'the engine is the same text in the three files' '
	engine_of "$COMP/gt.bash" >e.bash &&
	engine_of "$COMP/_gt" >e.zsh &&
	engine_of "$COMP/gt.fish" >e.fish &&
	test "$(wc -l <e.bash)" -gt 100 &&
	test_cmp_files e.bash e.zsh &&
	test_cmp_files e.bash e.fish &&
	! grep -n "'\''" e.bash &&
	! grep -nF "\\\\" e.bash &&
	sh -n e.bash &&
	if command -v shellcheck >/dev/null; then shellcheck -s sh e.bash; fi
'

test_expect_success 'every command whose usage takes ids says of what kind' '
	sed -n "/^args_of() {/,/^}/p" e.bash >args.sh && . ./args.sh &&
	for c in "$BIN"/gt-*; do
		"$c" --help </dev/null 2>/dev/null | sed -n "1s/^usage: [^ ]*//p" |
			sed -E "s/(^|[[ (|])--?[a-z-]+ [A-Z][][A-Z_|=.:-]*/\1/g" >usage
		! grep -qwE "ID|BEAD|AGENT|RIG|CONVOY|FORMULA|MOLECULE|MR|SNAPSHOT|ESCALATION|EPIC|ADDR|STEP" usage ||
			test -n "$(args_of "${c##*/}")" || die "${c##*/}: no kinds for$(cat usage)"
	done
'

test_expect_success 'a town: beads open and closed, a worker, a convoy, mail' '
	new_town && cd town &&
	gt-bead-add "open one" >../open &&
	gt-bead-add "slung one" >../slung &&
	gt-bead-add "closed one" >../closed &&
	gt-bead-close -q "$(cat ../closed)" &&
	gt-sling --no-start "$(cat ../slung)" app >/dev/null &&
	gt-bead-list --type molecule | cut -f1 >../mol &&
	test -s ../mol &&
	gt-convoy-create Batch "$(cat ../open)" >../convoy &&
	gt-mail-send -s hi -m there overseer | cut -f1 >../mail &&
	gt-escalate -m why "Help" >../esc &&
	mkdir ../nowhere
'

OPEN=$(cat open 2>/dev/null)
SLUNG=$(cat slung 2>/dev/null)
CLOSED=$(cat closed 2>/dev/null)
MOL=$(cat mol 2>/dev/null)
CONVOY=$(cat convoy 2>/dev/null)
MAIL=$(cat mail 2>/dev/null)
ESC=$(cat esc 2>/dev/null)

test_expect_success 'bash: gt and every gt-* command have a completion' '
	bash -c ". \"$COMP/gt.bash\" && complete -p gt gt-sling" >out &&
	has "complete -F _gt gt" out &&
	has "complete -F _gt gt-sling" out &&
	bash -c ". \"$COMP/gt.bash\"
		for c in \"$BIN\"/gt-*; do
			complete -p \${c##*/} >/dev/null || echo \${c##*/}
		done" >missing 2>&1 &&
	test_cmp_files /dev/null missing
'

test_expect_success 'bash: nouns, verbs and options' '
	bcomp gt be >out && has bead out &&
	bcomp gt bead a >out && has add out &&
	bcomp gt mol step >out && has step-done out &&
	bcomp gt help mo >out && has mol out &&
	bcomp gt-bead-add --pri >out && has --priority out &&
	bcomp gt bead update --cl >out && has --claim out &&
	bcomp gt-seance - >out && has -n out
'

test_expect_success 'bash: gt-bead-reopen offers closed beads, not open ones' '
	cd town &&
	bcomp gt-bead-reopen "" >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	bcomp gt bead reopen "" >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	bcomp gt-bead-close "" >out && has "$OPEN" out && hasnt "$CLOSED" out &&
	bcomp gt-bead-show "" >out && has "$OPEN" out && has "$CLOSED" out
'

test_expect_success 'bash: gt-sling takes beads, then a rig or an agent' '
	cd town &&
	bcomp gt-sling "" >out && has "$OPEN" out && hasnt app out &&
	bcomp gt-sling "$OPEN" "" >out && has app out && has app/polecats/agate out &&
	bcomp gt sling "$OPEN" a >out && has app out &&
	bcomp gt-sling --args "do it" "$OPEN" "" >out && has app out &&
	bcomp gt-sling --args "$OPEN" "" >out && has "$OPEN" out
'

test_expect_success 'bash: --agent offers the runtimes, also after --agent=' '
	cd town &&
	bcomp gt-sling --agent "" >out &&
	has claude out && has codex out && has scripted out &&
	bcomp gt-sling --agent = c >out &&
	has claude out && has codex out && hasnt scripted out &&
	bcomp gt-feed --agent "" >out && has app/polecats/agate out && hasnt claude out
'

test_expect_success 'bash: every kind of id' '
	cd town &&
	bcomp gt-convoy-status "" >out && has "$CONVOY" out &&
	bcomp gt-convoy-add "$CONVOY" "" >out && has "$OPEN" out &&
	bcomp gt-mol-status "" >out && has "$MOL" out && hasnt "$OPEN" out &&
	bcomp gt-hook-show "" >out && has app/polecats/agate out &&
	bcomp gt-hook-attach app/polecats/agate "" >out && has "$OPEN" out &&
	bcomp gt-unsling "" >out && has "$SLUNG" out && hasnt "$OPEN" out &&
	bcomp gt-rig-show "" >out && has app out &&
	bcomp gt-agent-add "" >out && has app/crew/ out &&
	bcomp gt-formula-show "" >out && has mol-polecat-work out &&
	bcomp gt-mol-pour --on "" >out && has "$OPEN" out &&
	bcomp gt-mail-read "" >out && has "$MAIL" out &&
	bcomp gt-mail-send "" >out && has mayor out && has app/witness out &&
	bcomp gt-escalation-ack "" >out && has "$ESC" out &&
	bcomp gt-cost "" >out && has app out && has "$CONVOY" out &&
	bcomp gt-bead-list --status "" >out && has closed out && has all out &&
	bcomp gt-bead-dep add "$OPEN" "" >out && has "$CLOSED" out &&
	bcomp gt-bead-dep add -t "" >out && has parent-child out &&
	bcomp gt-config "" >out && has bead.prefix out && has rig.agent out &&
	bcomp gt-init ../n >out && has ../nowhere out &&
	bcomp gt-bead-list --gt-dir = ../n >out && has ../nowhere out
'

test_expect_success 'bash: --gt-dir names the ledger the ids come from' '
	cd nowhere &&
	bcomp gt-bead-reopen --gt-dir ../town "" >out && has "$CLOSED" out
'

test_expect_success 'bash: outside a town nothing is offered and nothing printed' '
	cd nowhere &&
	for w in gt-bead-reopen gt-convoy-status gt-agent-show gt-mail-read; do
		bcomp $w "" >out 2>err &&
		test ! -s out && test ! -s err || die "$w: $(cat out err)"
	done &&
	bcomp gt-sling "$OPEN" "" >out 2>err && test ! -s out && test ! -s err
'

test_expect_success 'bash: one command per TAB (the option table is kept)' '
	cd town &&
	make_shims "$TRASH/shim" &&
	PATH=$TRASH/shim:$PATH bash -c ". \"$COMP/gt.bash\"
		for i in 1 2; do
			: >\"$TRASH/calls\"
			COMP_WORDS=(gt-sling --args x $OPEN \"\"); COMP_CWORD=4; _gt
			echo \$(cat \"$TRASH/calls\") = \${COMPREPLY[*]}
		done" >out &&
	cat out &&
	has "gt-sling gt-status = app app/polecats/agate" out &&
	has "gt-status = app app/polecats/agate" out
'

skip_unless zsh 'zsh: _gt is loaded for gt and for every gt-* name' '
	zsh -f -c "fpath=(\"$COMP\" \$fpath); autoload -Uz compinit; compinit -u -D
		print -r -- \$_comps[gt] \$_patcomps[gt-*]" >out &&
	has "_gt _gt" out
'

skip_unless zsh 'zsh: ids, rigs, runtimes, convoys, verbs and options' '
	cd town &&
	zcomp "gt-bead-reopen " >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	zcomp "gt bead reopen " >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	zcomp "gt-sling $OPEN " >out && has app out &&
	zcomp "gt-sling --agent " >out &&
	has claude out && has codex out && has scripted out &&
	zcomp "gt-sling --agent=co" >out && has codex out && hasnt claude out &&
	zcomp "gt-convoy-status " >out && has "$CONVOY" out &&
	zcomp "gt bead re" >out && has reopen out &&
	zcomp "gt-bead-add --pri" >out && has --priority out
'

skip_unless zsh 'zsh: outside a town nothing is offered' '
	cd nowhere &&
	zcomp "gt-bead-reopen " >out 2>err && test ! -s out && test ! -s err
'

skip_unless fish 'fish: ids, rigs, runtimes, convoys, verbs and options' '
	cd town &&
	fcomp "gt-bead-reopen " >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	fcomp "gt bead reopen " >out && has "$CLOSED" out && hasnt "$OPEN" out &&
	fcomp "gt-sling $OPEN " >out && has app out &&
	fcomp "gt-sling --agent " >out &&
	has claude out && has codex out && has scripted out &&
	fcomp "gt-sling --agent=co" >out && has --agent=codex out &&
	fcomp "gt-convoy-status " >out && has "$CONVOY" out &&
	fcomp "gt bead re" >out && has reopen out &&
	fcomp "gt-bead-add --pri" >out && has --priority out
'

skip_unless fish 'fish: outside a town nothing is offered' '
	cd nowhere &&
	fcomp "gt-bead-reopen " >out 2>err && test ! -s out && test ! -s err
'

test_done
