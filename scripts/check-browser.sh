#!/usr/bin/env bash
# Browser tests need Debian's Chromium; without it they are skipped, loudly, except in CI.
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "!! /usr/bin/chromium is missing and CI=true: refusing to skip the browser tests." >&2
  exit 1
fi
echo
echo "!!!!!!!! /usr/bin/chromium is missing: the browser tests (tests/e2e) will be SKIPPED !!!!!!!!"
echo "!!!!!!!! install it with: apt-get install chromium fonts-noto-cjk                         !!!!!!!!"
echo
