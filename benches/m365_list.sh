#!/usr/bin/env bash
# `undelete list --format json` against CLI for Microsoft 365 (`m365 entra user recyclebinitem
# list --output json`), both listing the same sandbox over TLS by Graph's own names, as
# tests/compat/run sets it up: a private mount and network namespace (unshare -m -n) where
# graph.microsoft.com and login.microsoftonline.com are 127.0.0.1 and the sandbox's CA is
# trusted; the machine's own files and port 443 are untouched. Needs root, and m365 installed
# where tests/compat/run installs it (run that once); it installs nothing itself.
#
#   benches/m365_list.sh BIN...           10,000 deleted users, 3 runs each, alternating
#   RUNS=5 USERS=20000 benches/m365_list.sh BIN...
#
# The first BIN serves; every BIN lists, and m365 lists, once per round. Prints one line per
# run: client, round, wall seconds, users listed.
set -euo pipefail

RUNS="${RUNS:-3}"
USERS="${USERS:-10000}"
M365_VERSION=11.11.0
CACHE="${UNDELETE_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/undelete-compat}"
M365="$CACHE/m365-$M365_VERSION/node_modules/.bin/m365"
APP_ID=5b1f9c1e-6a44-4c55-9a43-1f2d3c4b5a69

if [ "${1:-}" != "--inside" ]; then
  [ "$#" -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "m365_list: needs root (a private mount and network namespace)" >&2; exit 2; }
  [ -x "$M365" ] || { echo "m365_list: no $M365: run tests/compat/run once to install it" >&2; exit 2; }
  export RUNS USERS M365
  exec unshare -m -n "$0" --inside "$@"
fi
shift

WORK="$(mktemp -d /tmp/m365-list.XXXXXX)"
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
mount --make-rprivate /
ip link set lo up
cp /etc/hosts "$WORK/hosts"
printf '127.0.0.1 graph.microsoft.com login.microsoftonline.com\n' >>"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts

: >"$WORK/serve.out"
"$1" sandbox serve --tls --port 443 --public-url https://graph.microsoft.com \
  --public-login-url https://login.microsoftonline.com --users "$USERS" \
  --data-dir "$WORK/serve" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 1200); do
  [ "$(wc -l <"$WORK/serve.out")" -ge 2 ] && break
  sleep 0.1
done
[ "$(wc -l <"$WORK/serve.out")" -ge 2 ] || { cat "$WORK/serve.err" >&2; exit 1; }
CA="$WORK/serve/tls/ca.pem"
cat /etc/ssl/certs/ca-certificates.crt "$CA" >"$WORK/bundle.pem"
mount --bind "$WORK/bundle.pem" /etc/ssl/certs/ca-certificates.crt
export NODE_EXTRA_CA_CERTS="$CA" HOME="$WORK/home" CLIMICROSOFT365_NOUPDATE=1
mkdir -p "$HOME"
"$M365" login --authType secret --appId "$APP_ID" --secret sandbox --tenant contoso.sandbox \
  >/dev/null 2>"$WORK/login.err" || { cat "$WORK/login.err" >&2; exit 1; }

count() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }
timed() {
  local name="$1" round="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/out.json" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  end=$(date +%s.%N)
  printf '%s\tround %d\t%.2f s\t%s users\n' "$name" "$round" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(count "$WORK/out.json")"
}

# A round unmeasured first: node's and the sandbox's caches warm up alike.
for round in $(seq 0 "$RUNS"); do
  out=()
  n=0
  for bin in "$@"; do
    mkdir -p "$WORK/client$n"
    line=$(UNDELETE_CLIENT_SECRET=sandbox timed "$bin" "$round" "$bin" --data-dir "$WORK/client$n" \
      --tenant contoso.sandbox --client-id "$APP_ID" list --format json)
    out+=("$line")
    n=$((n + 1))
  done
  line=$(timed m365 "$round" "$M365" entra user recyclebinitem list --output json)
  out+=("$line")
  [ "$round" -gt 0 ] && printf '%s\n' "${out[@]}"
done
