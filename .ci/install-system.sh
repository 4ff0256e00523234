#!/usr/bin/env bash
# Installs the system packages the test suites need on a fresh Debian bookworm machine:
# Chromium (renderer e2e), Mesa 25 lavapipe from bookworm-backports (WebGPU EP on a software Vulkan device), and
# the PostgreSQL and Redis servers the team-server tests start on loopback (each test run starts its own
# throwaway instances; the packages' own services are not used).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
  cat > /etc/apt/sources.list.d/backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
need=()
command -v chromium >/dev/null || need+=(chromium)
dpkg -s xvfb >/dev/null 2>&1 || need+=(xvfb)
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
case "$mesa" in 25.*|26.*) ;; *) need+=(mesa-vulkan-drivers) ;; esac
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  # policy-rc.d 101: the packages' own services are not started (no init system here; the tests start theirs).
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1; fi
  apt-get install -y -qq chromium xvfb libvulkan1 postgresql redis-server >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
