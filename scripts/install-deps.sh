#!/usr/bin/env bash
# Installs what the build and the tests need on a Debian/Ubuntu machine:
#   - system libraries for the native stack (OpenBLAS, HDF5, fontconfig), via apt;
#   - a Python virtualenv with numpy and h5py (used by the interoperability tests)
#     at $STDP_PY_VENV (default ~/.cache/stdp-py).
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

APT_PACKAGES=(libopenblas-dev libhdf5-dev pkg-config libfontconfig1-dev fonts-dejavu-core)
PY_PACKAGES=(numpy h5py polars)
VENV="${STDP_PY_VENV:-$HOME/.cache/stdp-py}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install Rust (https://rustup.rs) and run this again." >&2
  exit 1
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  echo "warning: not a Debian/Ubuntu system; make sure these (or their equivalents) are installed: ${APT_PACKAGES[*]}" >&2
fi

if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# Python side (optional for building; the interop tests use it when present).
if command -v python3 >/dev/null 2>&1; then
  if ! "$VENV/bin/python" -c "import $(IFS=,; echo "${PY_PACKAGES[*]}")" >/dev/null 2>&1; then
    echo "setting up Python virtualenv $VENV with: ${PY_PACKAGES[*]}"
    if python3 -m venv "$VENV" >/dev/null 2>&1 &&
       "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"; then
      :
    else
      echo "warning: could not set up $VENV (python3-venv or PyPI unavailable); Python interop tests will be skipped" >&2
    fi
  fi
fi
