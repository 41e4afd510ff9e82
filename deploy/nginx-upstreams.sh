#!/bin/sh
# nginx in deploy/docker-compose.yml: one upstream `server` line per address of the app
# service, kept current while nginx runs.
#
# OSS nginx before 1.27.3 resolves `server app:8501` once, at start, and treats it as one
# entry of the hash, so the route cookie cannot pin a browser to one of N replicas behind one
# name. This script writes one `server <ip>:<port>` line per address the name resolves to
# (the container's own resolver: Docker's or podman's aardvark-dns) into the file
# deploy/nginx.conf includes, starts nginx, and every INTERVAL seconds resolves again and
# reloads nginx when the set changed (`--scale`, a replica stopped or restarted). Until the
# name resolves, the upstream is one `down` placeholder: nginx starts anyway and answers 502
# until a replica appears. POSIX sh + getent (or busybox nslookup): tried with Debian's nginx.
#   nginx-upstreams.sh --print   only print the lines for the addresses HOST resolves to now
#   env: CVAE_APP_HOST (app), CVAE_APP_PORT (8501), CVAE_RESOLVE_INTERVAL (5 seconds),
#        CVAE_UPSTREAMS_FILE (/etc/nginx/cvae-upstreams.conf)
set -eu
HOST="${CVAE_APP_HOST:-app}" PORT="${CVAE_APP_PORT:-8501}"
INTERVAL="${CVAE_RESOLVE_INTERVAL:-5}"
OUT="${CVAE_UPSTREAMS_FILE:-/etc/nginx/cvae-upstreams.conf}"

render() {  # the upstream lines for the addresses HOST resolves to now (sorted: stable)
  addrs=$(getent ahostsv4 "$HOST" 2>/dev/null | awk '{print $1}' | sort -u)
  if [ -z "$addrs" ] && command -v nslookup >/dev/null 2>&1; then
    # a getent without ahostsv4 (not tried: Alpine's): busybox's nslookup, answers after Name:
    addrs=$(nslookup "$HOST" 2>/dev/null | awk '/^Name:/ {n = 1} n && /^Address/ {
      for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/) print $i }' \
      | sort -u)
  fi
  if [ -z "$addrs" ]; then
    echo "server 127.0.0.1:9 down;  # $HOST does not resolve (yet)"
    return
  fi
  for a in $addrs; do echo "server $a:$PORT max_fails=1 fail_timeout=10s;"; done
}

if [ "${1:-}" = --print ]; then render; exit 0; fi
render >"$OUT"
# nginx.conf's proxy_cache_path: nginx makes only its last level (the official image has
# /var/cache/nginx, Debian-based stand-ins may not).
mkdir -p /var/cache/nginx
echo "cvae-upstreams: $(grep -c ' max_fails' "$OUT" || true) replica(s) of $HOST" >&2
nginx -g 'daemon off;' &
NGINX_PID=$!
STOP=""
trap 'STOP=1; kill -QUIT "$NGINX_PID" 2>/dev/null' TERM INT QUIT  # graceful, as nginx's own

while [ -z "$STOP" ] && kill -0 "$NGINX_PID" 2>/dev/null; do
  sleep "$INTERVAL" &
  wait $! || true
  [ -z "$STOP" ] && kill -0 "$NGINX_PID" 2>/dev/null || break
  new=$(render)
  if [ "$new" != "$(cat "$OUT")" ]; then
    printf '%s\n' "$new" >"$OUT"
    echo "cvae-upstreams: now $(printf '%s\n' "$new" | grep -c ' max_fails' || true) replica(s) of $HOST; reloading nginx" >&2
    nginx -s reload || echo "cvae-upstreams: reload failed, nginx keeps the previous set" >&2
  fi
done
wait "$NGINX_PID" || true
