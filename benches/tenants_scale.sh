#!/usr/bin/env bash
# `undelete list --format json` across many tenants against `sandbox serve --tenants N` in
# another process, each request delayed as a distant service's would be: wall time and peak
# resident memory (/usr/bin/time -v) of `list --all-tenants` (a settings file with N
# [[tenants]], app-only with a client secret, 8 tenants in flight) beside `list` of one tenant
# alone, runs alternating so a machine busy with other work weighs on each alike.
#
#   benches/tenants_scale.sh BIN                       50 tenants x 1,000 users, 100 ms, 3 runs
#   TENANTS=8 USERS=1000 LATENCY_MS=100 RUNS=5 benches/tenants_scale.sh BIN
#
# Prints one line per run: what ran, run, wall seconds, peak RSS in MB, users printed; then the
# budget's ratio (all tenants / one alone) per run.
set -euo pipefail

[ "$#" -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
BIN="$1"
RUNS="${RUNS:-3}"
TENANTS="${TENANTS:-50}"
USERS="${USERS:-1000}"
LATENCY_MS="${LATENCY_MS:-100}"
WORK="$(mktemp -d /tmp/tenants-scale.XXXXXX)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/serve" "$WORK/client"
"$BIN" --data-dir "$WORK/serve" sandbox serve --tenants "$TENANTS" --users "$USERS" \
  --latency-ms "$LATENCY_MS" >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID="$!"
for _ in $(seq 1 3000); do
  [ -s "$WORK/serve.out" ] && [ "$(grep -c ' admin ' "$WORK/serve.err" || true)" -ge "$TENANTS" ] && break
  sleep 0.1
done
URL="$(head -1 "$WORK/serve.out" | sed 's#/$##')"
[ -n "$URL" ] || { cat "$WORK/serve.err" >&2; exit 1; }
mapfile -t DOMAINS < <(awk '/ admin / {print $1}' "$WORK/serve.err")
[ "${#DOMAINS[@]}" -eq "$TENANTS" ] || { echo "expected $TENANTS tenants" >&2; cat "$WORK/serve.err" >&2; exit 1; }

CONFIG="$WORK/config.toml"
{
  echo "graph-url = \"$URL\""
  echo "login-url = \"$URL\""
  echo "client-id = \"tenants-scale-bench\""
  for d in "${DOMAINS[@]}"; do
    printf '[[tenants]]\ntenant = "%s"\n' "$d"
  done
} >"$CONFIG"

measure() { # label, args...
  local label="$1"
  shift
  UNDELETE_CONFIG="$CONFIG" UNDELETE_CLIENT_SECRET=sandbox /usr/bin/time -v -o "$WORK/time" \
    "$BIN" --data-dir "$WORK/client" "$@" list --format json \
    >"$WORK/out.json" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$WORK/time")"
  local rss count
  rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$WORK/time")"
  count="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/out.json")"
  [ "$RUN" -gt 0 ] && printf '%s\trun %d\t%.2f s\t%s MB\t%s users\n' "$label" "$RUN" "$WALL" "$rss" "$count"
  return 0
}

# Run 0 is unmeasured: the stores and the page cache warm up alike.
for RUN in $(seq 0 "$RUNS"); do
  measure "one tenant (${DOMAINS[0]})" --tenant "${DOMAINS[0]}"
  one="$WALL"
  measure "all $TENANTS tenants" --all-tenants
  all="$WALL"
  [ "$RUN" -gt 0 ] && python3 -c "import sys; print(f'ratio\trun {sys.argv[3]}\t{float(sys.argv[2])/float(sys.argv[1]):.2f} x (budget 1.5 x)')" "$one" "$all" "$RUN"
done
