#!/usr/bin/env bash
# Installs the Debian packages peilian needs, once: ALSA headers for audio, and what the app
# needs to open a window (Vulkan, with Mesa's software renderer where there is no GPU) and to
# run under a virtual display (Xvfb) for the screenshot script. Safe to run again.
set -euo pipefail

packages=(
  build-essential pkg-config libasound2-dev            # building (rodio needs ALSA headers)
  libasound2 libvulkan1 mesa-vulkan-drivers            # running: sound, Vulkan (llvmpipe without a GPU)
  libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1  # running: X11 windowing
  xvfb xauth                                          # a virtual display for scripts/screenshots.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "peilian: installing system packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
