#!/usr/bin/env bash
# What the suite needs besides PostgreSQL (which it starts itself): a Redis on 127.0.0.1:6379 for the
# rate-limit tests, Debian's chromium for the page's browser tests and Debian's pgbouncer for the pooling tests.
# `make test` runs this first: it starts Redis if it is installed and down, and installs chromium and pgbouncer
# where it can (root, apt-get). Where it cannot, it
# says what is missing, and the tests that need it fail (never skip) with the same advice.
set -uo pipefail

redis_up() { python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(("127.0.0.1",6379)))'; }
if [ -z "${TEST_REDIS_URL:-}" ] && ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "== starting Redis on 127.0.0.1:6379 for the rate-limit tests"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/pricing-api-test-redis.log" || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  else
    echo "!! no Redis on 127.0.0.1:6379 and no redis-server to start: install Redis or set TEST_REDIS_URL" >&2
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "!! /usr/bin/chromium is missing: apt-get install chromium (as root) for the browser tests" >&2
  fi
fi
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  # Only the binary is used: the tests run it with an ini of their own, never the system service.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's pgbouncer for the connection-pooling tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  else
    echo "!! pgbouncer is missing: apt-get install pgbouncer (as root) for the connection-pooling tests" >&2
  fi
fi
exit 0
