#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster for the tests and prints the URL of a role
# that may create databases. Prints nothing (and says why on stderr) only when
# PostgreSQL is not installed; any other failure is an error.
# The URL is the only thing on stdout: pg_ctlcluster also talks on stdout
# ("Removed stale pid file."), so its output goes to stderr.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null; then
  echo "PostgreSQL is not installed (no pg_lsclusters): 'apt-get install -y postgresql' enables the PostgreSQL suite" >&2
  exit 0
fi

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/sh -c "$1"; else sudo -n -u postgres sh -c "$1"; fi
}
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

cluster=$(pg_lsclusters --no-header | head -n 1)
if [[ -z "$cluster" ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  as_root pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version name port status _ <<<"$cluster"
if [[ "$status" != online* ]]; then
  as_root pg_ctlcluster "$version" "$name" start >&2
fi
for _ in $(seq 50); do
  as_postgres "pg_isready -q -p $port" && break
  sleep 0.2
done

as_postgres "psql -q -p $port -d postgres -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wakame_test') THEN
    CREATE ROLE wakame_test LOGIN CREATEDB PASSWORD 'wakame_test';
  END IF;
END $$;
SQL
echo "postgres://wakame_test:wakame_test@127.0.0.1:$port/postgres"
