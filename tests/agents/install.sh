#!/bin/sh
# Install the real agent CLIs from npm into a cache under the build tree.
#   tests/agents/install.sh [PREFIX]     (default: <repo>/build/npm-agents)
# Idempotent: a package already installed at its pinned version is skipped.
# A package that fails to install is reported and skipped; the script exits 0.
# Binaries end up in PREFIX/node_modules/.bin (claude codex gemini opencode pi).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${1:-${GT_NPM_AGENTS:-$root/build/npm-agents}}
mkdir -p "$prefix" || exit 0

# Pinned versions (the ones verified against tests/fake/provider.py).
pkgs="
@anthropic-ai/claude-code@2.1.332
@openai/codex@0.171.0
@google/gemini-cli@0.61.0
opencode-ai@1.18.33
@mariozechner/pi-coding-agent@0.73.1
"

if ! command -v npm >/dev/null 2>&1; then
	echo "install.sh: npm not found; skipping all agent CLIs" >&2
	exit 0
fi

installed_version() { # NAME -> version or empty
	f="$prefix/node_modules/$1/package.json"
	[ -f "$f" ] || return 0
	node -e 'try{console.log(require(process.argv[1]).version)}catch(e){}' "$f" 2>/dev/null
}

for spec in $pkgs; do
	name=${spec%@*}
	want=${spec##*@}
	have=$(installed_version "$name")
	if [ "$have" = "$want" ]; then
		echo "ok      $name@$have (cached)"
		continue
	fi
	echo "install $name@$want ..."
	if npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
		--save-exact "$name@$want" >"$prefix/.install-$$.log" 2>&1; then
		have=$(installed_version "$name")
		echo "ok      $name@$have"
	else
		echo "SKIP    $name@$want: npm install failed:" >&2
		tail -n 5 "$prefix/.install-$$.log" | sed 's/^/        /' >&2
	fi
	rm -f "$prefix/.install-$$.log"
done
echo "bin: $prefix/node_modules/.bin"
for b in claude codex gemini opencode pi; do
	[ -x "$prefix/node_modules/.bin/$b" ] && echo "        $b"
done
exit 0
