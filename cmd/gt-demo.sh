#!/bin/sh
# gt-demo - the whole loop, offline, in a scratch directory: a town and a
# rig on an embedded sample project, an epic of six beads with
# dependencies (two of them written to conflict), one convoy, three
# scripted polecats in tmux, the refinery merging (the conflict resolved
# through a conflict bead), the convoy feeding the rest as dependencies
# close, and landing.  `make demo` runs it.
#
# Usage: gt-demo [DIR]     (default: a new directory under /tmp)
# Everything it does is plain gt-* commands: read this script as a tour.
set -eu

me=gt-demo
usage="usage: gt-demo [DIR]"
case "${1:-}" in
-h | --help)
	echo "$usage"
	exit 0
	;;
--summary)
	echo "run the whole loop in a scratch town"
	exit 0
	;;
--version)
	echo "gt-demo version $(gt --version | sed 's/^gt version //')"
	exit 0
	;;
--completion-helper)
	printf -- '--help\t-h\t\tshow this help\n'
	exit 0
	;;
-*)
	echo "$me: error: unknown option '$1'" >&2
	echo "$usage" >&2
	exit 2
	;;
esac
if [ $# -gt 1 ]; then
	echo "$me: error: too many arguments" >&2
	echo "$usage" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
PATH="$here:$PATH"
export PATH

dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/gt-demo.XXXXXX")}
if [ -e "$dir" ] && { [ -n "$(ls -A "$dir")" ] ||
	git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; }; then
	echo "$me: error: '$dir' is not a new, empty directory outside any repository" >&2
	exit 4
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

say() { printf '\n== %s\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}
die() {
	echo "$me: error: $*" >&2
	exit 1
}

# a git identity, if the machine has none; the town's own tmux server
if ! git config user.name >/dev/null 2>&1; then
	GIT_AUTHOR_NAME="gt demo" GIT_COMMITTER_NAME="gt demo"
	GIT_AUTHOR_EMAIL="demo@gt.invalid" GIT_COMMITTER_EMAIL="demo@gt.invalid"
	export GIT_AUTHOR_NAME GIT_COMMITTER_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_EMAIL
fi
unset GT_DIR GT_AGENT GT_RIG GT_BEAD

say "The sample project: a shop's menu, with a check the refinery runs as its test gate"
git init -q --bare "$dir/shop.git"
git -C "$dir/shop.git" symbolic-ref HEAD refs/heads/main
git init -q "$dir/seed"
(
	cd "$dir/seed"
	git checkout -q -b main
	printf '# The corner shop\n' >README.md
	printf 'Menu\n====\nbread\n' >menu.txt
	# shellcheck disable=SC2016
	printf '#!/bin/sh\n# every file the shop needs is there and nothing is empty\nfor f in README.md menu.txt; do test -s "$f" || exit 1; done\n' >check.sh
	git add . && git commit -q -m "The corner shop"
	git push -q "$dir/shop.git" main
)
rm -rf "$dir/seed"
echo "upstream: $dir/shop.git"

say "A town, and the project as its rig 'shop'"
run gt-init -q --prefix shop "$dir/town"
cd "$dir/town"
run gt-rig-add -q --prefix shop shop "$dir/shop.git"
run gt-config rig.agent scripted
run gt-config rig.shop.test "sh check.sh"
run gt-config rig.shop.max-workers 3

say "An epic of six beads; the scripted agent runs the sh blocks of each"
# shellcheck disable=SC2016 # the backquotes and $(...) are for the agent
step() { printf 'Steps:\n```sh\n%s\n```\n' "$1"; }
epic=$(gt-bead-add -t epic -p 1 "Open the shop online")
a=$(gt-bead-add --parent "$epic" -p 1 "Add the catalogue page" -d "$(step 'printf "Catalogue\n" >catalogue.txt')")
b=$(gt-bead-add --parent "$epic" -p 1 "Put coffee on the menu" -d "$(step 'echo coffee >>menu.txt')")
c=$(gt-bead-add --parent "$epic" -p 1 "Put tea on the menu" -d "$(step 'echo tea >>menu.txt')")
d=$(gt-bead-add --parent "$epic" -p 2 --deps "$a" "Add a basket" -d "$(step 'printf "Basket\n" >basket.txt')")
e=$(gt-bead-add --parent "$epic" -p 2 --deps "$d" "Add the checkout" -d "$(step 'printf "Checkout\n" >checkout.txt')")
# shellcheck disable=SC2016
f=$(gt-bead-add --parent "$epic" -p 3 --deps "$b,$c,$e" "Write the launch notes" -d "$(step 'printf "We are open: %s\n" "$(tr "\n" " " <menu.txt)" >NOTES.md')")
run gt-bead-dep tree --up "$epic"
echo "($b and $c both append to menu.txt: whichever merges second conflicts)"

say "One convoy tracks them all and tells the overseer (you) when it lands"
convoy=$(gt-convoy-create --notify overseer "Shop launch" "$a" "$b" "$c" "$d" "$e" "$f")
run gt-convoy-status "$convoy"

say "Feed the convoy: its ready beads go to polecats, up to 3 at a time"
run gt-convoy-check

busy() { test -n "$(gt-hook-list)"; }
wait_quiet() {
	n=0
	while busy; do
		n=$((n + 1))
		[ "$n" -lt 3000 ] || die "the workers never finished"
		sleep 0.2
	done
}

round=0
while [ "$(gt-bead-show --json "$convoy" | jq -r .status)" != closed ]; do
	round=$((round + 1))
	[ "$round" -le 20 ] || die "the convoy did not land"
	say "Round $round: the workers finish, the refinery merges (and feeds the convoy)"
	wait_quiet
	run gt-refinery shop
	run gt-convoy-check
done

say "Landed.  What the overseer got"
run gt-mail-inbox overseer || true

say "Summary"
run gt-convoy-status "$convoy"
printf '$ git -C %s log --oneline main\n' "$dir/shop.git"
git -C "$dir/shop.git" log --oneline main
printf '$ git -C %s show main:menu.txt\n' "$dir/shop.git"
git -C "$dir/shop.git" show main:menu.txt
# every worker followed the rig's formula; the first bead's molecule:
first=$(gt-convoy-status --json "$convoy" | jq -r '.beads[0].id // empty')
[ -z "$first" ] || run gt-mol-status "$first"
merged=$(gt-mq-list --all --json | jq -r 'select(.queue == "merged") | .id' | wc -l)
conflicts=$(gt-bead-list --all --label conflict --json | jq -r .id | wc -l)
echo "$merged merge requests merged, $conflicts conflict resolved through a conflict bead,"
echo "$(git rev-list --count refs/gt/ledger) ledger transactions, 0 model calls."

say "Look around"
cat <<EOF
The town is $dir/town.  Try:
  cd $dir/town
  gt-convoy-status $convoy      # the batch, bead by bead
  gt-feed                       # what happened, newest last
  gt-mq-list --all              # the merge requests
  gt-mol-dag --dot ${first:-BEAD}   # a bead's molecule as Graphviz
  gt-formula-show mol-polecat-work   # the procedure every worker followed
  gt-peek shop/polecats/agate   # a worker's screen
  gt-mail-inbox overseer        # your mail
EOF
