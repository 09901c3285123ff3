# Shell helpers the test scripts share (infra/test.sh, infra/api-test.sh): source it after setting
# `venv` (the project's .venv) and before starting any server.
#
#   say TEXT              a step's heading
#   pids+=(PID)           a server to stop on exit (also when a step fails)
#   free_port             a free 127.0.0.1 port
#   wait_for URL NAME LOG until URL answers; else prints LOG and fails

say() { printf '\n==> %s\n' "$*"; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

py() { "$venv/bin/python" "$@"; }

free_port() {
    py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # url, name, log
    for _ in $(seq 1 150); do
        if py -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    echo "error: $2 did not start; its log follows" >&2
    cat "$3" >&2 || true
    return 1
}
