# bench/lib.sh - helpers the benchmark scripts share (sourced, not run).
# shellcheck shell=sh
#
# A benchmark prints figures; it must not fail because its own clean-up
# did.  Every script runs under `set -eu`, and in dash a command that fails
# inside an EXIT trap makes the whole script exit 1 (after its figures were
# printed, so `make bench` stopped before the next benchmark).  The clean-up
# here therefore never returns non-zero: what it cannot do it says on
# stderr.  Use:
#
#   . "$ROOT/bench/lib.sh"
#   cleanup() { bench_cleanup "$DIR"; }
#   trap cleanup EXIT
#   trap 'exit 130' INT TERM     (exit runs the EXIT trap once)

# bench_pids_in DIR: processes (other than this shell) whose working
# directory is inside DIR, one pid a line.  A background gt-maintain that a
# gt write started, or an agent session, runs from inside the scratch tree.
bench_pids_in() {
	for p in /proc/[0-9]*; do
		c=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $c in
		"$1" | "$1"/*) [ "${p#/proc/}" = "$$" ] || echo "${p#/proc/}" ;;
		esac
	done
	return 0
}

# bench_wait_idle DIR SECONDS: wait until no process works inside DIR, at
# most SECONDS; prints how many are left (0 when idle).
bench_wait_idle() {
	w_left=0 w_i=0
	while [ "$w_i" -lt $(($2 * 10)) ]; do
		w_left=$(bench_pids_in "$1" | awk 'END { print NR }')
		[ "$w_left" -gt 0 ] || break
		sleep 0.1
		w_i=$((w_i + 1))
	done
	echo "$w_left"
}

# bench_cleanup DIR: stop the tmux servers whose sockets live under DIR
# (TMUX_TMPDIR pointing inside it), then remove DIR, waiting for whatever
# still writes there (a background repack) and trying again.  Never fails.
bench_cleanup() {
	set +e
	cd / || :
	[ -n "${1:-}" ] && [ -d "$1" ] || return 0
	for c_s in "$1"/tmux/tmux-*/* "$1"/*/tmux/tmux-*/*; do
		if [ -S "$c_s" ]; then
			tmux -S "$c_s" kill-server >/dev/null 2>&1 || :
		fi
	done
	for c_try in 1 2 3; do
		rm -rf "$1" 2>/dev/null && return 0
		[ "$c_try" -eq 3 ] || bench_wait_idle "$1" 10 >/dev/null
	done
	echo "${0##*/}: could not remove $1 (something still writes there)" >&2
	return 0
}

# bench_result BENCH OPERATION UNIT GT BASELINE BASELINE_KIND: one JSON line
# in $GT_BENCH_DIR/results.jsonl (default /tmp/gt-bench), the file
# bench/ledger starts afresh at the beginning of `make bench`; "-" or an
# empty figure is null.
bench_result() {
	r_file=${GT_BENCH_DIR:-/tmp/gt-bench}/results.jsonl
	r_gt=$4 r_base=$5
	case $r_gt in '' | -) r_gt=null ;; esac
	case $r_base in '' | -) r_base=null ;; esac
	printf '{"bench":"%s","operation":"%s","unit":"%s","gt":%s,"baseline":%s,"baseline_kind":"%s","date":"%s"}\n' \
		"$1" "$(printf %s "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')" "$3" "$r_gt" "$r_base" \
		"$(printf %s "$6" | sed 's/\\/\\\\/g; s/"/\\"/g')" \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$r_file" || :
}
