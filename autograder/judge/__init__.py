"""The judge: runs a test cell's hidden checks with pytest and reports the verdict.

:mod:`~autograder.judge.runner` runs the checks on a submission and words the
report; :mod:`~autograder.judge.service` is the judge process that nbgrader
starts beside each sandboxed kernel (``python -m autograder.judge``), which
judges the student's objects over the wire.
"""
