"""Student kernels in an operating-system sandbox, judged from outside.

:mod:`~autograder.sandbox.command` builds the bubblewrap command line and its
limits; :mod:`~autograder.sandbox.processes` starts kernels (and their judge)
with it; :mod:`~autograder.sandbox.execute` is the nbgrader preprocessor that
runs a notebook that way and turns the judge's verdicts into scores;
:mod:`~autograder.sandbox.outputs` bounds what reaches the gradebook and the
feedback.
"""
