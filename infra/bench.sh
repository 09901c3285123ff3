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
#          login's p50 beside the bare Argon2id verification's (one after each login) and a bare
#          store read's (the login's extra time in such reads), on both stores.
#   cold start: the release binaries of the seven functions and of the floor (tests/floor, a
#          hello-world lambda_http function) under a local Lambda Runtime API, 2 interleaved rounds
#          of 15 cold starts x 20 invokes each, on the emulator (the functions ship without the
#          embedded store): init, first and warm invoke, peak RSS and binary size, each beside its
#          ratio to the floor, and issue 16's goals; then the
#          same release binaries built for arm64 (what `sam build` ships), their sizes.
#
#   round trips: per operation (refused logins, a successful login, a token read, a token read that
#          refreshes, sync-user), on both stores, the store calls, their sequential depth (counted by
#          the interceptor on the DynamoDB client) and the latency over HTTP (bench-round-trips).
#
#   argon2: the dummy Argon2id verification inside the release login-authenticate binary (its
#          `--measure-argon2 N` mode) beside the C reference implementation (argon2-cffi in the
#          .venv) verifying the same hash, taking turns: p50, min and the ratio.
#
#   ./infra/bench.sh              every benchmark
#   ./infra/bench.sh cold-start   the cold-start benchmark and the login memory run only
#                                 (counts: AUTHBRIDGE_BENCH_COLD, _INVOKES, _ROUNDS)
#   ./infra/bench.sh argon2       the Argon2id comparison only
#   ./infra/bench.sh round-trips  the round trips per operation only (AUTHBRIDGE_BENCH_REQUESTS, 30)
set -euo pipefail
mode=${1:-all}
case "$mode" in
    all | cold-start | argon2 | round-trips) ;;
    *) echo "usage: $0 [cold-start | argon2 | round-trips]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=infra/arm64.sh
source "$root/infra/arm64.sh"

venv="$root/.venv"
if [ ! -x "$venv/bin/moto_server" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r infra/requirements-test.txt
fi
if ! "$venv/bin/python" -c 'import argon2' 2> /dev/null; then
    "$venv/bin/pip" install --quiet -r infra/requirements-bench.txt
fi

# The shipped login's Argon2id beside the C reference, 5 rounds of 5 verifications each, taking
# turns (the release binary as `sam build` makes it: the `release` profile, fat LTO).
argon2_compare() {
    cargo build --quiet --release -p login-authenticate
    local rounds=${AUTHBRIDGE_BENCH_ARGON2_ROUNDS:-5} out
    out=$(mktemp)
    for _ in $(seq 1 "$rounds"); do
        "$root/target/release/login-authenticate" --measure-argon2 5 | sed 's/^/shipped /'
        "$venv/bin/python" infra/argon2-reference.py 5 | sed 's/^/reference /'
    done > "$out"
    echo
    echo "### Argon2id dummy verification (m=19456 t=2 p=1), $rounds rounds x 5 each, taking turns"
    echo
    "$venv/bin/python" - "$out" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    who, ms = line.split()
    runs.setdefault(who, []).append(float(ms))
shipped, reference = runs["shipped"], runs["reference"]
print("| implementation | p50 | min | n |")
print("|---|--:|--:|--:|")
print(f"| login-authenticate (release) | {statistics.median(shipped):.1f} ms | {min(shipped):.1f} ms | {len(shipped)} |")
print(f"| argon2-cffi (C reference) | {statistics.median(reference):.1f} ms | {min(reference):.1f} ms | {len(reference)} |")
ratio = statistics.median(shipped) / statistics.median(reference)
print(f"\nshipped / reference, p50: x{ratio:.2f} (goal <= 1.2: {'pass' if ratio <= 1.2 else 'FAIL'})")
PY
    rm -f "$out"
}
if [ "$mode" = argon2 ]; then
    argon2_compare
    exit 0
fi
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
mkdir -p .test-run
"$venv/bin/python" infra/moto-server.py -H 127.0.0.1 -p "$port" > .test-run/bench-moto.log 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
    sleep 0.2
done
export AUTHBRIDGE_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
# The emulator's credentials, for the harnesses' own calls (the cold-start bench makes the KMS key).
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

bin="$root/target/measure"

functions=(-p start-auth -p oauth-return -p client-credentials -p login-authenticate -p wp-sync-user
    -p token-refresh -p token-access -p admin-console)

# The cold-start benchmark times the functions as they ship: release builds (fat LTO), in one
# cargo invocation of their own so that no test-only feature leaks into them.
cold_start() {
    cargo build --quiet --release -p bench-floor "${functions[@]}"
    "$bin/bench-cold-start" --bin-dir "$root/target/release"
    arm64_sizes
}

# What `sam build` ships (template.yaml: arm64): the same release build for aarch64, with Debian's
# cross linker and C library (installed when missing: infra/arm64.sh). Sizes only: no arm64 CPU
# here to time it on.
arm64_sizes() {
    arm64_toolchain
    cargo build --quiet --release --target "$arm64_target" -p bench-floor "${functions[@]}"
    echo
    echo "### arm64 release binaries (goal: every one <= 8 MB)"
    echo
    echo "| function | x86_64 | arm64 | goal |"
    echo "|---|--:|--:|---|"
    local name x86 arm
    for name in bench-floor start-auth oauth-return client-credentials login-authenticate wp-sync-user token-refresh token-access admin-console; do
        x86=$(stat -c %s "target/release/$name")
        arm=$(stat -c %s "target/$arm64_target/release/$name")
        echo "| $name | $x86 B | $arm B | $([ "$arm" -le 8000000 ] && [ "$x86" -le 8000000 ] && echo pass || echo FAIL) |"
    done
}

if [ "$mode" = cold-start ]; then
    cargo build --quiet --profile measure -p authbridge-tests --bin bench-cold-start --bin bench-login-memory
    cold_start
    "$bin/bench-login-memory" --logins 200 --burst 100
    exit 0
fi

# The refresh benchmark starts its own instances of the test authorization server.
oidc_dir="$root/infra/oidc-server"
if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
    (cd "$oidc_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

requests=${AUTHBRIDGE_BENCH_REQUESTS:-30}
if [ "$mode" = round-trips ]; then
    cargo build --quiet --profile measure -p authbridge-tests --bin bench-round-trips
    "$bin/bench-round-trips" --requests "$requests"
    exit 0
fi

cargo build --quiet --profile measure -p authbridge-tests --bins
"$bin/bench-sweep" --tokens 10000 --tokens 100000 --emulator-tokens 10000
"$bin/bench-keys" --reads 200
"$bin/bench-refresh" --lifetime 60 --lifetime 120 --lifetime 3600 --callers 50 --expiries 5
if [ -x "$bin/bench-login" ]; then
    "$bin/bench-login"
fi
"$bin/bench-login-memory" --logins 200 --burst 100
"$bin/bench-round-trips" --requests "$requests"
cold_start
argon2_compare
