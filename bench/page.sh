#!/usr/bin/env bash
# Public page throughput: Sitrep serving its snapshot vs nginx serving the same
# bytes from disk, both on loopback, measured with wrk. Prints requests/s,
# p99 latency and Sitrep's resident memory. Not a test: nothing here fails on
# a number. Usage: bash bench/pages.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
for pkg in wrk nginx-light; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
done
cargo build --release --locked -q
bin=$(pwd)/target/release/sitrep
work=$(mktemp -d /tmp/sitrep-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sitrep_port=$(free_port); nginx_port=$(free_port)
export SITREP_DATABASE_URL="sqlite://$work/sitrep.db" SITREP_LISTEN="127.0.0.1:$sitrep_port" SITREP_MAIL_DIR="$work/mail" RUST_LOG=warn
cleanup() { kill "$sitrep_pid" 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "bench-admin-password" | "$bin" user add --email bench@example.com --role admin --password-stdin >/dev/null
token=$("$bin" token create --email bench@example.com --name bench 2>/dev/null | tail -n 1)
"$bin" serve 2>"$work/sitrep.log" & sitrep_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$sitrep_port/healthz" >/dev/null && break; sleep 0.1; done
for g in Platform Apps Data Edge Support; do
  gid=$(curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "{\"name\":\"$g\"}" "http://127.0.0.1:$sitrep_port/api/v1/component-groups" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for i in $(seq 1 6); do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "{\"name\":\"$g service $i\",\"group_id\":$gid}" "http://127.0.0.1:$sitrep_port/api/v1/components"
  done
done

mkdir -p "$work/www/api/v2"
curl -sf "http://127.0.0.1:$sitrep_port/" -o "$work/www/index.html"
curl -sf "http://127.0.0.1:$sitrep_port/api/v2/summary.json" -o "$work/www/api/v2/summary.json"
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nginx_port; root $work/www; etag on; }
}
NGINX
nginx -c "$work/nginx.conf"
sleep 0.3

last_rps=0
run() { # name url
  local out p50 p99
  out=$(wrk -t2 -c64 -d"${duration}s" --latency "$2")
  last_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-36s %12s req/s   p50 %8s   p99 %8s\n' "$1" "$last_rps" "$p50" "$p99"
}
ratio() { python3 -c "print(f'  ratio sitrep/nginx: {float($1)/float($2):.2f}')"; }
echo "wrk: 2 threads, 64 connections, ${duration}s per run, $(nproc) cores shared by client and server"
run "sitrep  GET / (30 components)" "http://127.0.0.1:$sitrep_port/"; s=$last_rps
run "nginx   GET /index.html (same bytes)" "http://127.0.0.1:$nginx_port/index.html"; ratio "$s" "$last_rps"
run "sitrep  GET /api/v2/summary.json" "http://127.0.0.1:$sitrep_port/api/v2/summary.json"; s=$last_rps
run "nginx   GET summary.json (same bytes)" "http://127.0.0.1:$nginx_port/api/v2/summary.json"; ratio "$s" "$last_rps"
printf 'sitrep resident memory after the runs: %s\n' "$(awk '/VmRSS/ {print $2" "$3}' /proc/$sitrep_pid/status)"
printf 'page size: %s bytes html, %s bytes json\n' "$(stat -c %s "$work/www/index.html")" "$(stat -c %s "$work/www/api/v2/summary.json")"
