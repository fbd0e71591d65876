#!/bin/sh
# Shell completion (driven by --completion-helper; t0060-completion.sh has
# the full checks) and the shared-remote update hook.
. "$(dirname "$0")/lib/test.sh"

COMP=$ROOT/completions

test_expect_success 'bash completes nouns, verbs and options' '
	command -v bash >/dev/null || exit 0
	bash -c ". \"$COMP/gt.bash\"
		COMP_WORDS=(gt be); COMP_CWORD=1; _gt; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(gt bead a); COMP_CWORD=2; _gt; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(gt-bead-add --pri); COMP_CWORD=1; _gt gt-bead-add; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(gt bead update --cl); COMP_CWORD=3; _gt; echo \"\${COMPREPLY[*]}\"" >out &&
	sed -n 1p out | grep -qw bead &&
	assert_eq "add" "$(sed -n 2p out)" &&
	assert_eq "--priority" "$(sed -n 3p out)" &&
	assert_eq "--claim" "$(sed -n 4p out)"
'

test_expect_success 'bash completes bead ids' '
	command -v bash >/dev/null || exit 0
	new_ledger l && cd l && gt-bead-add -q --id t-compl "x" &&
	bash -c ". \"$COMP/gt.bash\"; COMP_WORDS=(gt-bead-show t-co); COMP_CWORD=1;
		_gt gt-bead-show; echo \"\${COMPREPLY[*]}\"" >out &&
	grep -qx t-compl out
'

test_expect_success 'the zsh and fish files parse (when those shells exist)' '
	if command -v zsh >/dev/null; then zsh -n "$COMP/_gt"; fi &&
	if command -v fish >/dev/null; then fish -n "$COMP/gt.fish"; fi
'

test_expect_success 'the update hook protects a shared ledger' '
	git init -q --bare remote.git &&
	cp "$ROOT/hooks/update-gt-ledger.sh" remote.git/hooks/update &&
	chmod +x remote.git/hooks/update &&
	new_ledger a && cd a &&
	gt-bead-add -q "one" &&
	git push -q ../remote.git refs/gt/ledger &&
	gt-bead-add -q "two" &&
	git push -q ../remote.git refs/gt/ledger &&
	git update-ref refs/gt/ledger refs/gt/ledger~1 &&
	expect_code 1 git push -q -f ../remote.git refs/gt/ledger 2>err &&
	grep -q "non-fast-forward" err &&
	expect_code 1 git push -q ../remote.git :refs/gt/ledger 2>err &&
	grep -q "refusing to delete" err &&
	git update-ref refs/gt/wisps refs/gt/ledger &&
	expect_code 1 git push -q ../remote.git refs/gt/wisps 2>err &&
	grep -q "never pushed" err
'

test_done
