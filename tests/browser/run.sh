#!/usr/bin/env bash
# Runs the end-to-end browser test (e2e.mjs) from any directory:
#   tests/browser/run.sh            # uses ../../target/debug/sitrep
#   SITREP_BIN=/path/to/sitrep tests/browser/run.sh
# Installs Debian's chromium when /usr/bin/chromium is missing (needs root and
# apt) and the pinned playwright-core when node_modules is missing. Never
# downloads Playwright's own browsers.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -x /usr/bin/chromium ]]; then
  echo "run.sh: /usr/bin/chromium is missing; installing Debian's chromium" >&2
  SUDO=()
  if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo); fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

if [[ ! -d node_modules ]]; then
  # playwright-core has no browser download; the variable is belt and braces.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

exec node e2e.mjs "$@"
