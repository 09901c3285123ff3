#!/usr/bin/env bash
# A real WordPress for the tests: Debian's `wordpress` package on a throwaway MariaDB, served by
# PHP's built-in server on 127.0.0.1, with the authbridge plugin (infra/wordpress/plugin/authbridge)
# active.
#
#   infra/wordpress/setup.sh RUN_DIR         set up and start; prints the tests' environment as
#                                            KEY=VALUE lines (shell-quoted) on standard output,
#                                            also written to RUN_DIR/env; the servers' process
#                                            ids go to RUN_DIR/pids, their logs to RUN_DIR/*.log
#                                            (RUN_DIR is AUTHBRIDGE_TEST_WORDPRESS_RUN_DIR: another
#                                            folder when a concurrent run holds this one)
#   infra/wordpress/setup.sh stop RUN_DIR    stop them
#
# The test command (infra/test.sh) runs it and stops the servers in its exit trap. By hand:
#
#   infra/wordpress/setup.sh .test-run/wordpress
#   set -a; . .test-run/wordpress/env; set +a
#   AUTHBRIDGE_TEST_REQUIRE_SERVERS=1 cargo test -p authbridge-tests --test suite wordpress_plugin::
#   infra/wordpress/setup.sh stop .test-run/wordpress
#
# What it does, quickly on a second run:
#   1. installs the Debian packages that are missing (apt-get; needs root the first time);
#   2. starts MariaDB on a data folder under RUN_DIR (made once with mariadb-install-db), on a
#      Unix socket only (--skip-networking), and makes an empty `wordpress` database (every run:
#      each run's tests start from a fresh site);
#   3. copies /usr/share/wordpress to RUN_DIR/site (again only when the package changed), with a
#      wp-config.php of its own, the plugin linked into wp-content/plugins, and a must-use plugin
#      that turns e-mail off;
#   4. installs WordPress (wp_install) on a free port's URL, with pretty permalinks, and activates
#      the plugin;
#   5. starts `php -S 127.0.0.1:PORT` with router.php (the .htaccess of PHP's built-in server).
#
# The plugin's settings in the site's wp-config.php: AUTHBRIDGE_AUTH_TOKEN is a random value of
# this run (AUTHBRIDGE_TEST_WORDPRESS_AUTH_TOKEN); AUTHBRIDGE_URL and AUTHBRIDGE_API_TOKEN are read
# from the environment of each PHP process, so each test runs WordPress's PHP code (wp-test.php)
# against an authbridge of its own. The web server has neither: pages it serves post no users.
# WP-Cron never runs from page views (DISABLE_WP_CRON): tests run the plugin's retries themselves.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '%s\n' "$*" >&2; }

# Stops the servers listed in RUN_DIR/pids: only processes whose command line names RUN_DIR, so a
# recycled process id is left alone. Waits until they are gone (MariaDB holds its data folder).
stop_servers() {
    local run=$1 pid
    [ -f "$run/pids" ] || return 0
    local ours=()
    while read -r pid; do
        if [ -n "$pid" ] && { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$run"; then
            kill "$pid" 2>/dev/null || true
            ours+=("$pid")
        fi
    done < "$run/pids"
    for pid in "${ours[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    rm -f "$run/pids"
}

if [ "${1:-}" = stop ]; then
    [ $# -eq 2 ] || { log "usage: $0 stop RUN_DIR"; exit 2; }
    stop_servers "$(cd "$2" && pwd)"
    exit 0
fi
[ $# -eq 1 ] || { log "usage: $0 RUN_DIR | $0 stop RUN_DIR"; exit 2; }

mkdir -p "$1"
run=$(cd "$1" && pwd)

# One test run per folder at a time: the servers inherit a lock on RUN_DIR/lock (file descriptor
# 9) and hold it as long as they run. When another run still holds it after a few seconds (the
# last run's MariaDB may be shutting down; or two test commands run at once in one checkout), this
# run takes a folder of its own next to it, RUN_DIR.<pid>, which a later run removes once free.
for other in "$run".*; do
    [ -d "$other" ] || continue
    if (flock -n 9) 9> "$other/lock"; then rm -rf "$other"; fi
done
exec 9> "$run/lock"
if ! flock -w 5 9; then
    log "$run is in use by another test run; using $run.$$"
    run="$run.$$"
    mkdir -p "$run"
    exec 9> "$run/lock"
    flock -n 9
fi
stop_servers "$run" # a previous run's, when its exit trap never ran

# Anything started here is stopped again when a later step fails.
trap 'stop_servers "$run"' EXIT

# --- 1. Packages ------------------------------------------------------------------------------
# php-curl, php-xml and php-mbstring are what a production site has (and what the package
# suggests); --no-install-recommends leaves out themes and translations.
packages=(wordpress mariadb-server php-cli php-mysql php-curl php-xml php-mbstring)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "error: these packages are missing; as root: apt-get install --no-install-recommends ${missing[*]}"
        exit 1
    fi
    log "installing ${missing[*]} (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        > "$run/apt.log" 2>&1 || { cat "$run/apt.log" >&2; exit 1; }
fi

# --- 2. MariaDB -------------------------------------------------------------------------------
data="$run/mysql"
socket="$run/mysql.sock"
me=$(id -un)
as_user=()
[ "$(id -u)" = 0 ] && as_user=(--user=root)
if [ ! -d "$data/mysql" ]; then
    rm -rf "$data"
    log "creating the MariaDB data folder"
    mariadb-install-db --no-defaults --datadir="$data" "${as_user[@]}" --skip-test-db \
        --auth-root-authentication-method=socket > "$run/mysql-install.log" 2>&1 ||
        { cat "$run/mysql-install.log" >&2; exit 1; }
fi
rm -f "$socket"
mariadbd --no-defaults --datadir="$data" --socket="$socket" --pid-file="$run/mysql.pid" \
    --skip-networking "${as_user[@]}" --log-error="$run/mysql.log" \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
    > /dev/null 2>&1 &
echo $! >> "$run/pids"
mariadb_pid=$!

sql() { mariadb --no-defaults --socket="$socket" -u"$me" "$@"; }
for _ in $(seq 1 150); do
    sql -e 'SELECT 1' > /dev/null 2>&1 && break
    kill -0 "$mariadb_pid" 2>/dev/null || { log "error: MariaDB stopped; its log follows"; cat "$run/mysql.log" >&2; exit 1; }
    sleep 0.2
done
sql -e 'SELECT 1' > /dev/null || { log "error: MariaDB did not start; its log follows"; cat "$run/mysql.log" >&2; exit 1; }
sql <<'SQL'
DROP DATABASE IF EXISTS wordpress;
CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'wordpress'@'localhost' IDENTIFIED BY 'wordpress';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';
SQL

# --- 3. The site's files ----------------------------------------------------------------------
site="$run/site"
version=$(dpkg-query -W -f='${Version}' wordpress)
if [ "$(cat "$site/.debian-version" 2>/dev/null)" != "$version" ]; then
    log "copying WordPress $version"
    rm -rf "$site"
    # -L: the package links some files to other packages' (relative links that a copy would break).
    cp -rL /usr/share/wordpress "$site"
    echo "$version" > "$site/.debian-version"
fi
ln -sfn "$here/plugin/authbridge" "$site/wp-content/plugins/authbridge"
mkdir -p "$site/wp-content/mu-plugins"
cat > "$site/wp-content/mu-plugins/authbridge-test-no-mail.php" <<'PHP'
<?php
// The test site sends no e-mail (there is no mail server): every wp_mail() succeeds silently.
function wp_mail() {
	return true;
}
PHP

random() { php -r 'echo bin2hex(random_bytes(24));'; }
auth_token=$(random)
port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
url="http://127.0.0.1:$port"

{
    cat <<PHP
<?php
// The test site of authbridge's test command, written by infra/wordpress/setup.sh on every run.
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wordpress' );
define( 'DB_PASSWORD', 'wordpress' );
define( 'DB_HOST', 'localhost:$socket' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
\$table_prefix = 'wp_';
PHP
    for key in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
        echo "define( '$key', '$(random)' );"
    done
    cat <<PHP

// The authbridge plugin. The credential check's token is this run's; where authbridge is, and
// the API token for sync-user, come from each PHP process's environment (see setup.sh).
define( 'AUTHBRIDGE_AUTH_TOKEN', '$auth_token' );
define( 'AUTHBRIDGE_URL', (string) getenv( 'AUTHBRIDGE_URL' ) );
define( 'AUTHBRIDGE_API_TOKEN', (string) getenv( 'AUTHBRIDGE_API_TOKEN' ) );

// WP-Cron runs only when a test runs it, never from a page view.
define( 'DISABLE_WP_CRON', true );
// No calls to wordpress.org; the site's own host (127.0.0.1, where authbridge runs) stays allowed.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_DEBUG', false );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
PHP
} > "$site/wp-config.php"

# --- 4. Install -------------------------------------------------------------------------------
env -u AUTHBRIDGE_URL -u AUTHBRIDGE_API_TOKEN php "$here/install.php" "$site" "$url" > "$run/install.log" 2>&1 ||
    { cat "$run/install.log" >&2; exit 1; }

# --- 5. Serve ---------------------------------------------------------------------------------
(
    cd "$site"
    exec env -u AUTHBRIDGE_URL -u AUTHBRIDGE_API_TOKEN PHP_CLI_SERVER_WORKERS=4 \
        php -S "127.0.0.1:$port" -t "$site" "$here/router.php"
) > "$run/php.log" 2>&1 &
echo $! >> "$run/pids"

# Ready when the plugin answers: a credential check without a header is a 400.
ready=
for _ in $(seq 1 100); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/v1/remp/auth" || true)
    if [ "$status" = 400 ]; then ready=1; break; fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    log "error: WordPress at $url did not answer the credential check (last status: $status); its log follows"
    cat "$run/php.log" >&2
    exit 1
fi
# PHP's built-in server runs its workers as child processes: list them too, so stopping by
# process id stops them all.
pgrep -P "$(tail -n1 "$run/pids")" >> "$run/pids" || true

{
    printf 'AUTHBRIDGE_TEST_WORDPRESS_URL=%q\n' "$url"
    printf 'AUTHBRIDGE_TEST_WORDPRESS_DIR=%q\n' "$site"
    printf 'AUTHBRIDGE_TEST_WORDPRESS_AUTH_TOKEN=%q\n' "$auth_token"
    printf 'AUTHBRIDGE_TEST_WORDPRESS_RUN_DIR=%q\n' "$run"
} > "$run/env"
cat "$run/env"
trap - EXIT
