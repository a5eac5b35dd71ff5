#!/usr/bin/env bash
# The whole test suite: unit and integration tests on SQLite, the same again on
# a throw-away PostgreSQL, then the browser tests in headless Chromium.
# Installs what it needs (Debian packages, npm) and stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

apt_updated=0
need_packages() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# SQLite, libpq and OpenSSL are compiled into the binary (Cargo.toml): only
# the PostgreSQL server is needed, for the tests on PostgreSQL.
need_packages postgresql

# The email tests run against postfix's smtp-sink: preseed postfix so its
# install asks nothing, and keep postfix's own mail service stopped.
if ! dpkg -s postfix >/dev/null 2>&1; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  need_packages postfix
fi
service postfix stop >/dev/null 2>&1 || true

# The maintenance calendar and history feed tests also read /maintenance.ics,
# /history.rss and /history.atom with Python's icalendar and feedparser.
if ! python3 -c 'import feedparser, icalendar' >/dev/null 2>&1; then
  log "installing Python's feedparser and icalendar"
  python3 -m pip install --quiet feedparser icalendar >/dev/null 2>&1 \
    || need_packages python3-feedparser python3-icalendar
fi
# Under this command the feed and calendar tests fail, rather than skip,
# when python3 cannot import their validators (tests/helpers.rs).
export TEST_REQUIRE_VALIDATORS=1

pg_dir=$(mktemp -d /tmp/sitrep-pg.XXXXXX)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$pg_dir"
}
trap cleanup EXIT

log "starting a throw-away PostgreSQL on 127.0.0.1:$pg_port"
chown postgres "$pg_dir"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -U sitrep --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
export TEST_PG_URL="postgres://sitrep@127.0.0.1:$pg_port/postgres"

# The linters need rustfmt and clippy.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  log "installing rustfmt and clippy"
  rustup component add rustfmt clippy
fi

log "checking the formatting"
cargo fmt --all --check

log "building"
cargo build --locked --all-targets

# After the build, so clippy reuses its compiled dependencies.
log "clippy"
cargo clippy --locked --all-targets -- -D warnings

log "tests on SQLite"
cargo test --locked -- --test-threads 4

log "tests on PostgreSQL"
TEST_DATABASE_URL="$TEST_PG_URL" cargo test --locked --test integration -- --test-threads 4

log "browser tests (headless Chromium)"
SITREP_BIN="$root/target/debug/sitrep" bash tests/browser/run.sh

log "all tests passed"
