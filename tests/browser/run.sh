#!/usr/bin/env bash
# Runs every browser test script (e2e.mjs, incidents.mjs, then the rest in
# name order, html.mjs, the Nu HTML Checker on the main pages, among them), from any directory:
#   tests/browser/run.sh            # uses ../../target/debug/sitrep
#   SITREP_BIN=/path/to/sitrep tests/browser/run.sh
# Each script prints one line per check and its own "<script>: N passed,
# M failed"; the very last line is the combined "N passed, M failed" of both.
# Exits non-zero when either script fails (a script that dies before it
# reports its totals counts as one failed check).
# Installs Debian's chromium when /usr/bin/chromium is missing (needs root and
# apt), Debian's headless Java when `java` is missing (for vnu-jar), and the
# pinned playwright-core and vnu-jar when node_modules lacks them (without
# install scripts: vnu-jar's would download a Java of its own). Never
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

if ! command -v java >/dev/null; then
  echo "run.sh: java is missing; installing Debian's default-jre-headless" >&2
  SUDO=()
  if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo); fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless
fi

if [[ ! -d node_modules/playwright-core || ! -f node_modules/vnu-jar/build/dist/vnu.jar ]]; then
  # playwright-core has no browser download; the variable is belt and braces.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts
fi

totals="$(mktemp "${TMPDIR:-/tmp}/sitrep-browser-totals.XXXXXX")"
trap 'rm -f "$totals"' EXIT
export BROWSER_TOTALS_FILE="$totals"

status=0
for script in e2e.mjs incidents.mjs $(ls *.mjs | grep -v -x -e lib.mjs -e e2e.mjs -e incidents.mjs); do
  echo "# $script"
  rc=0
  node "$script" "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then status=1; fi
  if ! grep -q "^$script " "$totals"; then
    echo "FAIL - $script ended (exit $rc) without reporting its totals"
    echo "$script 0 1" >>"$totals"
    status=1
  fi
done

read -r passed failed < <(awk '{ p += $2; f += $3 } END { print p + 0, f + 0 }' "$totals")
if [[ $failed -ne 0 || $passed -eq 0 ]]; then status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
