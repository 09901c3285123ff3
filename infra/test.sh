#!/usr/bin/env bash
# The README's test command: sets up everything on a fresh machine and runs every test.
#
#   1. a Python virtualenv (.venv, git-ignored) with moto[server], cfn-lint, aws-sam-cli and
#      schemathesis;
#   2. the DynamoDB / Secrets Manager emulator (moto, through infra/moto-server.py, which makes its
#      DynamoDB backend atomic) on a free 127.0.0.1 port;
#   3. the OpenID Connect authorization server (oidc-provider, installed with npm ci into
#      infra/oidc-server/node_modules, git-ignored) on another free port;
#   4. headless Chromium and ChromeDriver (Debian's chromium and chromium-driver, installed with
#      apt-get when missing), ChromeDriver on a third free port, for the real-browser tests;
#   5. a real WordPress with the authbridge plugin (Debian's wordpress and mariadb-server, installed
#      with apt-get when missing; infra/wordpress/setup.sh), served by `php -S` on a fourth port;
#   5b. Dovecot's IMAP (Debian's dovecot-imapd, installed with apt-get when missing;
#      infra/dovecot/setup.sh) on a fifth port, checking XOAUTH2 tokens at the OpenID Connect server;
#   6. cfn-lint and `sam validate --lint` on template.yaml, cargo fmt --check, cargo clippy -D warnings;
#   6b. the book (infra/book.sh): mdbook, pinned, installed into ~/.cargo/bin when missing; the link
#      checker's self-test; `mdbook build docs/book`; the link check of the book and the README;
#   7. the whole workspace's tests (the browser tests start the real local stack binary),
#      with the servers' endpoints in the environment;
#   7b. the Argon2 crate's tests built for aarch64 (what the template ships: its NEON compression)
#      and run under qemu-user (infra/arm64.sh installs the target, Debian's cross compiler and
#      qemu-user-static when missing);
#   8. the API tests: schemathesis against the real local stack on both stores, held to
#      docs/openapi.json (infra/api-test.sh).
#
# Servers are stopped on exit, also when a step fails. Under this command a test that needs a
# server fails when it cannot reach it (AUTHBRIDGE_TEST_REQUIRE_SERVERS=1).
#
# For development: `./infra/test.sh -- ARGS...` sets up and starts the same servers, then runs only
# `cargo test ARGS...` (no linters, no book, no API tests), e.g. `./infra/test.sh -- -p
# authbridge-tests --test suite login_wordpress`; `./infra/book.sh` alone builds and checks the book.
# CI always runs the whole command.
set -euo pipefail

only=()
if [ "${1:-}" = "--" ]; then
    shift
    only=("$@")
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
run_dir="$root/.test-run"
mkdir -p "$run_dir"

# --- Python tools -----------------------------------------------------------------------------
venv="$root/.venv"
# shellcheck source=infra/lib.sh
source "$root/infra/lib.sh"
stamp="$venv/.requirements.sha256"
want=$(sha256sum infra/requirements-test.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing the Python test tools into .venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r infra/requirements-test.txt
    echo "$want" > "$stamp"
fi

# --- The AWS emulator -------------------------------------------------------------------------
say "Starting the DynamoDB / Secrets Manager emulator (moto)"
moto_port=$(free_port)
"$venv/bin/python" infra/moto-server.py -H 127.0.0.1 -p "$moto_port" > "$run_dir/moto.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$moto_port/moto-api/" "moto" "$run_dir/moto.log"

export AUTHBRIDGE_TEST_REQUIRE_SERVERS=1
export AUTHBRIDGE_TEST_AWS_ENDPOINT="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# --- The OpenID Connect authorization server --------------------------------------------------
# panva's oidc-provider (infra/oidc-server, pinned in its package-lock.json): client authentication,
# PKCE, rotating refresh tokens, development login pages. Its auth-code clients accept any
# http://127.0.0.1:<port>/oauth/return, so each test runs its return handler on a port of its own.
oidc_dir="$root/infra/oidc-server"
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    echo "error: the OpenID Connect test server needs Node.js (20 or later) and npm" >&2
    exit 1
fi
oidc_stamp="$oidc_dir/node_modules/.package-lock.sha256"
want=$(sha256sum "$oidc_dir/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$oidc_dir/node_modules/oidc-provider" ] || [ "$(cat "$oidc_stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing the OpenID Connect test server (npm ci)"
    (cd "$oidc_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$oidc_stamp"
fi

say "Starting the OpenID Connect test server (oidc-provider)"
oidc_port=$(free_port)
OIDC_CLIENTS_FILE="$oidc_dir/clients.json" node "$oidc_dir/server.mjs" "$oidc_port" > "$run_dir/oidc.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$oidc_port/.well-known/openid-configuration" "the OpenID Connect test server" "$run_dir/oidc.log"

export AUTHBRIDGE_TEST_OIDC_ISSUER="http://127.0.0.1:$oidc_port"
export AUTHBRIDGE_TEST_OIDC_CLIENTS="$oidc_dir/clients.json"

# --- Dovecot (IMAP with XOAUTH2) --------------------------------------------------------------
# Its own configuration under .test-run/dovecot (never the system one); its oauth2 passdb checks
# tokens by introspection at the server above, as the test client. Exports AUTHBRIDGE_TEST_IMAP.
say "Starting Dovecot's IMAP server (infra/dovecot/setup.sh)"
dovecot_env=$(infra/dovecot/setup.sh "$run_dir/dovecot" "$AUTHBRIDGE_TEST_OIDC_ISSUER")
set -a
eval "$dovecot_env"
set +a
while read -r pid; do pids+=("$pid"); done < "$AUTHBRIDGE_TEST_IMAP_RUN_DIR/pids"

# --- Headless Chromium and ChromeDriver ------------------------------------------------------
# Debian's packages, not a test tool's own browser download (this network refuses those). The
# browser tests start Chromium through ChromeDriver with the flags a closed network needs.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "Installing Chromium and ChromeDriver (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver > /dev/null
fi

say "Starting ChromeDriver"
webdriver_port=$(free_port)
/usr/bin/chromedriver --port="$webdriver_port" > "$run_dir/chromedriver.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$webdriver_port/status" "ChromeDriver" "$run_dir/chromedriver.log"

export AUTHBRIDGE_TEST_WEBDRIVER="http://127.0.0.1:$webdriver_port"
export AUTHBRIDGE_TEST_CHROMIUM=/usr/bin/chromium

# --- WordPress with the authbridge plugin -----------------------------------------------------
# A throwaway MariaDB (Unix socket only) and a fresh site every run, under .test-run/wordpress;
# about 45 s the first time (apt-get), 3 s after. The setup stops what it started when it fails;
# after that, the servers are ours to stop. It exports AUTHBRIDGE_TEST_WORDPRESS_URL, _DIR and
# _AUTH_TOKEN (tests/src/wordpress_site.rs), and _RUN_DIR (its folder, with the process ids).
say "Starting WordPress with the authbridge plugin (infra/wordpress/setup.sh)"
wordpress_env=$(infra/wordpress/setup.sh "$run_dir/wordpress")
set -a
eval "$wordpress_env"
set +a
while read -r pid; do pids+=("$pid"); done < "$AUTHBRIDGE_TEST_WORDPRESS_RUN_DIR/pids"

if [ "${#only[@]}" -gt 0 ]; then
    say "cargo test ${only[*]}"
    cargo test "${only[@]}"
    exit $?
fi

# --- Template and linters ---------------------------------------------------------------------
say "cfn-lint template.yaml"
"$venv/bin/cfn-lint" template.yaml

# Offline: SAM needs a region to translate the template, and no credentials for --lint.
say "sam validate --lint"
SAM_CLI_TELEMETRY=0 AWS_REGION=us-east-1 "$venv/bin/sam" validate --lint --region us-east-1 --template template.yaml

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
# The functions alone, as they ship: without the embedded store (and what only it uses).
functions=(-p start-auth -p oauth-return -p client-credentials -p login-authenticate -p wp-sync-user
    -p token-refresh -p token-access)
cargo clippy "${functions[@]}" -- -D warnings

# --- The book ---------------------------------------------------------------------------------
# Before the tests, so a broken link fails in seconds (mdbook's install: minutes, the first time).
say "The book: mdbook build docs/book and its link check (infra/book.sh)"
infra/book.sh

# --- Tests ------------------------------------------------------------------------------------

# Every test binary runs and every failure is reported (--no-fail-fast), then the totals.
say "cargo test --workspace --no-fail-fast"
test_log="$run_dir/cargo-test.log"
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$test_log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i; if ($(i+1) ~ /^ignored;?$/) g += $i } }
     END { printf "\n==> Totals: %d passed, %d failed, %d ignored\n", p, f, g }' "$test_log"
if [ "$status" -ne 0 ]; then
    echo "error: some tests failed; each failing test is listed above under 'failures:'" >&2
    exit "$status"
fi

say "The Argon2 crate's tests on arm64 (aarch64 build, NEON compression, under qemu-user)"
# shellcheck source=infra/arm64.sh
source "$root/infra/arm64.sh"
arm64_toolchain
cargo test -p authbridge-argon2id --target "$arm64_target"

say "API tests: schemathesis against the local stack on both stores (infra/api-test.sh)"
infra/api-test.sh

say "All checks and tests passed"
