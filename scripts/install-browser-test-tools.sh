#!/usr/bin/env bash
# Installs what the console's browser test (tests/tests/console_in_a_browser.rs) needs, if
# it is missing:
#   - Debian's chromium (/usr/bin/chromium), driven headless by playwright-core
#   - the test's npm packages (playwright-core, axe-core: pinned in tests/browser/package.json
#     and package-lock.json) into tests/browser/node_modules/
# Node and npm are taken from the machine (Debian's nodejs and npm if there are none).
# Prints the settings the test reads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
browser_dir="$root/tests/browser"

# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium (Debian's chromium)"
  apt_install chromium
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing Node.js and npm (Debian's nodejs, npm)"
  apt_install nodejs npm
fi

if [ ! -d "$browser_dir/node_modules" ]; then
  echo "installing the browser test's npm packages (npm ci in tests/browser)"
  # --ignore-scripts: the packages need no install step, and playwright's would fetch a
  # browser build of its own; the test uses Debian's.
  (cd "$browser_dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
fi

echo "KIOSK_CHROMIUM=/usr/bin/chromium"
