#!/usr/bin/env bash
# Qt's wheels need a few system libraries (EGL, xkbcommon, fontconfig, D-Bus).
# Most desktops have them; a bare Debian/Ubuntu machine may not. Install them
# only when Qt cannot load, and only where we may (root with apt-get).
set -euo pipefail
python="${1:-python3}"
if QT_QPA_PLATFORM=offscreen "$python" -c 'import PySide6.QtWidgets' 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 >/dev/null
  QT_QPA_PLATFORM=offscreen "$python" -c 'import PySide6.QtWidgets'
else
  echo "Qt cannot load: install your system's EGL, xkbcommon, fontconfig and D-Bus libraries." >&2
  exit 1
fi
