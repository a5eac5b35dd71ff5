#!/usr/bin/env bash
# Email throughput: `sitrep mail bench` queues N test emails (distinct
# recipients) in the outbox and runs the sender until all are delivered into
# postfix's smtp-sink on loopback; prints emails/s with TCP_NODELAY on (what
# Sitrep does) and off (lettre's default), and smtp-source's raw rate into the
# same sink as the reference. Not a test: nothing here fails on a number.
# Usage: bash bench/mail.sh [N, default 2000] [connections, default 4]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
connections=${2:-4}
if ! dpkg -s postfix >/dev/null 2>&1; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
service postfix stop >/dev/null 2>&1 || true
cargo build --release --locked -q
bin=$(pwd)/target/release/sitrep
work=$(mktemp -d /tmp/sitrep-mail-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/sbin/smtp-sink -u postfix -c "127.0.0.1:$port" 256 >/dev/null 2>&1 & sink_pid=$!
cleanup() { kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

export SITREP_SMTP_URL="smtp://127.0.0.1:$port" SITREP_SMTP_CONNECTIONS="$connections" RUST_LOG=warn
run() { # label, extra args
  local label=$1; shift
  local out
  out=$(SITREP_DATABASE_URL="sqlite://$work/$label.db" "$bin" mail bench --count "$count" "$@")
  echo "$out" | sed 's/^/  /' >&2
  awk -F= '/^emails_per_second=/ {print $2}' <<<"$out"
}
echo "$count test emails into smtp-sink on 127.0.0.1, $connections SMTP connections, $(nproc) cores shared by client and sink"
with=$(run nodelay)
printf '%-44s %8s emails/s\n' "sitrep, TCP_NODELAY on (default)" "$with"
without=$(run delay --no-nodelay)
printf '%-44s %8s emails/s\n' "sitrep, TCP_NODELAY off (lettre's default)" "$without"
start=$(date +%s.%N)
/usr/sbin/smtp-source -s "$connections" -m "$count" -f bench@example.com -t sink@example.com "127.0.0.1:$port"
raw=$(python3 -c "import time; print(round($count / (time.time() - $start)))")
printf '%-44s %8s emails/s\n' "smtp-source (reference, $connections sessions)" "$raw"
python3 -c "print(f'ratio sitrep/smtp-source: {float($with)/float($raw):.2f}; nodelay on/off: {float($with)/float($without):.1f}x')"
