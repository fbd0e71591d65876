# bash completion for gt and every gt-* command.
#
# Enable: source this file, or install it as
# /usr/share/bash-completion/completions/gt (make install does).
# Options come from each command's --completion-helper, so they never go
# stale; bead ids are offered from gt-bead-list where an id is expected.

_gt_commands() {
	compgen -c gt- 2>/dev/null | sort -u
}

# complete options of command $1 for the word $2
_gt_options() {
	"$1" --completion-helper 2>/dev/null | cut -f1 | grep -v '^$'
}

_gt_ids() {
	gt-bead-list -n 200 2>/dev/null | cut -f1
}

_gt_complete_for() {
	local cmd=$1 cur=$2
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_gt_options "$cmd")" -- "$cur"))
	else
		case $cmd in
		gt-bead-show|gt-bead-update|gt-bead-close|gt-bead-reopen|gt-bead-delete|gt-bead-log)
			COMPREPLY=($(compgen -W "$(_gt_ids)" -- "$cur")) ;;
		gt-bead-dep|gt-bead-label|gt-bead-comment)
			if [[ $COMP_CWORD -le $3 ]]; then
				COMPREPLY=($(compgen -W "add rm list tree" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$(_gt_ids)" -- "$cur"))
			fi ;;
		gt-bead-import|gt-bead-export|gt-init)
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
	fi
}

_gt_direct() {
	_gt_complete_for "$1" "${COMP_WORDS[COMP_CWORD]}" 1
}

_gt() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmds words
	cmds=$(_gt_commands)
	if [[ $COMP_CWORD -eq 1 ]]; then
		# nouns and stand-alone verbs: gt-bead-add -> bead, gt-ready -> ready
		words=$(printf '%s\n' $cmds | sed 's/^gt-//; s/-.*//' | sort -u)
		COMPREPLY=($(compgen -W "help $words" -- "$cur"))
		return
	fi
	local noun=${COMP_WORDS[1]}
	if [[ $COMP_CWORD -eq 2 ]] && printf '%s\n' $cmds | grep -q "^gt-$noun-"; then
		words=$(printf '%s\n' $cmds | sed -n "s/^gt-$noun-//p")
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	if printf '%s\n' $cmds | grep -qx "gt-$noun-${COMP_WORDS[2]}"; then
		_gt_complete_for "gt-$noun-${COMP_WORDS[2]}" "$cur" 3
	elif printf '%s\n' $cmds | grep -qx "gt-$noun"; then
		_gt_complete_for "gt-$noun" "$cur" 2
	fi
}

complete -F _gt gt
for _gt_c in $(_gt_commands); do
	complete -F _gt_direct "$_gt_c"
done
unset _gt_c
