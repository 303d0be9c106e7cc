#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`: it downloads a browser).
# Install it when missing; in CI (CI=true) a missing browser is an error, elsewhere a loud warning (tests skip).
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: /usr/bin/chromium is missing and could not be installed; CI requires the browser tests." >&2
  exit 1
fi
echo "!!! WARNING: no Chromium (apt-get install chromium): the browser tests will be SKIPPED !!!" >&2
exit 0
