#!/bin/sh
# gt-dashboard: the page in a real browser (headless Chromium driven over
# chromedriver's WebDriver protocol with curl and jq) on a town whose
# scripted agents are at work: agents and their states, a convoy's
# progress, the feed as it happens, an agent's live pane, graphs, what
# runs cost (asked for once per burst of events); the JSON API is
# the commands' own --json; and with curl, what the server refuses: other
# Host names, a missing token, POSTs without the CSRF header or from
# another origin, any other action, paths out of the web folder, secrets.
# Screenshots are kept under build/artefacts/.
. "$(dirname "$0")/lib/test.sh"

ART=$ROOT/build/artefacts
SECRET=sk-t2300-not-a-real-key-0123456789
# a variable named like a secret, in the dashboard's environment
export T2300_API_KEY="$SECRET"

# a test dashboard: started in the town with --port 0 (a free port),
# its URL and pid kept in files
start_dashboard() {
	name=$1
	shift
	(cd "$TRASH/town" && exec gt-dashboard --port 0 "$@") \
		>"$TRASH/$name.url" 2>"$TRASH/$name.err" &
	echo $! >"$TRASH/$name.pid"
	wait_for test -s "$TRASH/$name.url" || { cat "$TRASH/$name.err"; return 1; }
}

url() { cat "$TRASH/dash.url"; }

# code PATH [CURL ARGS]: the HTTP status of a request to the dashboard
# (PATH without its leading slash), the body left in $TRASH/body
code() {
	_p=$1
	shift
	curl -s -o "$TRASH/body" -w "%{http_code}" "$@" "$(url)$_p"
}

csrf() {
	curl -s "$(url)" | sed -n 's/.*name="gt-csrf" content="\([0-9a-f]*\)".*/\1/p'
}

step_bead() {
	gt-bead-add "$1" -d "Steps:
\`\`\`sh
$2
\`\`\`"
}

test_expect_success 'a town with two scripted agents at work on a convoy' '
	new_town && cd town &&
	a=$(step_bead "Paint the fence" "echo DASH-MARKER-A painting; printf \"\\033[31mred paint\\033[0m\\n\"; echo leaked $SECRET; while [ ! -e \"$TRASH/go-a0\" ]; do sleep 0.2; done; echo DASH-LATE-A second coat; while [ ! -e \"$TRASH/go-a\" ]; do sleep 0.2; done; echo painted >fence.txt") &&
	b=$(step_bead "Mow the lawn" "echo DASH-MARKER-B mowing; while [ ! -e \"$TRASH/go-b\" ]; do sleep 0.2; done; echo mowed >lawn.txt") &&
	c=$(gt-bead-add "Water the plants") &&
	# what an earlier run on it cost (as gt-run records it)
	gt-bead-update -q --metadata "{\"runs\":[{\"run\":\"app.polecats.x.1\",\"agent\":\"app/polecats/x\",\"runtime\":\"claude\",\"turns\":3,\"tokens_in\":52000,\"tokens_out\":3100,\"cost_usd\":0.4211}]}" "$c" &&
	cv=$(gt-convoy-create "Garden day" "$a" "$b" "$c") &&
	echo "$a $b $cv $c" >"$TRASH/ids" &&
	gt-sling --no-convoy "$a" app | cut -f2 >"$TRASH/agents" &&
	gt-sling --no-convoy "$b" app | cut -f2 >>"$TRASH/agents" &&
	for p in $(cat "$TRASH/agents"); do
		wait_for sh -c "gt-peek $p 80 | grep -q DASH-MARKER"
	done &&
	gt-escalate -s high --bead "$b" "The mower is out of fuel" >"$TRASH/esc" &&
	test "$(gt-status --json | jq "[.agents[] | select(.state == \"working\")] | length")" = 2
'

test_expect_success 'gt-dashboard serves on 127.0.0.1 and prints its URL' '
	start_dashboard dash &&
	grep -q "^http://127\.0\.0\.1:[0-9][0-9]*/$" "$TRASH/dash.url" &&
	test "$(code "")" = 200 && grep -q "<title>" "$TRASH/body" &&
	test "$(code app.js)" = 200 && test "$(code style.css)" = 200
'

test_expect_success 'usage errors exit 2' '
	cd town &&
	expect_code 2 gt-dashboard --port 70000 &&
	expect_code 2 gt-dashboard extra &&
	gt-dashboard --help | grep -q "^usage: gt-dashboard \[--port N\] \[--open\] \[--listen ADDR\]"
'

test_expect_success 'the API is the commands'"'"' own --json, byte for byte' '
	cd town &&
	wait_for sh -c "curl -s \"$(url)api/status\" >api && gt-status --json >cli && cmp api cli" &&
	jq -e ".agents | length == 2" api &&
	curl -s "$(url)api/feed?n=5" >api &&
	gt-feed --json -n 5 >cli && test_cmp_files cli api &&
	read -r a b cv c <"$TRASH/ids" &&
	curl -s "$(url)api/convoy?id=$cv" >api && gt-convoy-status --json "$cv" >cli &&
	test_cmp_files cli api && jq -e ".total == 3" api &&
	curl -s "$(url)api/cost" >api && gt-cost --json >cli && test_cmp_files cli api &&
	curl -s "$(url)api/convoys" >api && gt-convoy-list --all --json >cli && test_cmp_files cli api
'

test_expect_success 'an agent'"'"'s pane comes as escaped HTML with its colours' '
	p=$(head -n 1 "$TRASH/agents") &&
	test "$(code "api/pane?agent=$p")" = 200 &&
	jq -r .html "$TRASH/body" >html &&
	grep -q "DASH-MARKER-A" html &&
	grep -q "<span class=\"a f1\">red paint" html &&
	test "$(code "api/pane?agent=../../etc")" = 400
'

test_expect_success 'secrets in the environment never appear in an answer' '
	p=$(head -n 1 "$TRASH/agents") &&
	gt-peek "$p" 80 --gt-dir town | grep -q "leaked $SECRET" &&
	curl -s "$(url)api/pane?agent=$p" >pane &&
	grep -q "leaked \[redacted\]" pane && ! grep -q "$SECRET" pane &&
	for path in api/status api/feed api/cost "api/events"; do
		curl -s -m 2 "$(url)$path" >out || true
		! grep -q "$SECRET" out || die "$path shows the secret"
	done
'

test_expect_success 'the event stream sends a ledger write as it happens' '
	curl -s -N "$(url)api/events" >events &
	pid=$! &&
	wait_for grep -q "^event: status" events &&
	(cd town && gt-bead-add "Stream probe one") &&
	wait_for grep -q "Stream probe one" events &&
	grep -A1 "^event: feed" events | grep "Stream probe one" | sed "s/^data: //" | jq -e ".command == \"gt-bead-add\"" &&
	kill $pid
'

test_expect_success 'a Host that is not loopback is refused (DNS rebinding)' '
	test "$(code api/status -H "Host: evil.example")" = 403 &&
	jq -e ".error | test(\"loopback\")" "$TRASH/body" &&
	test "$(code "" -H "Host: evil.example")" = 403 &&
	test "$(code api/status -H "Host: 127.0.0.1.evil.example")" = 403 &&
	test "$(code api/status -H "Host: localhost:1234")" = 200 &&
	test "$(code api/status -H "Host: [::1]")" = 200
'

test_expect_success 'a POST needs the CSRF header and no foreign Origin' '
	c=$(csrf) && test -n "$c" &&
	p=$(head -n 1 "$TRASH/agents") &&
	body="{\"agent\":\"$p\",\"text\":\"hi\"}" &&
	test "$(code api/nudge -X POST -d "$body")" = 403 &&
	test "$(code api/nudge -X POST -H "X-Gt-Csrf: wrong" -d "$body")" = 403 &&
	test "$(code api/nudge -X POST -H "X-Gt-Csrf: $c" -H "Origin: http://evil.example" -d "$body")" = 403 &&
	test "$(code api/nudge -X POST -H "X-Gt-Csrf: $c" -H "Sec-Fetch-Site: cross-site" -d "$body")" = 403 &&
	test "$(code api/ack -X POST -H "X-Gt-Csrf: $c" -d "{\"id\":\"hq-zzz\"}")" = 404 &&
	test "$(code api/ack -X POST -H "X-Gt-Csrf: $c" -d "not json")" = 400 &&
	head -c 70000 /dev/zero | tr "\\0" x >big &&
	test "$(code api/nudge -X POST -H "X-Gt-Csrf: $c" --data-binary @big)" = 413
'

test_expect_success 'only nudge and ack: no other action, no side effect by GET' '
	c=$(csrf) &&
	for a in sling run exec estop bead-add done shell "../nudge"; do
		test "$(code "api/$a" -X POST -H "X-Gt-Csrf: $c" -d "{}")" = 404 || die "POST api/$a"
	done &&
	test "$(code "api/nudge?agent=x&text=y")" = 404 &&
	test "$(code "api/ack?id=x")" = 404 &&
	test "$(code api/status -X PUT)" = 405 &&
	test "$(code api/status -X DELETE)" = 405
'

test_expect_success 'request values never reach a shell or become options' '
	c=$(csrf) &&
	p=$(head -n 1 "$TRASH/agents") &&
	for bad in "../../etc" "-rf" "\$(touch pwned)" "app/polecats/x;touch pwned" ""; do
		test "$(code api/nudge -X POST -H "X-Gt-Csrf: $c" -d "{\"agent\":\"$bad\",\"text\":\"x\"}")" = 400 ||
			die "agent $bad"
	done &&
	test "$(code api/ack -X POST -H "X-Gt-Csrf: $c" -d "{\"id\":\"--help\"}")" = 400 &&
	test "$(code "api/cost?id=;touch%20pwned")" = 400 &&
	test "$(code "api/graph?id=\$(touch%20pwned)")" = 400 &&
	test "$(code api/nudge -X POST -H "X-Gt-Csrf: $c" -d "{\"agent\":\"$p\",\"text\":\"; touch $TRASH/pwned\"}")" = 200 &&
	! test -e pwned && ! test -e town/pwned && ! test -e "$TRASH/pwned"
'

test_expect_success 'static files: only plain names in the web folder' '
	for p in ../Makefile ..%2fMakefile %2e%2e/Makefile %2e%2e%2fMakefile .. .git/config \
		web/../Makefile ../../../../etc/passwd %2Fetc%2Fpasswd index.html/ Makefile; do
		test "$(code "$p" --path-as-is)" = 404 || die "served $p"
		! grep -q "root:" "$TRASH/body" && ! grep -q "DEB_BUILD" "$TRASH/body" || die "leaked by $p"
	done
'

test_expect_success 'acking an escalation through the API' '
	c=$(csrf) &&
	e=$(cat "$TRASH/esc") &&
	(cd town && gt-escalation-list --json | jq -e "select(.id == \"$e\")") &&
	test "$(code api/ack -X POST -H "X-Gt-Csrf: $c" -d "{\"id\":\"$e\",\"note\":\"fuel bought\"}")" = 200 &&
	grep -q "^$e	acked" "$TRASH/body" &&
	(cd town && ! gt-escalation-list --json | grep -q "\"$e\"")
'

test_expect_success 'the graph comes from gt-graph --svg' '
	read -r a b cv c <"$TRASH/ids" &&
	got=$(code "api/graph?id=$cv") && { test "$got" = 200 || die "status $got: $(cat "$TRASH/body")"; } && grep -q "<svg" "$TRASH/body" &&
	grep -q "Paint the fence" "$TRASH/body" && grep -q "Mow the lawn" "$TRASH/body" &&
	# the work going on (the hooked beads) outlined in red
	grep -q "stroke=\"red\"" "$TRASH/body" &&
	test "$(code "api/graph.json?id=$cv")" = 200 &&
	(cd town && gt-graph --json "$cv") >graph.want && { cmp graph.want "$TRASH/body" || { diff graph.want "$TRASH/body" | head -5; false; }; }
'

test_expect_success 'the graph endpoint relays gt-graph'"'"'s SVG (a stand-in gt-graph)' '
	# a bin/ of its own: this gt-dashboard, the real commands, and a
	# gt-graph that draws its arguments
	mkdir -p alt/bin && ln -s "$ROOT/web" alt/web &&
	cp "$BIN/gt-dashboard" alt/bin/ &&
	for c in "$BIN"/gt-*; do [ -e "alt/bin/${c##*/}" ] || ln -s "$c" alt/bin/; done &&
	rm -f alt/bin/gt-graph &&
	cat >alt/bin/gt-graph <<-\EOF &&
	#!/bin/sh
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>%s</text></svg>\n" "$*"
	EOF
	chmod +x alt/bin/gt-graph
	(cd town && exec "$TRASH/alt/bin/gt-dashboard" --port 0) >alt.url 2>alt.err &
	echo $! >alt.pid
	wait_for test -s alt.url &&
	read -r a b cv c <"$TRASH/ids" &&
	curl -s -D hdr -o svg "$(cat alt.url)api/graph?id=$cv" &&
	grep -qi "^Content-Type: image/svg+xml" hdr &&
	grep -q "<text>--gt-dir .* --svg -- $cv</text>" svg &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$(cat alt.url)api/graph?id=-x")" = 400 &&
	# and a clear error when there is none
	rm alt/bin/gt-graph &&
	curl -s -o body501 -w "%{http_code}" "$(cat alt.url)api/graph?id=$cv" >code501 &&
	test "$(cat code501)" = 501 && jq -e ".error == \"gt-graph is not installed\"" body501 &&
	kill "$(cat alt.pid)"
'

test_expect_success 'clients that go away, and many at once' '
	pid=$(cat "$TRASH/dash.pid") &&
	# idle, it has two threads (this one and libmicrohttpd'"'"'s listener)
	wait_for sh -c "test \$(ls /proc/$pid/task | wc -l) -le 2" &&
	pids= && i=0 &&
	while [ $i -lt 40 ]; do
		curl -s -N "$(url)api/events" >/dev/null &
		pids="$pids $!" && i=$((i + 1))
	done &&
	wait_for sh -c "test \$(ls /proc/$pid/task | wc -l) -ge 42" &&
	test "$(code api/status)" = 200 &&
	kill $pids &&
	wait_for sh -c "test \$(ls /proc/$pid/task | wc -l) -le 2" &&
	test "$(code api/status)" = 200
'

test_expect_success '--listen: a token in the URL, every request without it refused' '
	start_dashboard listen --listen 127.0.0.1 &&
	u=$(cat "$TRASH/listen.url") &&
	case "$u" in http://127.0.0.1:*/\?token=*) ;; *) die "URL $u" ;; esac &&
	base=${u%%\?*} && tok=${u#*token=} &&
	test ${#tok} -ge 32 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "${base}api/status")" = 403 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "${base}?token=x$tok")" = 403 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "${base}app.js")" = 403 &&
	curl -s -D hdr -o /dev/null "$u" && grep -qi "^Set-Cookie: gt_token=$tok; Path=/; HttpOnly; SameSite=Strict" hdr &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -b "gt_token=$tok" "${base}api/status")" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Host: dash.example" "${base}api/status?token=$tok")" = 200
'

test_expect_success 'it stops cleanly on SIGTERM and SIGINT, streams open' '
	pid=$(cat "$TRASH/listen.pid")
	u=$(cat "$TRASH/listen.url")
	curl -s -N "${u%%\?*}api/events?token=${u#*token=}" >ev &
	cpid=$!
	wait_for grep -q "^event: status" ev &&
	kill -TERM "$pid" &&
	wait_for sh -c "! kill -0 $pid 2>/dev/null" &&
	grep -q "^event: status" ev &&
	wait_for sh -c "! kill -0 $cpid 2>/dev/null"
'

# opener DIR STATUS: an xdg-open in DIR that notes its arguments, then,
# like one that starts a browser in the foreground, returns only when the
# browser is closed (the file browser-closed), with STATUS
opener() {
	mkdir -p "$TRASH/$1" &&
		cat >"$TRASH/$1/xdg-open" <<-EOF &&
		#!/bin/sh
		echo "\$*" >"$TRASH/$1.args"
		while [ -d "$TRASH" ] && [ ! -e "$TRASH/browser-closed" ]; do sleep 0.1; done
		exit $2
		EOF
		chmod +x "$TRASH/$1/xdg-open"
}

test_expect_success '--open: xdg-open gets the URL, the page stays live while it runs' '
	opener opener 0 &&
	(cd town && PATH="$TRASH/opener:$PATH" exec gt-dashboard --port 0 --open) >open.url 2>open.err &
	echo $! >open.pid &&
	wait_for test -s opener.args &&
	u=$(cat open.url) && test "$(cat opener.args)" = "$u" &&
	curl -s -N "${u}api/events" >open.ev &
	cpid=$! &&
	wait_for grep -q "^event: status" open.ev &&
	(cd town && gt-bead-add "Probe while the browser opens" >/dev/null) &&
	wait_for grep -q "Probe while the browser opens" open.ev &&
	kill $cpid &&
	test ! -s open.err
'

test_expect_success '--open: an xdg-open that fails is a warning, the page is served' '
	opener failing 3 &&
	(cd town && PATH="$TRASH/failing:$PATH" exec gt-dashboard --port 0 --open) >fail.url 2>fail.err &
	echo $! >fail.pid &&
	wait_for test -s failing.args &&
	u=$(cat fail.url) &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "${u}api/status")" = 200 &&
	touch browser-closed &&
	wait_for grep -q "warning: cannot open a browser" fail.err &&
	grep -qF "$u" fail.err &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "${u}api/status")" = 200 &&
	kill "$(cat open.pid)" "$(cat fail.pid)" &&
	wait_for sh -c "! kill -0 $(cat open.pid) 2>/dev/null && ! kill -0 $(cat fail.pid) 2>/dev/null"
'

# ---- the page in a real browser ----

WD=
wd() { # METHOD PATH [JSON]: a WebDriver call; prints .value
	if [ $# -ge 3 ]; then
		curl -s -X "$1" -H "Content-Type: application/json" --data-binary "$3" \
			"http://127.0.0.1:$WD_PORT$2"
	else
		curl -s -X "$1" "http://127.0.0.1:$WD_PORT$2"
	fi | jq -c ".value"
}
js() { # SCRIPT: run in the page, print the result
	wd POST "/session/$WD/execute/sync" "$(jq -n --arg s "$1" "{script: \$s, args: []}")"
}
js_true() { test "$(js "$1")" = true; }
# no session (the test that starts one failed): fail at once, not after
# wait_for has waited its bound for a page that cannot come
until_js() { [ -n "$WD" ] && [ "$WD" != null ] && wait_for js_true "$1"; }
shot() {
	mkdir -p "$ART" &&
		wd GET "/session/$WD/screenshot" | jq -r . | base64 -d >"$ART/$1" &&
		test "$(head -c 4 "$ART/$1" | tail -c 3)" = PNG
}

if command -v chromedriver >/dev/null && { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }; then
	test_expect_success 'browser: chromedriver and a headless Chromium session' '
		bin=$(command -v chromium || command -v chromium-browser) &&
		caps=$(jq -n --arg bin "$bin" "{capabilities: {alwaysMatch: {browserName: \"chrome\",
			\"goog:chromeOptions\": {binary: \$bin, args: [\"--headless=new\", \"--no-sandbox\",
			\"--disable-gpu\", \"--disable-dev-shm-usage\", \"--window-size=1440,1000\"]}}}}") &&
		# a browser that fails to start (seen in CI: chromedriver answered
		# nothing, three times in a row) is tried again with a fresh
		# chromedriver on a fresh port and a fresh profile, up to five
		# times; each try keeps its verbose log for the message below
		n=0 && rc=none && : >"$TRASH/wd.session" >"$TRASH/session.json" >"$TRASH/session.err" &&
		until [ -s "$TRASH/wd.session" ] || [ $n -ge 5 ]; do
			# (not chained with &&: the & would put the chain in the background)
			n=$((n + 1))
			WD_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
			chromedriver --port="$WD_PORT" --verbose --log-path="$TRASH/chromedriver.$n.log" >/dev/null 2>&1 &
			echo $! >"$TRASH/chromedriver.pid" && echo "$WD_PORT" >"$TRASH/wd.port" &&
			if wait_for sh -c "curl -s http://127.0.0.1:$WD_PORT/status | jq -e .value.ready"; then
				try=$(echo "$caps" | jq --arg dir "--user-data-dir=$TRASH/chrome$n" \
					".capabilities.alwaysMatch[\"goog:chromeOptions\"].args += [\$dir]") &&
				rc=0 && curl -sS -X POST -H "Content-Type: application/json" --data-binary "$try" \
					"http://127.0.0.1:$WD_PORT/session" >"$TRASH/session.json" 2>"$TRASH/session.err" || rc=$?
				jq -r ".value.sessionId // empty" "$TRASH/session.json" >"$TRASH/wd.session" 2>/dev/null ||
					: >"$TRASH/wd.session"
			fi
			[ -s "$TRASH/wd.session" ] || kill "$(cat "$TRASH/chromedriver.pid")" 2>/dev/null || :
		done &&
		{ [ -s "$TRASH/wd.session" ] ||
			die "no WebDriver session after $n tries; the last: curl exit $rc $(cat "$TRASH/session.err"), answer $(head -c 600 "$TRASH/session.json"); chromedriver log: $(grep -v "^\[[0-9.]*\]\[DEBUG\]" "$TRASH/chromedriver.$n.log" | tail -n 25)"; }
	'
	WD_PORT=$(cat "$TRASH/wd.port" 2>/dev/null)
	WD=$(cat "$TRASH/wd.session" 2>/dev/null)

	test_expect_success 'browser: the page lists the agents with their states' '
		wd POST "/session/$WD/url" "{\"url\": \"$(url)\"}" >/dev/null &&
		until_js "return document.querySelectorAll(\"#agents .agent\").length === 2" &&
		for p in $(cat "$TRASH/agents"); do
			s=$(js "return document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"] .state\").textContent") &&
			test "$s" = "\"working\"" || die "agent $p shows $s"
		done &&
		el=$(wd POST "/session/$WD/element" "{\"using\": \"css selector\", \"value\": \"#agents .agent .addr\"}" |
			jq -r ".[\"element-6066-11e4-a52e-4f735466cecf\"]") &&
		wd GET "/session/$WD/element/$el/text" >text &&
		grep -q "app/polecats/" text || die "element $el: $(cat text)" &&
		until_js "return document.querySelector(\"#live\").textContent === \"live\""
	'

	test_expect_success 'browser: each agent shows its hook, molecule step and last activity' '
		read -r a b cv c <"$TRASH/ids" &&
		p=$(head -n 1 "$TRASH/agents") &&
		(cd town && gt-status --json) | jq -r ".agents[] | select(.address == \"$p\") | .molecule" >mol &&
		m=$(cat mol) && case "$m" in hq-mol-*) ;; *) die "molecule: $m" ;; esac &&
		card="#agents .agent[data-address=\\\"$p\\\"]" &&
		until_js "const d = document.querySelector(\"$card .fact-hook\"); return !!d && d.textContent === \"$a\"" &&
		until_js "const d = document.querySelector(\"$card .fact-step\"); return !!d && d.textContent.includes(\"($m)\") && !d.textContent.startsWith(\"—\")" &&
		js "return document.querySelector(\"$card .fact-activity\").textContent" | grep -q "ago"
	'

	test_expect_success 'browser: the stream follows the pane as the agent prints' '
		p=$(head -n 1 "$TRASH/agents") &&
		card="#agents .agent[data-address=\\\"$p\\\"]" &&
		until_js "return document.querySelector(\"$card .pane\").textContent.includes(\"DASH-MARKER-A\")" &&
		js_true "return !document.querySelector(\"$card .pane\").textContent.includes(\"DASH-LATE-A\")" &&
		touch "$TRASH/go-a0" &&
		until_js "return document.querySelector(\"$card .pane\").textContent.includes(\"DASH-LATE-A second coat\")"
	'

	test_expect_success 'browser: the convoy and its progress' '
		read -r a b cv c <"$TRASH/ids" &&
		until_js "const c = document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"] .progress\"); return !!c && c.textContent === \"0/3\"" &&
		(cd town && gt-bead-close "$c" >/dev/null) &&
		until_js "const c = document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"] .progress\"); return !!c && c.textContent === \"1/3\"" &&
		js "return document.querySelector(\"#convoys .convoy .title\").textContent" | grep -q "Garden day"
	'

	test_expect_success 'browser: an escalation shows, and its Ack button acks it' '
		e=$(cd town && gt-escalate -s medium "The hose leaks") &&
		echo "$e" >"$TRASH/esc2" &&
		until_js "return !!document.querySelector(\"#escalations .escalation[data-id=\\\"$e\\\"]\")" &&
		js "return document.querySelector(\"#escalations .escalation[data-id=\\\"$e\\\"]\").textContent" | grep -q "The hose leaks"
	'

	test_expect_success 'browser: a convoy clicked shows its graph' '
		read -r a b cv c <"$TRASH/ids" &&
		js "document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"]\").click(); return true" >/dev/null &&
		until_js "const i = document.querySelector(\"#graph img\"); return !!i && i.complete && i.naturalWidth > 0"
	'

	test_expect_success 'browser: an agent'"'"'s step shows its molecule'"'"'s graph, the current step highlighted' '
		p=$(head -n 1 "$TRASH/agents") &&
		m=$(cat mol) &&
		js "window.scrollTo(0, 0); document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"] .fact-step a\").click(); return true" >/dev/null &&
		until_js "const i = document.querySelector(\"#graph img\"); return !!i && i.alt.includes(\"$m\") && i.complete && i.naturalWidth > 0" &&
		test "$(js "return document.querySelector(\"#graph-id\").value")" = "\"$m\"" &&
		test "$(code "api/graph?id=$m")" = 200 &&
		grep -q "stroke=\"red\"" "$TRASH/body" &&
		(cd town && gt-graph --json "$m") | jq -e "[.nodes[] | select(.current)] | length == 1" &&
		js "window.scrollTo(0, 0); return true" >/dev/null
	'

	test_expect_success 'browser: what the runs cost: the town, the convoy, the costliest beads' '
		read -r a b cv c <"$TRASH/ids" &&
		until_js "const t = document.querySelector(\"#cost\").textContent; return /52\D?000 in \/ 3\D?100 out/.test(t) && t.includes(\"\$0.4211\")" &&
		until_js "return !!document.querySelector(\"#cost .cost-bead[data-id=\\\"$c\\\"]\")" &&
		js "return document.querySelector(\"#cost .cost-bead[data-id=\\\"$c\\\"]\").textContent" | grep -q "Water the plants" &&
		until_js "const s = document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"] .sub\"); return !!s && s.textContent.includes(\"\$0.4211\")"
	'

	test_expect_success 'browser: a burst of ledger writes asks for the cost once, then once more' '
		# every /api/cost request the page makes, counted
		js "window.costCalls = 0; const f = window.fetch; window.fetch = function (u, o) { if (String(u).startsWith(\"/api/cost\")) window.costCalls++; return f.call(this, u, o); }; return true" >/dev/null &&
		# the dashboard held still while twelve commits land, so that
		# their events reach the page together
		pid=$(cat "$TRASH/dash.pid") &&
		kill -STOP "$pid" &&
		rc=0 &&
		(cd town && for i in 1 2 3 4 5 6 7 8 9 10 11 12; do gt-bead-add "Burst $i" >/dev/null || exit 1; done) || rc=$?
		kill -CONT "$pid" && test "$rc" = 0 &&
		until_js "return [...document.querySelectorAll(\"#feed li\")].some(li => li.textContent.includes(\"Burst 12\"))" &&
		n=$(js "return window.costCalls") &&
		{ test "$n" -le 1 || die "$n requests for /api/cost while the burst came in"; } &&
		# one more once the throttle allows, then none (the page with
		# no throttle has nothing to wait for)
		until_js "return typeof costBusy === \"undefined\" || (!costBusy && !costWanted)" &&
		n=$(js "return window.costCalls") &&
		{ test "$n" -ge 1 && test "$n" -le 2 || die "$n requests for /api/cost after the burst"; }
	'

	test_expect_success 'browser: the feed receives a ledger write as it happens' '
		(cd town && gt-bead-add "Browser feed probe" >/dev/null) &&
		until_js "return [...document.querySelectorAll(\"#feed li\")].some(li => li.textContent.includes(\"Browser feed probe\"))"
	'

	test_expect_success 'browser: the e-stop shows while it is in force' '
		(cd town && gt-estop -q -m "Storm coming") &&
		until_js "const e = document.querySelector(\"#estop\"); return !e.hidden && e.textContent.includes(\"Storm coming\")" &&
		(cd town && gt-thaw >/dev/null) &&
		until_js "return document.querySelector(\"#estop\").hidden"
	'

	test_expect_success 'browser: an agent'"'"'s stream shows what it printed, in colour' '
		p=$(head -n 1 "$TRASH/agents") &&
		until_js "const e = document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"] .pane\"); return !!e && e.textContent.includes(\"DASH-MARKER-A\") && e.textContent.includes(\"leaked [redacted]\") && !!e.querySelector(\"span.f1\")" &&
		js "return document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"] .pane\").textContent" >pane &&
		grep -q "leaked \[redacted\]" pane && ! grep -q "$SECRET" pane &&
		js "window.scrollTo(0, 0); return true" >/dev/null &&
		shot t2300-dashboard-busy.png
	'

	test_expect_success 'browser: a nudge from the page goes through (CSRF header)' '
		p=$(head -n 1 "$TRASH/agents") &&
		js "const c = document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"]\"); c.querySelector(\".nudge input\").value = \"hello from the page\"; c.querySelector(\".nudge button\").click(); return true" &&
		until_js "const m = document.querySelector(\"#agents .agent[data-address=\\\"$p\\\"] .msg\").textContent; return m.includes(\"typed\") || m.includes(\"queued\")"
	'

	test_expect_success 'browser: Ack on the page closes the escalation' '
		e=$(cat "$TRASH/esc2") &&
		js "document.querySelector(\"#escalations .escalation[data-id=\\\"$e\\\"] button.ack\").click(); return true" >/dev/null &&
		until_js "return !document.querySelector(\"#escalations .escalation[data-id=\\\"$e\\\"]\")" &&
		(cd town && ! gt-escalation-list --json | grep -q "\"$e\"")
	'

	test_expect_success 'browser: the agents finish, the merge queue fills' '
		touch "$TRASH/go-a0" "$TRASH/go-a" "$TRASH/go-b" &&
		until_js "return document.querySelectorAll(\"#mq tr\").length === 2" &&
		shot t2300-dashboard-merging.png
	'

	test_expect_success 'browser: the refinery merges, the convoy is full' '
		read -r a b cv c <"$TRASH/ids" &&
		(cd town && gt-refinery --once app >/dev/null) &&
		until_js "const c = document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"]\"); return !!c && c.querySelector(\".progress\").textContent === \"3/3\" && c.classList.contains(\"landed\")" &&
		# what it cost, landed too
		until_js "const c = document.querySelector(\"#convoys .convoy[data-id=\\\"$cv\\\"] .sub\"); return !!c && c.textContent.includes(\"landed\") && c.textContent.includes(\"\$0.4211\")" &&
		until_js "return document.querySelectorAll(\"#mq tr\").length === 0" &&
		shot t2300-dashboard-finished.png
	'

	test_expect_success 'browser: dark when the system is dark' '
		wd POST "/session/$WD/goog/cdp/execute" "{\"cmd\": \"Emulation.setEmulatedMedia\", \"params\": {\"features\": [{\"name\": \"prefers-color-scheme\", \"value\": \"dark\"}]}}" >/dev/null &&
		until_js "return getComputedStyle(document.body).backgroundColor === \"rgb(15, 19, 25)\"" &&
		shot t2300-dashboard-dark.png
	'
	# the browser goes with its session, chromedriver by its pid
	[ -z "$WD" ] || wd DELETE "/session/$WD" >/dev/null
	kill "$(cat "$TRASH/chromedriver.pid" 2>/dev/null)" 2>/dev/null
else
	echo "# chromium or chromedriver not installed: the browser tests are skipped (make check installs them)"
fi

test_expect_success 'the dashboard stops on SIGINT' '
	pid=$(cat "$TRASH/dash.pid") &&
	kill -INT "$pid" &&
	wait_for sh -c "! kill -0 $pid 2>/dev/null"
'

# what a failed test above may have left running
touch "$TRASH/browser-closed"
for f in "$TRASH"/dash.pid "$TRASH"/listen.pid "$TRASH"/alt.pid "$TRASH"/open.pid "$TRASH"/fail.pid; do
	[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
done

test_done
