#!/usr/bin/env bash
# The README's main job: the local stack, every function behind http://127.0.0.1:3000 (or --port N /
# AUTHBRIDGE_PORT), on the embedded store (.authbridge/authbridge.db) unless AWS is configured.
#
# The first build on a fresh machine takes several minutes; cargo's progress is shown.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "==> Building the local stack (cargo build -p authbridge-infra; minutes the first time)" >&2
cargo build -p authbridge-infra --bin authbridge-local
exec "${CARGO_TARGET_DIR:-target}/debug/authbridge-local" "$@"
