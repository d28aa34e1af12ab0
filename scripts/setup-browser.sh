#!/usr/bin/env bash
# Browser-test prerequisites: Debian's Chromium (driven by Playwright with executable_path, no
# Playwright browser download) and axe-core for the accessibility check (git-ignored node_modules).
# Idempotent: does nothing when both are present. Needs root (or sudo) only to install Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
AXE_DIR="$ROOT/tests/browser/node_modules/axe-core"

# Fonts: Vietnamese text (DejaVu) and emoji (the bot's 👍/👎 buttons) in screenshots.
if [[ ! -x "$CHROMIUM" ]] || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
  echo "==> Installing Chromium and fonts from Debian (apt-get)"
  SUDO=""; [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium \
    fonts-dejavu-core fonts-noto-color-emoji
fi
"$CHROMIUM" --version

if [[ ! -f "$AXE_DIR/axe.min.js" ]]; then
  echo "==> Installing axe-core 4 (npm registry) into tests/browser/node_modules (git-ignored)"
  command -v npm >/dev/null || { echo "npm is required to install axe-core"; exit 1; }
  npm install --prefix "$ROOT/tests/browser" --no-save --no-audit --no-fund --no-package-lock \
    "axe-core@4"
fi
echo "axe-core $(node -p "require('$AXE_DIR/package.json').version" 2>/dev/null || echo '?')"
