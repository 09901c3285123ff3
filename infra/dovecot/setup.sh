#!/usr/bin/env bash
# A real IMAP server for the XOAUTH2 tests: Debian's Dovecot (`dovecot-imapd`) on 127.0.0.1, with
# a configuration of its own (never the system one) whose `oauth2` passdb checks each token by
# RFC 7662 introspection at the test authorization server, authenticating as the test client.
#
#   infra/dovecot/setup.sh RUN_DIR ISSUER [CLIENT_ID CLIENT_SECRET]
#                                            set up and start; prints the tests' environment as
#                                            KEY=VALUE lines (shell-quoted) on standard output,
#                                            also written to RUN_DIR/env; Dovecot's process id goes
#                                            to RUN_DIR/pids, its log to RUN_DIR/dovecot.log
#   infra/dovecot/setup.sh stop RUN_DIR      stop it
#
# The test command (infra/test.sh) runs it and stops Dovecot in its exit trap. By hand:
#
#   infra/dovecot/setup.sh .test-run/dovecot "$AUTHBRIDGE_TEST_OIDC_ISSUER"
#   set -a; . .test-run/dovecot/env; set +a
#   AUTHBRIDGE_TEST_REQUIRE_SERVERS=1 cargo test -p authbridge-tests --test suite mail_xoauth2::
#   infra/dovecot/setup.sh stop .test-run/dovecot
#
# Who logs in: the XOAUTH2 user is the account's e-mail (`<id>@example.test`, the test server's
# `email` claim); Dovecot compares its local part (`username_format = %n`) with the `sub` of the
# introspection answer (`<id>`), and refuses a token the server no longer calls active. Mailboxes
# are Maildirs under RUN_DIR/mail/<id>; INBOX is made on first use. No TLS (`ssl = no`): loopback.
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

# Stops the Dovecot listed in RUN_DIR/pids, only when its command line names RUN_DIR (a recycled
# process id is left alone), and waits until it is gone.
stop_servers() {
    local run=$1 pid
    [ -f "$run/pids" ] || return 0
    while read -r pid; do
        if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$run/"; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
    done < "$run/pids"
    rm -f "$run/pids"
}

if [ "${1:-}" = stop ]; then
    stop_servers "$(cd "${2:?usage: setup.sh stop RUN_DIR}" && pwd)"
    exit 0
fi

mkdir -p "${1:?usage: setup.sh RUN_DIR ISSUER [CLIENT_ID CLIENT_SECRET]}"
run=$(cd "$1" && pwd)
issuer=${2:?usage: setup.sh RUN_DIR ISSUER [CLIENT_ID CLIENT_SECRET]}
client_id=${3:-authbridge-test}
client_secret=${4:-authbridge-test-secret}

# 1. The package, when missing (root the first time).
if [ ! -x /usr/sbin/dovecot ] || [ ! -e /usr/lib/dovecot/imap ]; then
    log "Installing Dovecot (apt-get install dovecot-imapd)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd > /dev/null
fi

stop_servers "$run"
rm -rf "$run/base" "$run/mail"
mkdir -p "$run/base" "$run/state" "$run/mail"

# 2. Where Dovecot checks tokens: the introspection endpoint of the server's discovery document.
introspection=$(python3 - "$issuer" <<'PY'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
with opener.open(sys.argv[1] + "/.well-known/openid-configuration", timeout=5) as r:
    print(json.load(r)["introspection_endpoint"])
PY
)
# The client's credentials go in the URL's user information (Dovecot sends them as HTTP Basic).
introspection_url=$(python3 - "$introspection" "$client_id" "$client_secret" <<'PY'
import sys, urllib.parse
url, user, secret = sys.argv[1:]
parts = urllib.parse.urlsplit(url)
q = lambda s: urllib.parse.quote(s, safe="")
print(parts._replace(netloc=f"{q(user)}:{q(secret)}@{parts.netloc}").geturl())
PY
)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

# 3. Users: as root, Dovecot's own unprivileged users; otherwise whoever runs this.
if [ "$(id -u)" = 0 ]; then
    internal_user=dovecot login_user=dovenull
    chown dovecot:dovecot "$run/mail"
else
    internal_user=$(id -un) login_user=$(id -un)
fi
mail_uid=$(id -u "$internal_user") mail_gid=$(id -g "$internal_user")

umask 077
cat > "$run/oauth2.conf.ext" <<CONF
introspection_mode = post
introspection_url = $introspection_url
force_introspection = yes
username_attribute = sub
username_format = %n
active_attribute = active
active_value = true
CONF
umask 022
[ "$(id -u)" = 0 ] && chown dovecot "$run/oauth2.conf.ext"

cat > "$run/dovecot.conf" <<CONF
# Written by infra/dovecot/setup.sh for one test run; not the system configuration.
instance_name = authbridge-test-$port
base_dir = $run/base
state_dir = $run/state
log_path = $run/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = xoauth2 oauthbearer
auth_verbose = yes
first_valid_uid = 1
default_internal_user = $internal_user
default_internal_group = $(id -gn "$internal_user")
default_login_user = $login_user
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $run/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$run/mail/%n
}
CONF

# 4. Start it in the foreground (our child, so its process id is Dovecot's) and wait for IMAP.
: > "$run/dovecot.log"
setsid /usr/sbin/dovecot -F -c "$run/dovecot.conf" > "$run/dovecot.out" 2>&1 < /dev/null &
echo $! >> "$run/pids"
for _ in $(seq 1 100); do
    if python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); sys.exit(0 if s.recv(100).startswith(b"* OK") else 1)' "$port" 2>/dev/null; then
        {
            printf 'AUTHBRIDGE_TEST_IMAP=%q\n' "127.0.0.1:$port"
            printf 'AUTHBRIDGE_TEST_IMAP_RUN_DIR=%q\n' "$run"
        } | tee "$run/env"
        exit 0
    fi
    sleep 0.1
done
log "error: Dovecot did not start; its log follows"
cat "$run/dovecot.out" "$run/dovecot.log" >&2 || true
stop_servers "$run"
exit 1
