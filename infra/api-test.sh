#!/usr/bin/env bash
# Property-based API tests: schemathesis (in .venv) against the real `authbridge-local`, once on the
# embedded store and once on DynamoDB + Secrets Manager in the moto emulator, with the stack's own
# /openapi.json (docs/openapi.json).
#
# For each store: a fresh store (SQLite file, or a new table and secret prefix); a provider for the
# OpenID Connect test server with a client-credentials and an authorization-code client; an API token
# scoped to the tags `api-test:*` and allowed every endpoint, and a user, made with the CLI; the stack
# on a free port; real data through the stack (a client-credentials connection, an open flow: see
# infra/api-test-seed.py) named as examples in a copy of the document, so that every operation is
# reached past its authorisation; two logins (one session for GET /auth/me, one for POST
# /auth/logout); then `schemathesis run` over every operation with the checks not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance, response_headers_conformance and unsupported_method (405 with
# Allow for another method on a documented path). It fails on any failure (printed with a curl line that reproduces
# it), when fewer than AUTHBRIDGE_API_TEST_MIN_CASES (1000) cases ran, and when an operation was
# only ever refused (401, 403, 404) in the stack's access log.
#
# Run alone:  ./infra/api-test.sh   (uses AUTHBRIDGE_TEST_AWS_ENDPOINT and AUTHBRIDGE_TEST_OIDC_ISSUER
#             when set, else starts moto and the OpenID Connect test server)
# Tunables:   AUTHBRIDGE_API_TEST_EXAMPLES (cases per operation and phase, 80),
#             AUTHBRIDGE_API_TEST_SEED (schemathesis --seed, to replay a run),
#             AUTHBRIDGE_API_TEST_BACKENDS ("embedded aws").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv"
schemathesis="$venv/bin/schemathesis"
if [ ! -x "$schemathesis" ]; then
    echo "error: $schemathesis is missing: run ./infra/test.sh once, or" >&2
    echo "  python3 -m venv .venv && .venv/bin/pip install -r infra/requirements-test.txt" >&2
    exit 1
fi
examples=${AUTHBRIDGE_API_TEST_EXAMPLES:-80}
min_cases=${AUTHBRIDGE_API_TEST_MIN_CASES:-1000}
backends=${AUTHBRIDGE_API_TEST_BACKENDS:-embedded aws}
seed=()
if [ -n "${AUTHBRIDGE_API_TEST_SEED:-}" ]; then seed=(--seed "$AUTHBRIDGE_API_TEST_SEED"); fi
# What every response is held to (`schemathesis run --help` lists them).
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
checks+=,response_headers_conformance,unsupported_method
run_dir="$root/.test-run/api"
rm -rf "$run_dir"
mkdir -p "$run_dir"

# shellcheck source=infra/lib.sh
source "$root/infra/lib.sh"

# The value of `key` in the JSON document on standard input.
field() { py -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# A session token: POST /auth/login as the test user.
login() { # base_url
    py - "$1" <<'PY'
import json, os, sys, urllib.request
body = json.dumps({"email": os.environ["API_TEST_EMAIL"], "password": os.environ["API_TEST_PASSWORD"]})
req = urllib.request.Request(sys.argv[1] + "/auth/login", data=body.encode(),
                             headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=10))["access_token"])
PY
}

say "Building authbridge-local and the CLI"
cargo build -p authbridge-infra --bin authbridge-local -p authbridge-cli --bin authbridge
bin="${CARGO_TARGET_DIR:-$root/target}/debug"

endpoint=${AUTHBRIDGE_TEST_AWS_ENDPOINT:-}
if [[ " $backends " == *" aws "* ]] && [ -z "$endpoint" ]; then
    say "Starting the DynamoDB / Secrets Manager emulator (moto)"
    moto_port=$(free_port)
    "$venv/bin/python" infra/moto-server.py -H 127.0.0.1 -p "$moto_port" > "$run_dir/moto.log" 2>&1 &
    pids+=($!)
    wait_for "http://127.0.0.1:$moto_port/moto-api/" "moto" "$run_dir/moto.log"
    endpoint="http://127.0.0.1:$moto_port"
fi

oidc_issuer=${AUTHBRIDGE_TEST_OIDC_ISSUER:-}
if [ -z "$oidc_issuer" ]; then
    oidc_dir="$root/infra/oidc-server"
    if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
        echo "error: the OpenID Connect test server is not installed: run ./infra/test.sh once" >&2
        exit 1
    fi
    say "Starting the OpenID Connect test server (oidc-provider)"
    oidc_port=$(free_port)
    OIDC_CLIENTS_FILE="$oidc_dir/clients.json" node "$oidc_dir/server.mjs" "$oidc_port" > "$run_dir/oidc.log" 2>&1 &
    pids+=($!)
    oidc_issuer="http://127.0.0.1:$oidc_port"
    wait_for "$oidc_issuer/.well-known/openid-configuration" "the OpenID Connect test server" "$run_dir/oidc.log"
fi

# One store: configure, seed with the CLI, start the stack, run schemathesis. Runs in a subshell
# (its environment is its own); the stack is stopped when it ends.
run_backend() ( # embedded | aws
    backend=$1
    dir="$run_dir/$backend"
    mkdir -p "$dir"
    # Only what this run sets: none of the caller's AUTHBRIDGE_* settings.
    while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(AUTHBRIDGE_[A-Z0-9_]*\)=.*/\1/p')
    unset AWS_ENDPOINT_URL
    run_id="api-test-$(date +%s)-$$"
    if [ "$backend" = aws ]; then
        export AUTHBRIDGE_BACKEND=aws AUTHBRIDGE_TABLE="$run_id" AUTHBRIDGE_SECRET_PREFIX="$run_id/"
        export AWS_ENDPOINT_URL="$endpoint"
        export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
        export AWS_REGION=${AWS_REGION:-us-east-1}
        "$bin/authbridge" create-table --json > /dev/null
        # The key that seals stored tokens (the stack's template makes it on AWS).
        py -c 'import secrets; print(secrets.token_urlsafe(48))' \
            | "$bin/authbridge" secrets set "${run_id}/token-key" --value-stdin --json > /dev/null
    else
        export AUTHBRIDGE_BACKEND=embedded AUTHBRIDGE_DB_PATH="$dir/authbridge.db"
    fi
    # The test server's clients (infra/oidc-server/clients.json), under a provider of this run's own.
    export AUTHBRIDGE_PROVIDERS_DIR="$dir/providers"
    mkdir -p "$AUTHBRIDGE_PROVIDERS_DIR"
    cat > "$AUTHBRIDGE_PROVIDERS_DIR/api-test.json" <<EOF
{"title": "The API tests' authorization server", "issuer": "$oidc_issuer",
 "options": {"scopes": ["openid", "email"]},
 "mailSettingsTemplate": [{"protocol": "IMAP", "server": "imap.example.test", "port": 993,
                           "security": "ssl", "username": "api-test@example.org"}]}
EOF
    AUTHBRIDGE_API_SERVICE_CLIENT=$(printf 'authbridge-service-secret\n' | "$bin/authbridge" clients create \
        --provider api-test --guid authbridge-service --secret-stdin --json | field id)
    AUTHBRIDGE_API_CODE_CLIENT=$(printf 'authbridge-test-secret\n' | "$bin/authbridge" clients create \
        --provider api-test --guid authbridge-test --secret-stdin --json | field id)
    export AUTHBRIDGE_API_SERVICE_CLIENT AUTHBRIDGE_API_CODE_CLIENT
    every=(--allow oauth-start --allow oauth-token --allow tokens --allow connections --allow sync-user)
    # schemathesis's token is scoped: it reaches the api-test:* connections, and is refused others.
    AUTHBRIDGE_API_TEST_TOKEN=$("$bin/authbridge" api-tokens create schemathesis --json \
        "${every[@]}" --tags 'api-test:*' | field token)
    AUTHBRIDGE_API_SEED_TOKEN=$("$bin/authbridge" api-tokens create seed --json "${every[@]}" | field token)
    export AUTHBRIDGE_API_TEST_TOKEN AUTHBRIDGE_API_SEED_TOKEN
    export API_TEST_EMAIL="schemathesis@example.org"
    API_TEST_PASSWORD=$(py -c 'import secrets; print(secrets.token_urlsafe(24))')
    export API_TEST_PASSWORD
    printf '%s\n' "$API_TEST_PASSWORD" \
        | "$bin/authbridge" users create --email "$API_TEST_EMAIL" --password-stdin --json > /dev/null

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "$bin/authbridge-local" --port "$port" > "$dir/authbridge-local.log" 2>&1 &
    stack=$!
    trap 'kill "$stack" 2>/dev/null || true; wait "$stack" 2>/dev/null || true' EXIT
    wait_for "$base/openapi.json" "authbridge-local ($backend)" "$dir/authbridge-local.log"
    py infra/api-test-seed.py seed "$base" docs/openapi.json "$dir/openapi.json"
    # The coverage check reads only what schemathesis asked, after the seeding's own requests.
    first_line=$(($(wc -l < "$dir/authbridge-local.log") + 1))
    AUTHBRIDGE_API_TEST_SESSION=$(login "$base")
    AUTHBRIDGE_API_TEST_LOGOUT_SESSION=$(login "$base")
    export AUTHBRIDGE_API_TEST_SESSION AUTHBRIDGE_API_TEST_LOGOUT_SESSION

    say "schemathesis against the local stack on the $backend store ($base)"
    status=0
    # One worker: CPython 3.11 before 3.11.8 can fail parsing source in concurrent threads
    # ("AST constructor recursion depth mismatch", python/cpython#106905), which hypothesis does
    # when it describes a strategy.
    "$schemathesis" --config-file infra/schemathesis.toml run "$dir/openapi.json" \
        --url "$base" \
        --checks "$checks" \
        --max-examples "$examples" --workers 1 --request-timeout 35 "${seed[@]}" \
        --report junit --report-dir "$dir" \
        2>&1 | tee "$dir/schemathesis.out" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "error: schemathesis failed on the $backend store (the stack's log: $dir/authbridge-local.log)" >&2
        exit "$status"
    fi
    cases=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$dir/schemathesis.out" | tail -1)
    if [ -z "$cases" ] || [ "$cases" -lt "$min_cases" ]; then
        echo "error: only ${cases:-no} cases ran on the $backend store; at least $min_cases wanted" >&2
        exit 1
    fi
    py infra/api-test-seed.py coverage docs/openapi.json "$dir/authbridge-local.log" "$first_line"
    echo "$backend: $cases cases, 0 failures"
)

for backend in $backends; do
    run_backend "$backend"
done
say "API tests passed on: $backends"
