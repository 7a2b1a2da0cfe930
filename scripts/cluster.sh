#!/usr/bin/env bash
# A local cluster on 127.0.0.1 (README "A local cluster"), made of packages only:
#   nginx (Debian's) on CLUSTER_PORT with proxy_cache, and on CLUSTER_NOCACHE_PORT without it (benchmark);
#   two gunicorn app servers on CLUSTER_APP_PORTS, nginx retrying the other when one fails;
#   the running PostgreSQL (primary, 127.0.0.1:5432) and a streaming replica on CLUSTER_REPLICA_PORT made with
#   pg_basebackup into CLUSTER_DIR, started with Debian's pg_ctl as the postgres user;
#   the running Redis (CACHE_URL) shared by the app servers.
#
#   scripts/cluster.sh start            (make cluster)       everything; the replica is made afresh each time
#   scripts/cluster.sh stop [PART...]   (make cluster-stop)  everything, or parts: nginx, replica, app:PORT
#                                        (the replica's copy of the data is deleted when it stops)
#
# Changes made to the primary, only when needed and only once: a `host replication all 127.0.0.1/32 trust`
# line in its pg_hba.conf (then a reload), so that pg_basebackup and the replica may connect. wal_level must
# be replica or logical and max_wal_senders above 0 (Debian's defaults); the script stops if they are not.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DIR=${CLUSTER_DIR:-/tmp/platforma-cluster}
PORT=${CLUSTER_PORT:-8100}
NOCACHE_PORT=${CLUSTER_NOCACHE_PORT:-8099}
APP_PORTS=${CLUSTER_APP_PORTS:-"8101 8102"}
REPLICA_PORT=${CLUSTER_REPLICA_PORT:-5433}
WORKERS=${CLUSTER_WORKERS:-2}
PRIMARY="host=127.0.0.1 port=5432 user=postgres"
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/platforma_cluster}
DATABASE_NAME=${DATABASE_URL##*/}
CACHE_URL=${CACHE_URL:-redis://127.0.0.1:6379/2}
PG_BIN=/usr/lib/postgresql/15/bin
PY="$ROOT/.venv/bin/python"
# How long nginx and browsers keep a public page (then serve it while asking again): the cluster's advertised
# delay for an edit to reach every visitor is their sum (production defaults: 60 + 60, settings.py).
export PUBLIC_MAX_AGE=${PUBLIC_MAX_AGE:-10}
export PUBLIC_STALE_WHILE_REVALIDATE=${PUBLIC_STALE_WHILE_REVALIDATE:-10}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() {  # wait_for URL: until it answers, 60 s at most
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2; return 1
}

allow_replication() {
  local level senders hba
  level=$(psql "$PRIMARY dbname=postgres" -tAc "SHOW wal_level")
  senders=$(psql "$PRIMARY dbname=postgres" -tAc "SHOW max_wal_senders")
  case "$level" in replica|logical) ;; *) echo "the primary needs wal_level = replica (it is $level)" >&2; exit 1;; esac
  [ "$senders" -gt 0 ] || { echo "the primary needs max_wal_senders > 0" >&2; exit 1; }
  psql "$PRIMARY replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1 && return 0
  hba=$(psql "$PRIMARY dbname=postgres" -tAc "SHOW hba_file")
  echo "primary: adding 'host replication all 127.0.0.1/32 trust' to $hba, then reloading"
  grep -qx 'host replication all 127.0.0.1/32 trust' "$hba" || echo 'host replication all 127.0.0.1/32 trust' >>"$hba"
  psql "$PRIMARY dbname=postgres" -tAc "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  psql "$PRIMARY replication=true" -c "IDENTIFY_SYSTEM" >/dev/null
}

start_replica() {
  local data="$DIR/pg/data" setting
  stop_replica
  rm -rf "$DIR/pg"
  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
  as_postgres pg_basebackup -d "$PRIMARY" -D "$data" -R -X stream -c fast
  # Debian keeps postgresql.conf and pg_hba.conf in /etc, so the copy has neither: the replica's own. A hot
  # standby needs these limits at least as high as the primary's.
  {
    echo "port = $REPLICA_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DIR/pg'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
      max_locks_per_transaction; do
      echo "$setting = $(psql "$PRIMARY dbname=postgres" -tAc "SHOW $setting")"
    done
  } | as_postgres tee "$data/postgresql.conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_postgres tee "$data/pg_hba.conf" >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$DIR/pg/replica.log" -w -t 60 start >/dev/null
  echo "replica: 127.0.0.1:$REPLICA_PORT (streaming from 127.0.0.1:5432; log $DIR/pg/replica.log)"
}

stop_replica() {
  if [ -f "$DIR/pg/data/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null && echo "replica stopped"
  fi
  # A copy of the whole primary, made afresh at each start: no need to keep it (its log stays).
  [ -d "$DIR/pg/data" ] && as_postgres rm -rf "$DIR/pg/data"
  return 0
}

app_env() {
  export DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
  export SECRET_KEY="$(cat "$DIR/secret_key")" DATABASE_URL
  export DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/$DATABASE_NAME"
}

start_app() {  # start_app PORT: in the background (start waits for it)
  "$ROOT/.venv/bin/gunicorn" platforma.wsgi --daemon --bind "127.0.0.1:$1" --workers "$WORKERS" \
    --pid "$DIR/gunicorn-$1.pid" --error-logfile "$DIR/gunicorn-$1.log" --access-logfile /dev/null \
    --graceful-timeout 5
}

stop_pidfiles() {  # stop_pidfiles FILE...: SIGTERM to each (graceful: requests under way finish), then wait
  local file pids=()
  for file in "$@"; do
    if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then pids+=("$(cat "$file")"); kill -TERM "${pids[-1]}"; fi
    rm -f "$file"
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

write_nginx_conf() {
  local upstream="" port user=""
  for port in $APP_PORTS; do upstream+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'; done
  # Started as root, nginx's workers run as Debian's www-data, who owns the cache and temporary files.
  [ "$(id -u)" = 0 ] && user="user www-data;"
  sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$PORT|g" -e "s|@NOCACHE_PORT@|$NOCACHE_PORT|g" -e "s|@USER@|$user|" \
    "$ROOT/scripts/cluster-nginx.conf.in" | awk -v upstream="$upstream" '{ if ($0 ~ /@UPSTREAM@/) printf "%s", upstream; else print }' \
    >"$DIR/nginx/nginx.conf"
}

start_nginx() {
  command -v nginx >/dev/null || { echo "nginx is missing: sudo apt-get install nginx" >&2; exit 1; }
  mkdir -p "$DIR/nginx/cache" "$DIR/nginx/temp"
  rm -rf "$DIR/nginx/cache/"*
  [ "$(id -u)" = 0 ] && chown -R www-data: "$DIR/nginx/cache" "$DIR/nginx/temp"
  write_nginx_conf
  nginx -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
  wait_for "http://127.0.0.1:$PORT/healthz"
  echo "nginx: http://127.0.0.1:$PORT/ (with its cache), http://127.0.0.1:$NOCACHE_PORT/ (without); logs in $DIR/nginx"
}

stop_nginx() {
  [ -f "$DIR/nginx/nginx.pid" ] && echo "nginx: stopping"
  stop_pidfiles "$DIR/nginx/nginx.pid"
}

start() {
  command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
  redis-cli -u "$CACHE_URL" ping >/dev/null 2>&1 || { echo "Redis does not answer at $CACHE_URL" >&2; exit 1; }
  stop
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  [ -f "$DIR/secret_key" ] || head -c 48 /dev/urandom | base64 | tr -d '/+=' >"$DIR/secret_key"
  # The setup below writes data: it must bump the generation in the cache the app servers read.
  export CACHE_URL CACHE_KEY_PREFIX=${CACHE_KEY_PREFIX:-cluster}
  if [ "${CLUSTER_SETUP:-1}" = 1 ]; then
    psql "$PRIMARY dbname=postgres" -tA -v name="$DATABASE_NAME" <<<"SELECT 1 FROM pg_database WHERE datname = :'name'" \
      | grep -q 1 || createdb -h 127.0.0.1 -U postgres "$DATABASE_NAME"
    # As `make db`: migrations, the OECD sectors, the demo data (what was entered is kept).
    DATABASE_URL=$DATABASE_URL "$PY" manage.py migrate --noinput --verbosity 0
    DATABASE_URL=$DATABASE_URL "$PY" manage.py load_sectors
    DATABASE_URL=$DATABASE_URL "$PY" manage.py load_demo
  fi
  allow_replication
  start_replica
  echo "replica ready after ${SECONDS} s"
  app_env
  "$PY" manage.py collectstatic --noinput -v 0
  echo "static files collected after ${SECONDS} s"
  for port in $APP_PORTS; do start_app "$port"; done
  for port in $APP_PORTS; do
    wait_for "http://127.0.0.1:$port/healthz"
    echo "app server: 127.0.0.1:$port ($WORKERS workers; log $DIR/gunicorn-$port.log)"
  done
  start_nginx
  echo "cluster up after ${SECONDS} s: database $DATABASE_NAME, replica $DATABASE_REPLICA_URL, cache $CACHE_URL;"
  echo "an edit reaches every anonymous visitor within $((PUBLIC_MAX_AGE + PUBLIC_STALE_WHILE_REVALIDATE)) s. make cluster-stop stops it."
}

stop() {
  local part parts=("$@") port apps=()
  [ ${#parts[@]} -gt 0 ] || { parts=(nginx replica); for port in $APP_PORTS; do parts+=("app:$port"); done; }
  for part in "${parts[@]}"; do
    case "$part" in
      nginx) stop_nginx ;;
      replica) stop_replica ;;
      app:*) apps+=("$DIR/gunicorn-${part#app:}.pid"); echo "app server ${part#app:}: stopping" ;;
      *) echo "unknown part: $part (nginx, replica, app:PORT)" >&2; exit 2 ;;
    esac
  done
  [ ${#apps[@]} -eq 0 ] || stop_pidfiles "${apps[@]}"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop [nginx|replica|app:PORT ...]" >&2; exit 2 ;;
esac
