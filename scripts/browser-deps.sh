#!/usr/bin/env sh
# Installs Debian's Chromium for the browser test when missing. Idempotent.
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
