#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL server, for the gradebook-on-PostgreSQL
# test: start it from Debian's packages (installed when run as root), export its URL
# in CNN_GRADER_TEST_POSTGRES, run the command, stop the server. Without PostgreSQL
# and not root, the command runs alone and that one test says why it skipped.
# Usage: tools/with-postgres.sh COMMAND ...
set -euo pipefail
server_bin() {  # the server's programs, where Debian's postgresql package puts them
    local bin
    bin="$(pg_config --bindir 2>/dev/null)" && [ -x "$bin/initdb" ] && echo "$bin"
}
if ! server_bin >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing postgresql (Debian package) for the PostgreSQL gradebook test"
    apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 || {
        apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql >/dev/null
    }
fi
if ! server_bin >/dev/null; then
    echo "no PostgreSQL server here (sudo apt-get install postgresql): its gradebook test will skip"
    exec "$@"
fi
pg_bin="$(server_bin)"
pg_dir="$(mktemp -d /tmp/cnn-grader-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pg_as=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses root: run the server as Debian's postgres user
    chown postgres: "$pg_dir"
    pg_as=(runuser -u postgres -- env -C "$pg_dir")  # a private clone is not its to enter
fi
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U grader >/dev/null
"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
pg_stop() {
    "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null || true
    rm -rf "$pg_dir"
}
trap pg_stop EXIT
export CNN_GRADER_TEST_POSTGRES="postgresql://grader@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') for the tests at $CNN_GRADER_TEST_POSTGRES"
"$@"
