#!/usr/bin/env bash
# `undelete list --format json` against `sandbox serve --users 100000` in another process, as a
# tenant would be: wall time and peak resident memory of the list process (/usr/bin/time -v),
# several binaries side by side, runs alternating between them so a machine busy with other
# work weighs on each alike.
#
#   benches/list_scale.sh BIN...                      plain list, 3 runs per binary
#   RUNS=5 USERS=10000 benches/list_scale.sh BIN...   other counts
#   WITH=all benches/list_scale.sh BIN...             `--with all --no-cache`
#   SORT=name benches/list_scale.sh BIN...            another --sort
#
# Each binary serves its own sandbox (seeded once, in a temporary data dir), so a change to
# the sandbox's serving is measured with the client that comes with it. Prints one line per
# run: binary, run, wall seconds, peak RSS in MB, users printed.
set -euo pipefail

[ "$#" -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
RUNS="${RUNS:-3}"
USERS="${USERS:-100000}"
WORK="$(mktemp -d /tmp/list-scale.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

URLS=()
n=0
for bin in "$@"; do
  mkdir -p "$WORK/serve$n" "$WORK/client$n"
  "$bin" --data-dir "$WORK/serve$n" sandbox serve --users "$USERS" >"$WORK/serve$n.out" 2>"$WORK/serve$n.err" &
  PIDS+=("$!")
  for _ in $(seq 1 1200); do
    [ -s "$WORK/serve$n.out" ] && break
    sleep 0.1
  done
  URLS+=("$(head -1 "$WORK/serve$n.out")")
  [ -n "${URLS[$n]}" ] || { cat "$WORK/serve$n.err" >&2; exit 1; }
  n=$((n + 1))
done

args=(list --format json)
[ -n "${WITH:-}" ] && args+=(--with "$WITH" --no-cache)
[ -n "${SORT:-}" ] && args+=(--sort "$SORT")

# One run each first, unmeasured: the sandboxes' stores and the page cache warm up alike.
for run in $(seq 0 "$RUNS"); do
  n=0
  for bin in "$@"; do
    UNDELETE_CLIENT_SECRET=sandbox /usr/bin/time -v -o "$WORK/time" "$bin" \
      --data-dir "$WORK/client$n" --graph-url "${URLS[$n]}" --login-url "${URLS[$n]}" \
      --tenant contoso.sandbox --client-id list-scale-bench "${args[@]}" \
      >"$WORK/out.json" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    if [ "$run" -gt 0 ]; then
      wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$WORK/time")"
      rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$WORK/time")"
      count="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/out.json")"
      printf '%s\trun %d\t%.2f s\t%s MB\t%s users\n' "$bin" "$run" "$wall" "$rss" "$count"
    fi
    n=$((n + 1))
  done
done
