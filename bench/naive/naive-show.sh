#!/bin/sh
# naive-show.sh ID - the baseline for gt-bead-show: one bead, pretty JSON,
# with git cat-file and jq.  Run in the ledger repository.
set -eu
# shellcheck source=bench/naive/lib.sh
. "${0%/*}/lib.sh"

shard=$(naive_shard "$1")
git cat-file blob "$NAIVE_REF:beads/$shard/$1.json" | jq .
