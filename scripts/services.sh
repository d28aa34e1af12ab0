#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 (they are needed by the production
# configuration's tests). Starts them when installed but stopped; says clearly when absent.
set -uo pipefail
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  echo "==> Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  echo "==> Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-ci.log || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
pg_up && echo "PostgreSQL: up" || echo "PostgreSQL: NOT available (its tests will be skipped, or fail in CI)"
redis_up && echo "Redis: up" || echo "Redis: NOT available (its tests will be skipped, or fail in CI)"
exit 0
