#!/usr/bin/env bash
# fork() under load: 8 threads load bundles and handshake without pause while
# the main thread forks (1,000 times by default); every child handshakes once
# on a fresh context and must verify, within a bounded wait.  Run first
# without the shim (fewer forks: it shows the harness itself is fork-safe),
# then with it, where each child's stats file must hold only its own load.
#
# usage: run.sh --shim SO --forker BIN [--forks N] [--baseline-forks N]
#               [--threads N] [--child-timeout-ms MS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

shim="" forker="" forks=1000 baseline_forks=200 threads=8 child_timeout=5000
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--forker) forker=$(realpath "$2"); shift 2 ;;
	--forks) forks=$2; shift 2 ;;
	--baseline-forks) baseline_forks=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--child-timeout-ms) child_timeout=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$forker" ]; then echo "usage: run.sh --shim SO --forker BIN [options]" >&2; exit 2; fi
clean_env
make_tmp fork
make_fixtures "$tmp/fx"
export SSL_CERT_FILE=$tmp/fx/ab.pem SSL_CERT_DIR=$tmp/fx/emptydir
mkdir -p "$tmp/stats"
# A whole run is bounded too: every child wait is, plus the workers' rounds.
limit=$(((forks + baseline_forks) * child_timeout / 1000 + 120))

# summary FILE: the forker's result line.
summary() { grep -h '^forks=\|^fork_ms' "$1" | tr '\n' ' ' | sed 's/ $//'; grep -q '^forks=' "$1" || echo "no result line"; }

rc=0
timeout "$limit" "$forker" "$tmp/fx" "$baseline_forks" "$threads" "$child_timeout" >"$tmp/without.out" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
	pass "fork without shim" "$(summary "$tmp/without.out")"
else
	fail "fork without shim" "exit $rc: $(summary "$tmp/without.out")"
	grep -v '^forks=\|^parent_pid=\|^fork_ms' "$tmp/without.out" | head -5
fi

rc=0
start=$(date +%s)
LD_PRELOAD="$shim" TRUSTCACHE_STATS="$tmp/stats/s-%p.json" \
	timeout "$limit" "$forker" "$tmp/fx" "$forks" "$threads" "$child_timeout" >"$tmp/with.out" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
	pass "fork with shim" "$(summary "$tmp/with.out"), $(($(date +%s) - start)) s"
else
	fail "fork with shim" "exit $rc: $(summary "$tmp/with.out")"
	grep -v '^forks=\|^parent_pid=\|^fork_ms' "$tmp/with.out" | head -5
fi

parent_pid=$(sed -n 's/^parent_pid=//p' "$tmp/with.out")
parent_loads=$(sed -n 's/.* parent_loads=\([0-9]*\).*/\1/p' "$tmp/with.out")
verified=$(sed -n 's/.* verified=\([0-9]*\).*/\1/p' "$tmp/with.out")
if [ -n "$parent_pid" ] && [ -n "$parent_loads" ]; then
	while IFS= read -r line; do
		case $line in
		PASS*) pass "${line#PASS }" ;;
		FAIL*) fail "${line#FAIL }" ;;
		esac
	done < <("$PYTHON" "$HARDENING/fork/check_stats.py" "$tmp/stats" "$parent_pid" "$parent_loads" "${verified:-0}" || true)
else
	fail "fork stats" "the run with the shim printed no result"
fi
finish
