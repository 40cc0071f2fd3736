#!/usr/bin/env bash
# Debian packages ByConsent needs. With no argument: everything the tests need (chromium for browser tests,
# PostgreSQL for the PostgreSQL pass, Node.js and npm for the front-end build). With arguments: only those of
# `node`, `chromium`, `postgresql`. Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(node chromium postgresql)

missing=()
for item in "${wanted[@]}"; do
  case "$item" in
    node) command -v npm >/dev/null 2>&1 || missing+=(nodejs npm) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
    *) echo "unknown dependency: $item" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "These Debian packages are needed: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
