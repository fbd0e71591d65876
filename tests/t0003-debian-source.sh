#!/bin/sh
# tools/debian-source.sh, which make deps runs for the static commands'
# cJSON: its usage, and that it fails cleanly (exit 1, saying why,
# nothing left behind) where it cannot work, so the build links
# dynamically instead.  Fetching itself needs Debian's mirrors: the build
# of every CI run does that part (make deps, then the commands link
# statically).
. "$(dirname "$0")/lib/test.sh"

DS="$ROOT/tools/debian-source.sh"

test_expect_success 'usage errors exit 2' '
	expect_code 2 "$DS" 2>err &&
	grep -q "usage: debian-source.sh DEVPKG DIR" err &&
	expect_code 2 "$DS" a b c 2>err
'

test_expect_success 'a package that is not installed: exit 1, named, nothing left' '
	expect_code 1 "$DS" gt-no-such-package-dev src 2>err &&
	grep -q "gt-no-such-package-dev: not installed" err &&
	[ ! -e src ] && [ ! -e src.apt ]
'

test_expect_success 'no mirror to be reached: exit 1, saying so, nothing left' '
	command -v apt-get >/dev/null && dpkg-query -W libcjson-dev >/dev/null 2>&1 ||
		{ echo "# skipped: no apt or no libcjson-dev"; return 0; }
	# a proxy in apt.conf would win over the environment
	! apt-config dump 2>/dev/null | grep -qi "^Acquire::https*::Proxy " ||
		{ echo "# skipped: apt has a proxy configured"; return 0; }
	expect_code 1 env http_proxy=http://127.0.0.1:9 "$DS" libcjson-dev src 2>err &&
	grep -q "libcjson-dev: apt-get update failed (offline?)" err &&
	[ ! -e src ] && [ ! -e src.apt ]
'

test_expect_success 'a finished source is not fetched again' '
	mkdir done && echo "cjson 1" >done/.done &&
	env http_proxy=http://127.0.0.1:9 "$DS" libcjson-dev done &&
	[ "$(cat done/.done)" = "cjson 1" ]
'

test_done
