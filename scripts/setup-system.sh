#!/usr/bin/env bash
# Everything outside Python that the tests use, installed from Debian's and npm's registries:
# Chromium for the browser tests (and a Chinese font), HAProxy for the multi-node tests, the webvtt-parser validator,
# and the local Redis and PostgreSQL (started when they are installed but stopped). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium (browser tests)…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

# A font with Chinese characters, so that pages and screenshots in Chinese show text, not boxes.
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  echo "installing a Chinese font (pages in Chinese)…"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi

# HAProxy for the multi-node tests and `run.py serve --workers N`; only the binary is used (the system service,
# which Debian's package would start with its own configuration, is left stopped).
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "installing Debian's haproxy (the balancer in front of several nodes)…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq haproxy >/dev/null
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now haproxy >/dev/null 2>&1 || true
  fi
fi

if [ -f package-lock.json ] && command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error
fi

if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis on 127.0.0.1:6379…"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi

if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] \
   && ! (command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q); then
  echo "starting PostgreSQL on 127.0.0.1:5432…"
  # "already running" is not an error here; if it really did not start, the PostgreSQL test run says so.
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start \
    || echo "PostgreSQL did not start (see above): the tests with --database postgresql will fail"
fi
echo "system dependencies ready"
