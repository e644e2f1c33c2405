#!/usr/bin/env bash
# Tools the tests need that are not Python packages, unpacked into .ci/bin (no system-wide install).
# promtool comes from Debian's `prometheus` package: downloaded and unpacked, never installed or started.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin cache
if [[ ! -x bin/promtool ]]; then
  (
    cd cache
    rm -rf prometheus-pkg ./*.deb
    apt-get download prometheus >/dev/null
    dpkg -x prometheus_*.deb prometheus-pkg
    cp prometheus-pkg/usr/bin/promtool ../bin/promtool
    rm -rf prometheus-pkg ./*.deb
  )
fi
bin/promtool --version | head -1
