# Sourced by .ci/run: start a throwaway PostgreSQL server from Debian's
# packages for the gradebook-on-PostgreSQL test, export its URL in
# CNN_GRADER_TEST_POSTGRES, and stop it when the CI script exits.
if [ "$(id -u)" = 0 ]; then  # Debian's package; a no-op when it is already installed
    apt-get install -y --no-install-recommends postgresql >/dev/null
fi
pg_bin="$(pg_config --bindir)"
pg_dir="$(mktemp -d /tmp/cnn-grader-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pg_as=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses root: run the server as Debian's postgres user
    chown postgres: "$pg_dir"
    pg_as=(runuser -u postgres --)
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
