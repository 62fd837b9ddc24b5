#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (issue 18): made in a temporary folder, listening
# on 127.0.0.1 on a free local port and on a Unix socket in that folder, removed by `stop`.
#
#   scripts/pg-test-cluster.sh start STATE_DIR   # prints the base URL; writes STATE_DIR/url
#   scripts/pg-test-cluster.sh stop STATE_DIR
#
# STATE_DIR (e.g. build/pgtest) only records where the cluster is (STATE_DIR/cluster) and its
# URL (STATE_DIR/url: postgresql://labelscope@127.0.0.1:PORT/labelscope_test); the cluster itself
# lives under /tmp so that the server's user can reach it whatever the checkout's permissions.
# Roles: labelscope (superuser, trusted: the tests), labelscope_pw (password "right", checked
# with scram-sha-256 over TCP: the wrong-password test), labelscope_tls (trusted, but refused
# over TCP without TLS: a store that connects as it proves every one of its connections used
# TLS). Debian: apt-get install postgresql.
# TLS (the sslmode tests): with openssl installed, the server also accepts TLS over TCP with a
# self-signed certificate for 127.0.0.1 made in the cluster's folder (one RSA key, a fraction of
# a second); its public certificate is copied to STATE_DIR/root.crt (the root a client verifies
# the server against with sslmode=verify-ca or verify-full). Without openssl the cluster runs
# without TLS and STATE_DIR/root.crt is absent (the TLS tests then skip, saying so).
# As root, the server runs as the `postgres` system user (initdb refuses root).
set -euo pipefail
action=${1:-}
state=${2:-}
[[ -n "$action" && -n "$state" ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bindir/initdb" ]] || { echo "$0: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_server() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  local dir
  dir=$(cat "$state/cluster" 2>/dev/null || true)
  if [[ -n "$dir" && -d "$dir/data" ]]; then
    as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [[ -n "$dir" && "$dir" == /tmp/labelscope-pg.* ]] && rm -rf "$dir"
  rm -f "$state/cluster" "$state/url" "$state/root.crt"
}

case "$action" in
stop)
  stop_cluster
  ;;
start)
  mkdir -p "$state"
  stop_cluster # a cluster left by an interrupted run
  dir=$(mktemp -d /tmp/labelscope-pg.XXXXXX)
  chmod 755 "$dir"
  echo "$dir" >"$state/cluster"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_server "$bindir/initdb" -D "$dir/data" -U labelscope --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # The password role authenticates with scram-sha-256 over TCP; the TLS role is refused over TCP
  # without TLS; everything else is trusted.
  { echo "host all labelscope_pw 127.0.0.1/32 scram-sha-256"
    echo "hostnossl all labelscope_tls 127.0.0.1/32 reject"
    cat "$dir/data/pg_hba.conf"; } >"$dir/hba"
  as_server cp "$dir/hba" "$dir/data/pg_hba.conf"
  tls=()
  if command -v openssl >/dev/null; then
    # A self-signed certificate naming 127.0.0.1 (subjectAltName: what verify-full checks); the
    # key readable by the server's user alone (the server refuses a key others can read).
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.crt" \
      >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
    chmod 600 "$dir/server.key"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/server.key" "$dir/server.crt"
    tls=(-c ssl=on -c "ssl_cert_file=$dir/server.crt" -c "ssl_key_file=$dir/server.key")
  else
    echo "$0: openssl is not installed: the cluster runs without TLS (the sslmode tests skip)" >&2
  fi
  started=""
  for port in $(shuf -i 20000-60000 -n 20); do
    if as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off ${tls[*]}" start >/dev/null 2>&1; then
      started=$port
      break
    fi
  done
  [[ -n "$started" ]] || { cat "$dir/server.log" >&2; echo "$0: the server did not start" >&2; exit 1; }
  "$bindir/psql" -h 127.0.0.1 -p "$started" -U labelscope -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE labelscope_test" \
    -c "CREATE ROLE labelscope_pw LOGIN PASSWORD 'right'" \
    -c "GRANT ALL ON DATABASE labelscope_test TO labelscope_pw" \
    -c "CREATE ROLE labelscope_tls LOGIN" \
    -c "GRANT ALL ON DATABASE labelscope_test TO labelscope_tls" >/dev/null
  url="postgresql://labelscope@127.0.0.1:$started/labelscope_test"
  echo "$url" >"$state/url"
  [[ ${#tls[@]} -gt 0 ]] && cp "$dir/server.crt" "$state/root.crt"
  echo "$url"
  ;;
*)
  echo "usage: $0 start|stop STATE_DIR" >&2; exit 2
  ;;
esac
