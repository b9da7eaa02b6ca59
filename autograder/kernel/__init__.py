"""What the student's kernel may import: serving the judge, the wire format, the probes.

The sandbox binds this folder (and the package's ``__init__``) into the
student's kernel and nothing else of the package: no check, no answer, no
grader code. Everything here imports only the standard library and NumPy,
and holds no secret.
"""
