# bash completion for gt and every gt-* command.
#
# Enable: source this file from ~/.bashrc, or install it as
# share/bash-completion/completions/gt (make install does): bash-completion
# then loads it on the first "gt <TAB>", and from then on the gt-* names
# complete too; a link named after a command (gt-sling -> gt) in that
# directory makes "gt-sling <TAB>" load it as well.
#
# The shell side only splits the line into words and keeps the option
# tables; what to offer is decided by the engine below, the same in the
# bash, zsh and fish files.

# shellcheck disable=SC2016 # sh code, expanded when it runs
_gt_engine='
# gt-complete: what to offer for the word being completed.  The same text
# is in completions/gt.bash, completions/_gt and completions/gt.fish
# (tests/t0060-completion.sh checks that the copies agree, and lints the
# text): change one, copy it to the others.  Each shell runs
#
#   sh -c "$engine" gt-complete INDEX WORD0 ... WORD<INDEX> <CACHE
#
# WORD0 is gt or a gt-* command, WORD<INDEX> the word under the cursor
# ("--opt=value" as one word), CACHE the option tables the shell keeps (see
# load_options).  It prints one candidate a line, an option followed by a
# tab and its help; or "@file" or "@dir" when the shell should complete
# paths itself.  Options come from the command (--completion-helper), ids
# from at most one list command per completion (see kind), whose errors
# are thrown away: outside a town there is nothing to offer and nothing is
# printed.  The text holds no single quote and no double backslash, so
# each shell keeps it verbatim in a single-quoted string.

# The positional arguments of each command, in order: the kind of each,
# "..." after the last when it repeats; "-" is free text.  A command not
# listed here takes no arguments (or only free text).
args_of() {
	case $1 in
	gt-agent-add) echo crew ;;
	gt-agent-show | gt-done | gt-handoff | gt-hook-detach | gt-hook-show | \
	gt-seance | gt-session-attach) echo agent ;;
	gt-nudge | gt-peek) echo agent - ;;
	gt-session-start | gt-session-stop) echo agent... ;;
	gt-polecat-remove) echo polecat... ;;
	gt-hook-attach) echo agent bead ;;
	gt-bead-close | gt-bead-delete | gt-bead-update) echo bead... ;;
	gt-bead-edit) echo bead ;;
	gt-bead-show) echo all... ;;
	gt-bead-log) echo all ;;
	gt-graph) echo all ;;
	gt-bead-reopen) echo closed... ;;
	gt-bead-comment) echo "=add,list" all - ;;
	gt-bead-dep) echo "=add,rm,list,tree" bead all ;;
	gt-bead-label) echo "=add,rm,list" bead label... ;;
	gt-bead-import) echo file... ;;
	gt-config) echo config - ;;
	gt-convoy-add) echo convoy bead... ;;
	gt-convoy-check | gt-convoy-land) echo convoy ;;
	gt-convoy-status) echo convoy... ;;
	gt-convoy-create) echo - bead... ;;
	gt-cost) echo scope ;;
	gt-epic-status) echo epic... ;;
	gt-escalation-ack) echo escalation... ;;
	gt-formula-cook | gt-formula-show | gt-mol-dag | gt-mol-pour | gt-mol-wisp) echo formula ;;
	gt-mol-burn | gt-mol-squash | gt-mol-status) echo mol ;;
	gt-mol-step-done) echo step ;;
	gt-mail-ack | gt-mail-read) echo mail... ;;
	gt-mail-reply | gt-mail-thread) echo mail ;;
	gt-mail-inbox) echo addr ;;
	gt-mail-send) echo addr... ;;
	gt-mq-reject | gt-mq-show) echo mr ;;
	gt-mq-retry) echo mr... ;;
	gt-mq-list | gt-mq-next | gt-estop | gt-thaw | gt-rig-park | gt-rig-remove | \
	gt-rig-show | gt-rig-unpark) echo rig ;;
	gt-refinery | gt-witness) echo rig... ;;
	gt-rig-add) echo - dir ;;
	gt-init | gt-demo | gt-demo-ledger) echo dir ;;
	gt-sling) echo bead target... ;;
	gt-snapshot-list) echo target ;;
	gt-snapshot-restore | gt-snapshot-show) echo snapshot ;;
	gt-unsling) echo hooked... ;;
	esac
}

# The kind of the argument of option $2 of command $1 (its long name);
# nothing for free text.  Several kinds may be given, blank-separated.
opt_kind() {
	case "$1 $2" in
	"gt-feed --agent") echo agent ;;
	*" --agent") echo runtime ;;
	*" --actor" | *" --assignee" | *" --owner" | *" --author") echo agent ;;
	*" --notify") echo addr ;;
	*" --rig") echo rig ;;
	"gt-bead-list --id" | "gt-feed --bead") echo all ;;
	*" --bead" | *" --parent" | *" --on" | *" --deps") echo bead ;;
	*" --mol") echo mol ;;
	*" --from-epic") echo epic ;;
	*" --formula") echo formula ;;
	*" --gt-dir" | *" --to") echo dir ;;
	*" --output" | *" --file" | *" --description-file") echo file ;;
	"gt-done --status") echo "=COMPLETED,ESCALATED,DEFERRED" ;;
	"gt-bead-list --status") echo status =all ;;
	*" --status") echo status ;;
	"gt-bead-dep --type") echo deptype ;;
	*" --type") echo type ;;
	*" --label" | *" --label-any" | *" --remove-label") echo label ;;
	*" --priority" | *" --priority-min" | *" --priority-max") echo "=0,1,2,3,4" ;;
	*" --severity") echo "=critical,high,medium,low" ;;
	*" --mode" | "gt-top --nudge-mode") echo "=immediate,wait-idle,queue" ;;
	*" --role") echo "=polecat,crew,witness,refinery,mayor,deacon" ;;
	*" --policy") echo "=newer,incoming,existing" ;;
	"gt-bead-export --format") echo "=beads,type-lines,list,deletions,backup" ;;
	"gt-bead-list --sort") echo "=priority,created,updated,id,status,type,assignee" ;;
	"gt-ready --sort") echo "=priority,oldest,hybrid" ;;
	"gt-bead-count --by") echo "=status,type,assignee,label,priority" ;;
	"gt-bead-edit --field") echo "=description,title,design,notes,acceptance_criteria" ;;
	"gt-graph --kind") echo "=bead,epic,convoy,molecule" ;;
	esac
}

# The candidates of one kind: each runs at most one gt command.
kind() {
	case $1 in
	=*)
		IFS=,
		for w in ${1#=}; do echo "$w"; done
		IFS=" $tab$nl"
		;;
	bead) gt-bead-list -n 0 | cut -f1 ;;
	all) gt-bead-list -n 0 --all | cut -f1 ;;
	closed) gt-bead-list -n 0 --status closed | cut -f1 ;;
	mol) gt-bead-list -n 0 --type molecule | cut -f1 ;;
	epic) gt-bead-list -n 0 --type epic | cut -f1 ;;
	label) gt-bead-list -n 0 --json | jq -r ".labels[]?" | sort -u ;;
	hooked) gt-hook-list | cut -f1,2 | tr "\t" "\n" ;;
	agent) gt-agent-list | cut -f1 ;;
	polecat) gt-agent-list --role polecat | cut -f1 ;;
	rig) gt-rig-list | cut -f1 ;;
	crew) gt-rig-list | cut -f1 | sed "s|$|/crew/|" ;;
	target) town RIGS AGENTS ;;
	scope) town RIGS AGENTS CONVOYS ;;
	addr) town ROLES AGENTS ;;
	convoy) gt-convoy-list | cut -f1 ;;
	formula) gt-formula-list | cut -f1 ;;
	step) gt-mol-status | grep "^  [[][ >]] " | cut -c7- | cut -f1 ;;
	mr) gt-mq-list | cut -f1 ;;
	mail) gt-mail-inbox | cut -f1 ;;
	escalation) gt-escalation-list | cut -f1 ;;
	snapshot) gt-snapshot-list | cut -f1 ;;
	runtime)
		# the shipped runtimes/*.toml, found the way gt-run finds them
		d=$(command -v gt-run) && d=${d%/*} &&
			for f in "$d"/../share/gt/runtimes/*.toml "$d"/../runtimes/*.toml; do
				[ -f "$f" ] || continue
				f=${f##*/}
				echo "${f%.toml}"
			done | sort -u
		;;
	status)
		echo open in_progress blocked deferred closed pinned hooked | tr " " "\n"
		gt-config status.custom | tr "," "\n" | cut -d: -f1
		;;
	type)
		echo bug feature task epic chore decision message molecule gate spike \
			story milestone event merge-request convoy agent role rig slot \
			escalation | tr " " "\n"
		gt-config types.custom | tr "," "\n"
		;;
	deptype)
		echo blocks conditional-blocks waits-for parent-child related \
			discovered-from tracks | tr " " "\n"
		;;
	config)
		{
			echo bead.prefix types.custom status.custom ready.exclude-id-patterns \
				maintain.loose-threshold town.root town.name town.max-workers \
				town.mayor-agent escalation.notify escalation.timeout rig.agent \
				rig.formula rig.max-workers | tr " " "\n"
			gt-config --list | cut -d= -f1
		} | sort -u
		;;
	file | dir) echo "@$1" ;;
	esac
}

# Names from the sections of gt-status, the one command that knows rigs,
# agents and convoys together (its plain output: jq would take longer than
# the rest).  The words are the sections, RIGS, AGENTS or CONVOYS, and
# ROLES for the addresses of the roles of the town and of each rig.
town() {
	gt-status | while IFS= read -r line; do
		case $line in
		"town "*)
			case " $* " in *" ROLES "*) echo mayor deacon overseer | tr " " "$nl" ;; esac
			;;
		[A-Z]*) section=${line%% *} ;;
		"  "*)
			name=${line#"  "}
			name=${name%%"$tab"*}
			case " $* " in *" $section "*) echo "$name" ;; esac
			case "$section $*" in "RIGS "*ROLES*) echo "$name/witness" "$name/refinery" | tr " " "$nl" ;; esac
			;;
		esac
	done
}

# Every gt-* command on PATH (gt runs only names of [a-z0-9-]).
commands() {
	IFS=:
	for d in $PATH; do
		for f in "${d:-.}"/gt-*; do
			n=${f##*/}
			case $n in *[!a-z0-9-]*) continue ;; esac
			[ -f "$f" ] && [ -x "$f" ] && echo "$n"
		done
	done | sort -u
}

# The option table of $cmd: opts gets "NAME<tab>HELP" lines, argopts
# "NAME=LONG" words for the options that take an argument.  The shell keeps
# the tables it has seen and passes them on stdin as "COMMAND<tab>LINE"
# lines (a line "COMMAND" alone for an empty table); a table not there is
# read from the command and printed as "@options<tab>COMMAND[<tab>LINE]"
# lines for the shell to keep, so a command runs --completion-helper once
# per shell session.
load_options() {
	[ -z "$loaded" ] || return 0
	loaded=1
	table=
	found=
	while IFS= read -r line; do
		case $line in
		"$cmd") found=1 ;;
		"$cmd$tab"*)
			found=1
			table="$table${line#"$cmd$tab"}$nl"
			;;
		esac
	done
	if [ -z "$found" ]; then
		table=$("$cmd" --completion-helper </dev/null)
		echo "@options$tab$cmd"
		while IFS= read -r line; do
			[ -z "$line" ] || echo "@options$tab$cmd$tab$line"
		done <<-EOF
			$table
		EOF
	fi
	while IFS= read -r line; do
		long=${line%%"$tab"*}
		r=${line#*"$tab"}
		short=${r%%"$tab"*}
		r=${r#*"$tab"}
		meta=${r%%"$tab"*}
		help=${r#*"$tab"}
		[ -n "$long$short" ] || continue
		opts="$opts${long:-$short}$tab$help$nl"
		[ -n "$meta" ] || continue
		argopts="$argopts ${long:-$short}=${long:-$short}"
		[ -z "$short" ] || argopts="$argopts $short=${long:-$short}"
	done <<-EOF
		$table
	EOF
}

# Sets long to the long name of option $1 when it takes an argument.
arg_option() {
	long=
	for p in $argopts; do
		case $p in "$1="*)
			long=${p#*=}
			return 0
			;;
		esac
	done
	return 1
}

# The candidates of the kinds $1 (blank-separated).
offer() {
	for k in $1; do kind "$k" </dev/null; done
}

exec 2>/dev/null
tab=$(printf "\t")
nl="
"
loaded=
opts=
argopts=
at=$1
shift
[ "$#" -gt "$at" ] || exit 0
cmd=${1##*/}

# gt NOUN VERB ... runs gt-NOUN-VERB, gt VERB ... runs gt-VERB
if [ "$cmd" = gt ]; then
	case $at in
	1)
		case $2 in
		-*) printf "%s\n" --help --version ;;
		*) { echo help version; commands | sed "s/^gt-//; s/-.*//"; } | tr " " "$nl" | sort -u ;;
		esac
		exit 0
		;;
	esac
	if [ "$2" = help ]; then
		case $at in
		2) commands | sed "s/^gt-//; s/-.*//" | sort -u ;;
		3) commands | sed -n "s/^gt-$3-//p" ;;
		esac
		exit 0
	fi
	case $2 in *[!a-z0-9-]* | "") exit 0 ;; esac
	if [ "$at" = 2 ]; then
		verbs=$(commands | sed -n "s/^gt-$2-//p")
		if [ -n "$verbs" ]; then
			echo "$verbs"
			exit 0
		fi
	fi
	if [ "$at" -ge 3 ] && command -v "gt-$2-$3" >/dev/null 2>&1; then
		cmd=gt-$2-$3
		shift 2
		at=$((at - 2))
	elif command -v "gt-$2" >/dev/null 2>&1; then
		cmd=gt-$2
		shift
		at=$((at - 1))
	else
		exit 0
	fi
fi
command -v "$cmd" >/dev/null 2>&1 || exit 0
shift

# Walk the words before the cursor: count the positional arguments, skip
# the arguments of options, and note --gt-dir for the list commands.
n=0
i=1
optarg=
dashdash=
while [ "$i" -lt "$at" ]; do
	w=$1
	shift
	i=$((i + 1))
	if [ -n "$optarg" ]; then
		[ "$optarg" != --gt-dir ] || GT_DIR=$w
		optarg=
		continue
	fi
	case $dashdash$w in
	--) dashdash=1 ;;
	--gt-dir=*) GT_DIR=${w#--gt-dir=} ;;
	--*=*) ;;
	-?*)
		load_options
		! arg_option "$w" || optarg=$long
		;;
	*) n=$((n + 1)) ;;
	esac
done
cur=$1
# shellcheck disable=SC2088 # a literal tilde, as typed
t="~/"
case $GT_DIR in "$t"*) GT_DIR=$HOME/${GT_DIR#"$t"} ;; esac
[ -z "${GT_DIR+set}" ] || export GT_DIR

if [ -n "$optarg" ]; then
	offer "$(opt_kind "$cmd" "$optarg")"
	exit 0
fi
case $dashdash$cur in
--*=*)
	load_options
	arg_option "${cur%%=*}" && offer "$(opt_kind "$cmd" "$long")"
	exit 0
	;;
-*)
	load_options
	printf "%s" "$opts"
	exit 0
	;;
esac

# the kind of positional argument n (from 0)
# shellcheck disable=SC2046 # one word per argument
set -- $(args_of "$cmd")
k=
while [ "$#" -gt 0 ]; do
	k=$1
	shift
	case $k in
	*...) k=${k%...} && break ;;
	esac
	[ "$n" -gt 0 ] || break
	n=$((n - 1))
	k=
done
case $k in
- | "") ;;
*) offer "$k" ;;
esac
'

# the option tables seen so far (see load_options in the engine)
_gt_options=

# Completes gt and the gt-* commands from COMP_WORDS and COMP_CWORD.
_gt() {
	local cur=${COMP_WORDS[COMP_CWORD]} i t n=-1 glue='' line out paths=''
	local -a words=()

	# bash splits "--agent=claude" at "=": join it again
	for ((i = 0; i <= COMP_CWORD; i++)); do
		t=${COMP_WORDS[i]}
		if [[ $t == = && $n -ge 0 && ${words[n]} == -* && ${words[n]} != *=* ]]; then
			words[n]+='='
			glue=1
		elif [[ -n $glue ]]; then
			words[n]+=$t
			glue=''
		else
			words[++n]=$t
		fi
	done
	[[ $cur == = ]] && cur=

	out=$(sh -c "$_gt_engine" gt-complete "$n" "${words[@]}" 2>/dev/null <<<"$_gt_options")
	if [[ $out == *@options$'\t'* ]]; then
		while IFS= read -r line; do
			[[ $line == @options$'\t'* ]] && _gt_options+=${line#*$'\t'}$'\n'
		done <<<"$out"
	fi
	case $'\n'$out$'\n' in
	*$'\n'@file$'\n'*) paths=f ;;
	*$'\n'@dir$'\n'*) paths=d ;;
	esac
	if [[ -n $paths ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -"$paths" -- "$cur")
	else
		# the candidates that start with the word, without their help
		mapfile -t COMPREPLY < <(P=$cur awk -F '\t' '$1 != "" && $1 !~ /^@(options|file|dir)$/ &&
			index($1, ENVIRON["P"]) == 1 { print $1 }' <<<"$out")
		[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _gt gt
while IFS= read -r _gt_c; do
	complete -F _gt "$_gt_c"
done < <(compgen -c gt- | sort -u)
unset _gt_c
