#!/usr/bin/env bash
# Installs what the PostgreSQL store's tests need, if it is missing: PostgreSQL's server
# programs (initdb, pg_ctl, postgres, from Debian's postgresql package). The tests start
# their own throw-away cluster with them (as an unprivileged user when run as root) and stop
# it afterwards; nothing here starts a server. Prints where the programs are.
set -euo pipefail
# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"

programs_dir() {
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  # Debian keeps them out of the PATH, under the major version.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return
    fi
  done
}

if [ -z "$(programs_dir)" ]; then
  echo "installing PostgreSQL's server programs (Debian's postgresql)"
  apt_install postgresql
fi
dir="$(programs_dir)"
if [ -z "$dir" ]; then
  echo "PostgreSQL's server programs (initdb, pg_ctl, postgres) are still missing" >&2
  exit 1
fi
echo "KIOSK_PG_BIN=$dir"
