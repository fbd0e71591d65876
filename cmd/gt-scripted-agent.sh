#!/bin/sh
# gt-scripted-agent - gt's own agent: offline and deterministic, for demos
# and tests.  It reads its hook through `gt-prime --json`, runs the fenced
# ```sh blocks of the bead's description one by one (each block is a step;
# the steps finished are remembered in the worktree's git directory, so a
# restarted session resumes at the first unfinished one), commits what
# they changed, and calls gt-done.  A failing step escalates the bead.
# When the bead has a molecule it walks the molecule's steps too, marking
# each done (the sh blocks are its implement step).
#
# Titles and --args are only ever printed, never run: the one thing it
# executes is the code the bead's author wrote in a sh block.
set -eu

me=gt-scripted-agent
case "${1:-}" in
-h | --help)
	echo "usage: gt-scripted-agent"
	exit 0
	;;
--summary)
	echo "gt's own offline agent, for demos and tests"
	exit 0
	;;
--version)
	echo "gt-scripted-agent version $(gt --version | sed 's/^gt version //')"
	exit 0
	;;
--completion-helper)
	printf -- '--help\t-h\t\tshow this help\n'
	exit 0
	;;
-*)
	echo "$me: error: unknown option '$1'" >&2
	echo "usage: gt-scripted-agent" >&2
	exit 2
	;;
?*)
	echo "$me: error: unexpected argument '$1'" >&2
	echo "usage: gt-scripted-agent" >&2
	exit 2
	;;
esac

say() { printf '%s: %s\n' "$me" "$*"; }

prime=$(gt-prime --json)
bead=$(printf '%s\n' "$prime" | jq -r '.bead.id // empty')
if [ -z "$bead" ]; then
	say "nothing on my hook; stopping"
	exit 0
fi
title=$(printf '%s\n' "$prime" | jq -r '.bead.title // ""')
say "working on $bead: $title"
args=$(printf '%s\n' "$prime" | jq -r '.args // empty')
[ -z "$args" ] || say "instructions: $args"
notes=$(printf '%s\n' "$prime" | jq -r '.handoff.notes // empty')
[ -z "$notes" ] || say "handoff notes: $notes"

state=$(git rev-parse --absolute-git-dir)/gt-scripted
mkdir -p "$state"
# steps: every ```sh (or ```bash, ```shell) block, one file each
rm -f "$state"/step.*
printf '%s\n' "$prime" | jq -r '.bead.description // ""' | awk -v dir="$state" '
	/^[ \t]*```[ \t]*(sh|bash|shell)[ \t]*$/ { n++; f = dir "/step." n; inblock = 1; printf "" > f; next }
	inblock && /^[ \t]*```[ \t]*$/ { inblock = 0; close(f); next }
	inblock { print >> f }
'
progress=$state/progress.$bead
run_steps() {
	done_steps=0
	[ ! -f "$progress" ] || done_steps=$(cat "$progress")
	i=1
	while [ -f "$state/step.$i" ]; do
		if [ "$i" -le "$done_steps" ]; then
			say "step $i already done"
		else
			say "step $i"
			if ! sh -e "$state/step.$i"; then
				say "step $i failed; escalating"
				gt-done --status ESCALATED -m "gt-scripted-agent: step $i failed"
				exit 1
			fi
			printf '%s\n' "$i" >"$progress"
		fi
		i=$((i + 1))
	done
	[ "$i" -gt 1 ] || say "no sh steps in the description"
	ran=1
}

# With a molecule, follow it: the sh blocks are the work of its implement
# step; every other step is procedure a script has nothing to add to, so
# it is only marked done.  gt-mol-status names the first unfinished step,
# so a restarted session carries on where the last one stopped.
ran=0
mol=$(printf '%s\n' "$prime" | jq -r '.molecule | select(. != null and .status != "closed") | .id')
if [ -n "$mol" ]; then
	say "following molecule $mol"
	while cur=$(gt-mol-status --json "$mol" | jq -r '.current // empty') && [ -n "$cur" ]; do
		case $cur in
		*implement*) [ "$ran" = 1 ] || run_steps ;;
		submit) break ;; # gt-done below
		*) say "step $cur" ;;
		esac
		gt-mol-step-done --mol "$mol" "$cur" >/dev/null
	done
fi
[ "$ran" = 1 ] || run_steps

# A conflict bead from the refinery: rebase the branch it starts from onto
# the target, and resolve every conflict by keeping both sides (a union
# merge: deterministic, right for the demo's append-only files; a real
# agent reads the code instead).
target=$(printf '%s\n' "$prime" | jq -r '.bead.metadata.conflict.target // empty')
rebasing() {
	[ -d "$(git rev-parse --git-path rebase-merge)" ] ||
		[ -d "$(git rev-parse --git-path rebase-apply)" ]
}
if [ -n "$target" ]; then
	say "rebasing onto origin/$target"
	git fetch -q origin
	git rebase -q "origin/$target" >/dev/null 2>&1 || true
	while rebasing; do
		git diff --name-only --diff-filter=U | while IFS= read -r f; do
			say "keeping both sides of $f"
			git show ":1:$f" >"$state/base" 2>/dev/null || : >"$state/base"
			git show ":2:$f" >"$state/ours"
			git show ":3:$f" >"$state/theirs"
			git merge-file -q --union "$state/ours" "$state/base" "$state/theirs" || :
			cp "$state/ours" "$f"
			git add -- "$f"
		done
		GIT_EDITOR=true git rebase --continue >/dev/null 2>&1 || true
	done
fi

if [ -n "$(git status --porcelain)" ]; then
	git add -A
	git commit -q -m "$bead: $title"
fi
if [ -z "$(git rev-list -n 1 "$(printf '%s\n' "$prime" | jq -r '.agent.base // "HEAD"')..HEAD")" ]; then
	say "the steps changed nothing; giving the bead back"
	gt-done --status DEFERRED -m "gt-scripted-agent: no changes"
else
	[ -z "$mol" ] || gt-mol-step-done -q --mol "$mol" submit >/dev/null 2>&1 || :
	gt-done
fi
rm -f "$progress"
say "done with $bead"
