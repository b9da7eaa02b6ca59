#!/usr/bin/env bash
# The slow tier (`make test`) in two pytest processes side by side: the tests that read
# the demo's graded course (marked demo_course in tests/conftest.py; it grades two
# notebooks at a time) in one, every other slow test in the other, so that neither core
# waits while the other grades. Each runs in a temporary folder of its own: the tests
# check that grading leaves no scratch folder behind, which one process could not tell
# from the other's. A half that fails keeps its folder, with its graded courses under
# pytest-of-*/, and says where. Its lines are prefixed [demo] or [rest].
# Usage: tools/slow-tier.sh [PYTEST ARGS...]
set -uo pipefail
half() {  # name, marker expression, pytest arguments
    local name="$1" marks="$2" tmp
    shift 2
    tmp="$(mktemp -d "/tmp/cnn-course-slow-$name.XXXXXX")"
    chmod 1777 "$tmp"  # as /tmp: the sandbox's and the exchange's users make folders here
    TMPDIR="$tmp" pytest -m "slow and not student_setup and $marks" "$@"
    local status=$?
    if [ "$status" = 0 ] || [ "$status" = 5 ]; then  # 5: -k left this half nothing to run
        rm -rf "$tmp" 2>/dev/null
    else
        echo "the slow tier's $name half failed; its courses are kept in $tmp"
        return 1
    fi
}
half demo "demo_course" "$@" 2>&1 | sed -u 's/^/[demo] /' &
demo=$!
half rest "not demo_course" "$@" 2>&1 | sed -u 's/^/[rest] /' &
rest=$!
status=0
wait "$demo" || status=1
wait "$rest" || status=1
exit "$status"
