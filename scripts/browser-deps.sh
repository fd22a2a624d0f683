# Sourced by scripts/test.sh: what the browser tests need, from Debian and npm
# only (no browser download): Debian's chromium, node/npm, playwright-core.
_natster_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x /usr/bin/chromium ] || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (and node/npm if missing) from Debian for the browser tests" >&2
    apt-get update -qq
    pkgs=chromium
    command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "browser tests need: apt-get install -y chromium nodejs npm (as root)" >&2
  fi
fi
if command -v npm >/dev/null 2>&1 && [ ! -d "$_natster_root/crates/natster-web/browser-tests/node_modules/playwright-core" ]; then
  (cd "$_natster_root/crates/natster-web/browser-tests" && npm ci --no-audit --no-fund --silent)
fi
