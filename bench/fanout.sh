#!/usr/bin/env bash
# Fan-out throughput, end to end: a release build of `sitrep serve`, N
# confirmed subscribers (inserted with one SQL statement), ONE notifying
# incident update posted through the API, and postfix's smtp-sink on
# loopback counting what arrives. Measures the wall time from the POST to
# the last message received, emails/s, and sitrep's peak RSS
# (/usr/bin/time -v); then smtp-source's raw rate into the same kind of sink
# (one connection per session kept open, `-d`, as sitrep does) as the
# reference, and prints both side by side. Not a test: nothing here fails on
# a number.
#
# Usage: bash bench/fanout.sh [N, default 100000] [connections, default 4]
# Environment:
#   BENCH_DATABASE_URL  postgres://user@host:port/postgres to run on
#                       PostgreSQL (a fresh database is created on it);
#                       SQLite in a temporary folder otherwise
#   BENCH_LOG           copy sitrep's log there (with RUST_LOG=info: one line
#                       per email batch)
#   REFERENCE_COUNT     messages each smtp-source run sends (default: N)
#   SITREP_*            passed through, e.g. SITREP_FAN_OUT_BATCH_SIZE
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
connections=${2:-4}
reference_count=${REFERENCE_COUNT:-$count}
if ! dpkg -s postfix >/dev/null 2>&1; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
service postfix stop >/dev/null 2>&1 || true
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-$(pwd)/target}/release/sitrep
work=$(mktemp -d /tmp/sitrep-fanout-bench.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
smtp_port=$(free_port)
http_port=$(free_port)
pids=()
cleanup() {
  if [[ -n ${BENCH_LOG:-} && -f $work/sitrep.log ]]; then cp "$work/sitrep.log" "$BENCH_LOG"; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ -n ${pg_db:-} ]]; then psql -q "$BENCH_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# The number of messages a `smtp-sink -c` has received so far.
sink_count() { tr '\r' '\n' <"$1" | awk -F'mesg=' 'NF > 1 { n = $2 + 0 } END { print n + 0 }'; }

if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
  backend=postgres
  pg_db="sitrep_bench_$$"
  psql -q "$BENCH_DATABASE_URL" -c "CREATE DATABASE $pg_db" >/dev/null
  db_url=$(python3 -c "import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p._replace(path='/' + sys.argv[2]).geturl())" "$BENCH_DATABASE_URL" "$pg_db")
else
  backend=sqlite
  db_url="sqlite://$work/bench.db"
fi
export SITREP_DATABASE_URL="$db_url" SITREP_LISTEN="127.0.0.1:$http_port" \
  SITREP_BASE_URL="http://127.0.0.1:$http_port" SITREP_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  SITREP_SMTP_CONNECTIONS="$connections" SITREP_SECRET_KEY=bench-secret \
  SITREP_MAIL_DIR="$work/mail" RUST_LOG=${RUST_LOG:-warn}
unset SITREP_CONFIG

"$bin" migrate >/dev/null
echo "inserting $count confirmed subscribers ($backend)" >&2
if [[ $backend == sqlite ]]; then
  sqlite3 "$work/bench.db" <<SQL
INSERT INTO subscribers (email, audience, confirmed_at, bounce_count, link_key, created_at, updated_at)
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $count)
SELECT 'user' || x || '@example.com', 'external', datetime('now'), 0, lower(hex(randomblob(16))),
       datetime('now'), datetime('now') FROM seq;
SQL
else
  psql -q "$db_url" <<SQL
INSERT INTO subscribers (email, audience, confirmed_at, bounce_count, link_key, created_at, updated_at)
SELECT 'user' || x || '@example.com', 'external', now(), 0, md5(random()::text), now(), now()
FROM generate_series(1, $count) AS x;
ANALYZE subscribers;
SQL
fi
echo 'bench password 123' | "$bin" user add --email bench@example.com --role admin --password-stdin >/dev/null
token=$("$bin" token create --email bench@example.com --name bench 2>/dev/null)

/usr/sbin/smtp-sink -u postfix -c "127.0.0.1:$smtp_port" 256 >"$work/sink.out" 2>&1 &
sink_pid=$!
pids+=($sink_pid)
wait_port "$smtp_port"
/usr/bin/time -v -o "$work/time.txt" "$bin" serve >"$work/sitrep.log" 2>&1 &
time_pid=$!
pids+=($time_pid)
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$http_port/readyz" >/dev/null && break; sleep 0.05; done
sitrep_pid=$(pgrep -P "$time_pid")

start=$(date +%s.%N)
curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Checkout is down","impact":"major","urgency":"high","update":{"status":"investigating","external_body":"We are looking into it."}}' \
  "http://127.0.0.1:$http_port/api/v1/incidents"
posted=$(date +%s.%N)
deadline=$(( $(date +%s) + 600 ))
last=0 last_change=$(date +%s)
while :; do
  got=$(sink_count "$work/sink.out")
  if (( got >= count )); then break; fi
  if (( got != last )); then last=$got last_change=$(date +%s); fi
  if (( $(date +%s) > deadline || $(date +%s) - last_change > 60 )); then
    echo "gave up: the sink has $got of $count messages" >&2; tail -5 "$work/sitrep.log" >&2; exit 1
  fi
  sleep 0.1
done
end=$(date +%s.%N)
# What the sink read (commands and messages: it reads nothing else) and the
# CPU it used, from /proc (the bench runs as root; the sink as postfix).
sink_bytes=$(awk '/^rchar/ {print $2}' "/proc/$sink_pid/io" 2>/dev/null || echo 0)
sink_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$sink_pid/stat")
bytes_per_email=$(( sink_bytes / count ))
kill "$sitrep_pid"
wait "$time_pid" 2>/dev/null || true
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
cpu_s=$(awk -F': ' '/User time|System time/ {t += $2} END {printf "%.1f", t}' "$work/time.txt")
post_ms=$(python3 -c "print(round(($posted - $start) * 1000))")
seconds=$(python3 -c "print(round($end - $start, 2))")
rate=$(python3 -c "print(round($count / ($end - $start)))")

# The references: smtp-source into a fresh sink of the same kind, over the
# same number of connections kept open (-d), first with its own small
# message, then with a payload as large as what sitrep sent per email (so
# both move the same bytes). sitrep's time runs from the POST; the
# references' from their start.
reference() { # label, extra smtp-source options...
  local label=$1; shift
  local port; port=$(free_port)
  /usr/sbin/smtp-sink -u postfix -c "127.0.0.1:$port" 256 >"$work/ref-sink.out" 2>&1 &
  local sink=$!
  pids+=($sink)
  wait_port "$port"
  local started; started=$(date +%s.%N)
  /usr/sbin/smtp-source -d -s "$connections" -m "$reference_count" "$@" \
    -f bench@example.com -t sink@example.com "127.0.0.1:$port"
  local ended; ended=$(date +%s.%N)
  local cpu; cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$sink/stat")
  kill "$sink"
  python3 -c "print(round($reference_count / ($ended - $started)))" >"$work/rate"
  printf '%-34s %10s %10s %12s %14s %10s\n' "$label" "$reference_count" \
    "$(python3 -c "print(round($ended - $started, 2))")" "$(cat "$work/rate")" "-" "$cpu" >>"$work/table"
}
: >"$work/table"
reference "smtp-source -d (small message)"
small_rate=$(cat "$work/rate")
if (( bytes_per_email > 0 )); then
  reference "smtp-source -d -l $bytes_per_email" -l "$bytes_per_email"
  same_rate=$(cat "$work/rate")
fi

echo
echo "one notifying update to $count subscribers ($backend), $connections SMTP connections, $(nproc) cores shared by sitrep, the database and the sink"
printf '%-34s %10s %10s %12s %14s %10s\n' "" messages seconds emails/s "peak RSS MiB" "sink CPU s"
printf '%-34s %10s %10s %12s %14s %10s\n' "sitrep (POST to last delivery)" "$count" "$seconds" "$rate" "$(( rss_kb / 1024 ))" "$sink_cpu"
cat "$work/table"
python3 -c "print(f'sitrep used $cpu_s CPU seconds ({$cpu_s * 1e6 / $count:.0f} µs per email) and sent {$bytes_per_email} bytes per email (SMTP commands included); the POST itself took $post_ms ms')"
python3 -c "print(f'ratio sitrep/smtp-source: {$rate/$small_rate:.2f} against the small message' + ('; {:.2f} against the same bytes'.format($rate/${same_rate:-0}) if ${same_rate:-0} else ''))"
