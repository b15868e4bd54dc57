#!/usr/bin/env bash
# Installs what the build and the tests need on a Debian/Ubuntu machine:
#   - system libraries for the native stack (OpenBLAS, HDF5, fontconfig) and
#     valgrind (the instruction-count check of `make test`), via apt;
#   - with --cluster, as root only: a one-node SLURM (slurmctld, slurmd,
#     slurm-client, munge) for the real-cluster test (tests/slurm.rs starts and
#     stops its own daemons; the stock services are kept from starting during
#     the install); `make test` and `make cluster-deps` ask for it, `make run`
#     does not;
#   - a Python virtualenv with numpy, h5py and polars (used by the interoperability
#     tests), maturin and pytest (the Python package, `make python`) at
#     $STDP_PY_VENV (default ~/.cache/stdp-py).
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

APT_PACKAGES=(libopenblas-dev libhdf5-dev pkg-config libfontconfig1-dev fonts-dejavu-core valgrind)
# maturin builds the Python package (python/, `make python`), pytest runs its
# tests.
PY_PACKAGES=(numpy h5py polars maturin pytest)
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

# SLURM for the cluster test, which runs only as root (it skips otherwise).
SLURM_PACKAGES=(slurmctld slurmd slurm-client munge)
if [ "${1:-}" = "--cluster" ] && [ "$(id -u)" = 0 ] && command -v dpkg-query >/dev/null 2>&1; then
  slurm_missing=()
  for p in "${SLURM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || slurm_missing+=("$p")
  done
  if ((${#slurm_missing[@]})); then
    echo "installing SLURM for the cluster test: ${slurm_missing[*]}"
    # Keep apt from starting the stock slurm/munge services (the test runs its own).
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
    fi
    apt-get update -qq
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${slurm_missing[@]}" || rc=$?
    if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
    if [ "$rc" != 0 ]; then
      echo "error: could not install ${slurm_missing[*]} (apt-get exit $rc)" >&2
      exit 1
    fi
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
