#!/usr/bin/env bash
# Installs the system packages the test suites need on a fresh Debian bookworm machine:
# Chromium (renderer e2e) and Mesa 25 lavapipe from bookworm-backports (WebGPU EP on a software Vulkan device).
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
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq chromium xvfb libvulkan1 >/dev/null
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
