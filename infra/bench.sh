#!/usr/bin/env bash
# The benchmarks: builds with the `measure` profile (optimised, no LTO), starts the DynamoDB
# emulator like the test command, and prints the figures. Compare ratios from one run: the machines
# are shared and noisy.
#
#   sweep: N token records, 1 % due; items read, wall time and refreshes/s of one sweep
#          (10 000 and 100 000 on the embedded store, 10 000 on the emulator).
#   refresh: per access-token lifetime (60 s, 120 s, 3600 s; an instance of the test authorization
#          server per lifetime), refreshes at the provider per expiry under 50 concurrent callers
#          (the goal is 1.00) and the callers' p50 / p99 latency, on both stores.
#   login: see the login benchmark's own header.
#   login memory: peak RSS after 200 sequential logins and in a burst of 100 concurrent ones, and a
#          login's p50 beside the bare Argon2id verification's, on both stores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

venv="$root/.venv"
if [ ! -x "$venv/bin/moto_server" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r infra/requirements-test.txt
fi
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
mkdir -p .test-run
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > .test-run/bench-moto.log 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
    sleep 0.2
done
export AUTHBRIDGE_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"

# The refresh benchmark starts its own instances of the test authorization server.
oidc_dir="$root/infra/oidc-server"
if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
    (cd "$oidc_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build --quiet --profile measure -p authbridge-tests --bins
bin="$root/target/measure"
"$bin/bench-sweep" --tokens 10000 --tokens 100000 --emulator-tokens 10000
"$bin/bench-refresh" --lifetime 60 --lifetime 120 --lifetime 3600 --callers 50 --expiries 5
if [ -x "$bin/bench-login" ]; then
    "$bin/bench-login"
fi
"$bin/bench-login-memory" --logins 200 --burst 100
