#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL server: initdb in a temporary directory, listen only on a
# Unix socket in that directory, export DATABASE_URL, run the command, stop the server and remove everything.
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "PostgreSQL is not installed (scripts/install-system-deps.sh installs it)." >&2
  exit 1
fi

workdir=$(mktemp -d /tmp/byconsent-pg.XXXXXX)
chmod 755 "$workdir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$workdir"
  as_owner=(runuser -u postgres --)
fi

cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$workdir/data" -U byconsent --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w \
  -o "-c listen_addresses='' -k $workdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${as_owner[@]}" "$bindir/createdb" -h "$workdir" -U byconsent byconsent

export DATABASE_URL="postgres://byconsent@/byconsent?host=$workdir"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running on $workdir"
"$@"
