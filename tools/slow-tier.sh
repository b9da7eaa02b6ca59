#!/usr/bin/env bash
# The slow tier (`make test`) in two pytest processes side by side: the tests that read
# the demo's graded course (marked demo_course in tests/conftest.py; it grades two
# notebooks at a time) in one, every other slow test in the other, so that neither core
# waits while the other grades. Each runs in a temporary folder of its own, and in a
# control group of its own where one can be made (tests/conftest.py moves it): the tests
# check that grading leaves no scratch folder or control group behind, which one process
# could not tell from the other's. Its lines are prefixed [demo] or [rest]. A half that
# fails keeps its folder, with its graded courses under pytest-of-*/, and its summary is
# printed again at the very end, where the last lines of a CI log can show it.
# Usage: tools/slow-tier.sh [PYTEST ARGS...]
set -uo pipefail
half() {  # name, marker expression, pytest arguments
    local name="$1" marks="$2" tmp
    shift 2
    tmp="$(mktemp -d "/tmp/cnn-course-slow-$name.XXXXXX")"
    chmod 1777 "$tmp"  # as /tmp: the sandbox's and the exchange's users make folders here
    CNN_SLOW_TIER_HALF="$name" TMPDIR="$tmp" pytest -m "slow and not student_setup and $marks" "$@" 2>&1 |
        tee "$summaries/$name.log" | sed -u "s/^/[$name] /"
    local status=${PIPESTATUS[0]}
    if [ "$status" = 0 ] || [ "$status" = 5 ]; then  # 5: -k left this half nothing to run
        rm -rf "$tmp" 2>/dev/null
        rm -f "$summaries/$name.log"
    else
        echo "the slow tier's $name half failed; its courses are kept in $tmp" >>"$summaries/$name.log"
        return 1
    fi
}
started=$SECONDS
summaries="$(mktemp -d)"
half demo "demo_course" "$@" &
demo=$!
half rest "not demo_course" "$@" &
rest=$!
status=0
wait "$demo" || status=1
wait "$rest" || status=1
# Each half's control group (tests/conftest.py made it), once the last process it started
# has ended, and those of earlier runs that were killed, with any sandbox group their
# graders left inside; a group whose half is still running (another slow tier here) stays.
for _ in $(seq 100); do
    left=0
    while read -r group; do
        kill -0 "${group##*-}" 2>/dev/null && continue
        # A killed half's graders may have left their sandboxes' groups in it: the empty
        # ones go first (rmdir refuses a group that still holds a process).
        find "$group" -mindepth 1 -depth -type d -name 'cnn-sandbox-*' -exec rmdir {} + 2>/dev/null
        rmdir "$group" 2>/dev/null || left=1
    done < <(find /sys/fs/cgroup -maxdepth 6 -type d -name 'cnn-slow-tier-*' 2>/dev/null)
    [ "$left" = 0 ] && break
    sleep 0.1
done
for log in "$summaries"/*.log; do
    [ -e "$log" ] || continue
    name="$(basename "$log" .log)"
    echo "=== the slow tier's $name half failed; its summary again:"
    if grep -q 'short test summary info' "$log"; then
        sed -n '/short test summary info/,$p' "$log" | grep -v '^SKIPPED'
    else  # pytest stopped before its summary: its last words
        tail -n 15 "$log"
    fi | sed "s/^/[$name] /"
done
rm -rf "$summaries"
echo "slow tier: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
exit "$status"
