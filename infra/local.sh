#!/usr/bin/env bash
# The README's main job: the local stack, every function behind http://127.0.0.1:3000 (or --port N /
# AUTHBRIDGE_PORT), on the embedded store (.authbridge/authbridge.db) unless AWS is configured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --quiet -p authbridge-infra --bin authbridge-local -- "$@"
