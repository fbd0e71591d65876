#!/bin/sh
# gt-demo-ledger - the ledger part of the gt story, offline, in a scratch town:
# create a ledger, import a Beads file, look at ready work, blocked work
# and a dependency tree, let an agent claim and finish work, watch the
# blocked work become ready, and check the export is the file imported.
#
# Usage: gt-demo-ledger [DIR]     (default: a new directory under /tmp)
# gt-demo shows the whole loop.  Everything here is plain gt-* commands: read
# this script as a tour.
set -eu

case "${1:-}" in
-h | --help)
	echo "usage: gt-demo-ledger [DIR]"
	exit 0
	;;
--summary)
	echo "run the ledger demo in a scratch town"
	exit 0
	;;
--version)
	echo "gt-demo-ledger version $(gt --version | sed 's/^gt version //')"
	exit 0
	;;
--completion-helper)
	printf -- '--help\t-h\t\tshow this help\n'
	exit 0
	;;
-*)
	echo "gt-demo-ledger: error: unknown option '$1'" >&2
	echo "usage: gt-demo-ledger [DIR]" >&2
	exit 2
	;;
esac
if [ $# -gt 1 ]; then
	echo "gt-demo-ledger: error: too many arguments" >&2
	echo "usage: gt-demo-ledger [DIR]" >&2
	exit 2
fi

# run the gt-* commands that sit beside this script first
here=$(cd "$(dirname "$0")" && pwd)
PATH="$here:$PATH"
export PATH

town=${1:-$(mktemp -d "${TMPDIR:-/tmp}/gt-demo-ledger.XXXXXX")}
# a new or empty directory, not inside another repository
if [ -e "$town" ] && { [ -n "$(ls -A "$town")" ] ||
	git -C "$town" rev-parse --git-dir >/dev/null 2>&1; }; then
	echo "gt-demo-ledger: error: '$town' is not a new, empty directory outside any repository" >&2
	exit 4
fi

say() { printf '\n== %s\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}

# a git identity for the commits, if the machine has none
if ! git config user.name >/dev/null 2>&1; then
	GIT_AUTHOR_NAME="gt demo"
	export GIT_AUTHOR_NAME
fi
unset GT_DIR GT_AGENT

say "A town is an ordinary git repository; its ledger is the ref refs/gt/ledger"
run gt-init --prefix web "$town"
cd "$town"

say "Import a Beads file (the .beads/issues.jsonl format bd writes)"
cat >issues.jsonl <<'EOF'
{"id":"web-2x1","title":"Ship the sign-up flow","description":"Epic: new users can sign up, confirm their e-mail and land on the dashboard.","status":"open","priority":1,"issue_type":"epic","owner":"maria","created_at":"2026-03-02T09:00:00Z","created_by":"maria","updated_at":"2026-03-02T09:00:00Z","labels":["signup"]}
{"id":"web-2x1.1","title":"Sign-up form with validation","description":"Name, e-mail, password; inline errors; rate limited.","status":"closed","priority":1,"issue_type":"task","assignee":"web/polecats/rust","created_at":"2026-03-02T09:05:00Z","created_by":"maria","updated_at":"2026-03-04T16:20:00Z","closed_at":"2026-03-04T16:20:00Z","close_reason":"Merged in 4f2a9c1","labels":["frontend","signup"],"dependencies":[{"issue_id":"web-2x1.1","depends_on_id":"web-2x1","type":"parent-child","created_at":"2026-03-02T09:05:00Z","created_by":"maria"}]}
{"id":"web-2x1.2","title":"Send the confirmation e-mail","description":"Queue a message with a signed link valid for 24 hours.","status":"open","priority":1,"issue_type":"task","created_at":"2026-03-02T09:06:00Z","created_by":"maria","updated_at":"2026-03-02T09:06:00Z","labels":["backend","signup"],"dependencies":[{"issue_id":"web-2x1.2","depends_on_id":"web-2x1","type":"parent-child","created_at":"2026-03-02T09:06:00Z","created_by":"maria"},{"issue_id":"web-2x1.2","depends_on_id":"web-8kq","type":"blocks","created_at":"2026-03-02T09:07:00Z","created_by":"maria"}]}
{"id":"web-2x1.3","title":"Confirmation landing page","description":"Verify the token, activate the account, redirect to the dashboard.","status":"open","priority":2,"issue_type":"task","created_at":"2026-03-02T09:08:00Z","created_by":"maria","updated_at":"2026-03-02T09:08:00Z","labels":["frontend","signup"],"dependencies":[{"issue_id":"web-2x1.3","depends_on_id":"web-2x1","type":"parent-child","created_at":"2026-03-02T09:08:00Z","created_by":"maria"},{"issue_id":"web-2x1.3","depends_on_id":"web-2x1.2","type":"blocks","created_at":"2026-03-02T09:09:00Z","created_by":"maria"}]}
{"id":"web-4ht","title":"Dashboard shows an empty state for new accounts","status":"open","priority":2,"issue_type":"feature","created_at":"2026-03-03T11:00:00Z","created_by":"omar","updated_at":"2026-03-03T11:00:00Z","labels":["frontend"],"dependencies":[{"issue_id":"web-4ht","depends_on_id":"web-2x1.3","type":"blocks","created_at":"2026-03-03T11:01:00Z","created_by":"omar"}]}
{"id":"web-8kq","title":"Pick an e-mail provider and store its API key","description":"Compare two providers; keep the key in the secrets store, never in the repo.","status":"open","priority":0,"issue_type":"task","created_at":"2026-03-01T15:30:00Z","created_by":"maria","updated_at":"2026-03-01T15:30:00Z","labels":["backend","ops"]}
{"id":"web-9cm","title":"Password reset link expires too early","description":"Links expire after 10 minutes instead of 60.","status":"open","priority":1,"issue_type":"bug","created_at":"2026-03-04T08:12:00Z","created_by":"omar","updated_at":"2026-03-04T08:12:00Z","labels":["backend"],"comments":[{"id":1,"issue_id":"web-9cm","author":"omar","text":"Reproduced on staging: the TTL is read in seconds but written in minutes.","created_at":"2026-03-04T08:30:00Z"}]}
{"id":"web-c3v","title":"Upgrade the test runner","status":"open","priority":3,"issue_type":"chore","created_at":"2026-02-20T10:00:00Z","created_by":"omar","updated_at":"2026-02-20T10:00:00Z","defer_until":"2099-01-01T00:00:00Z"}
{"id":"web-f0e","title":"Write the launch announcement","status":"open","priority":2,"issue_type":"task","created_at":"2026-03-05T13:00:00Z","created_by":"maria","updated_at":"2026-03-05T13:00:00Z","dependencies":[{"issue_id":"web-f0e","depends_on_id":"web-2x1","type":"blocks","created_at":"2026-03-05T13:01:00Z","created_by":"maria"}]}
{"id":"web-k2p","title":"Old duplicate of the reset bug","status":"tombstone","priority":1,"issue_type":"bug","created_at":"2026-03-04T08:00:00Z","created_by":"omar","updated_at":"2026-03-04T08:40:00Z","deleted_at":"2026-03-04T08:40:00Z","deleted_by":"omar","delete_reason":"duplicate of web-9cm","original_type":"bug"}
EOF
run gt-bead-import issues.jsonl
printf '$ %s\n' "gt-bead-export | cmp - issues.jsonl"
gt-bead-export | cmp - issues.jsonl
echo "the export is the imported file, byte for byte"

say "Ready work: open, nothing open blocks it, not deferred"
run gt-ready

say "Blocked work, and what blocks it"
run gt-blocked

say "The epic and everything under it"
run gt-bead-dep tree --up web-2x1

say "An agent claims the top ready bead (atomically: a second claimant would get exit 4)"
top=$(gt-ready --json | jq -r 'select(.issue_type != "epic") | .id' | head -1)
run gt-bead-update --claim --actor web/polecats/nux "$top"
run gt-bead-comment add --actor web/polecats/nux "$top" "Chose the provider with the better bounce reporting; key is in the vault."
run gt-bead-close --actor web/polecats/nux -r "Merged in 9b3e210" "$top"

say "Closing it unblocked the next piece of work"
run gt-ready

say "Everything is history: who changed what, when"
run gt-bead-log "$top"

say "Scripts compose the same commands: every blocker of the launch, as JSON"
printf '$ %s\n' "gt-blocked --json | jq -c '{id, blocked_by}'"
gt-blocked --json | jq -c '{id, blocked_by}'

say "Look around"
cat <<EOF
The town is $town.  Try:
  cd $town
  gt-ready                       # what can start now
  gt-bead-show web-2x1.2         # one bead
  gt-bead-dep tree web-4ht       # what it waits for
  git log --oneline refs/gt/ledger   # the ledger's history
  gt help                        # every command
EOF
