#!/usr/bin/env bash
# Tools the tests need that are not Python packages, unpacked into .ci/bin (no system-wide install).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
