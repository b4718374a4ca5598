# Sourced by scripts/test and scripts/bench: makes sure a PostgreSQL answers at DATABASE_URL.
# Uses DATABASE_URL if it answers, else the server on 127.0.0.1:5432 (started if it is installed
# but stopped), else a private throwaway server from the installed binaries (installed with apt
# when missing), and exports DATABASE_URL accordingly.

default_url="postgres://postgres@127.0.0.1:5432/postgres"
export DATABASE_URL="${DATABASE_URL:-$default_url}"

answers() { psql "$1" -XtAc 'SELECT 1' >/dev/null 2>&1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_postgres() {
  if command -v psql >/dev/null && answers "$DATABASE_URL"; then return; fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    echo "scripts/test: installing PostgreSQL with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  # A cluster that is installed but stopped.
  if command -v pg_ctlcluster >/dev/null; then
    for conf in /etc/postgresql/*/main; do
      [ -d "$conf" ] || continue
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$conf")")" main start 2>/dev/null || true
    done
    sleep 1
    if answers "$DATABASE_URL"; then return; fi
  fi
  # Last resort: a private server with trust auth on its own port.
  local bin dir port=55432
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || command -v initdb)")
  dir="${TMPDIR:-/tmp}/capillary-emulator-test-pg"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/log" -w -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null || true
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  answers "$DATABASE_URL" || { echo "scripts/test: no PostgreSQL could be started" >&2; exit 1; }
}

