"""``python -m autograder.judge``: the judge process of one notebook."""

from autograder.judge.service import main

main()
