"""A kernel that tries to reach outside its own graded folder: links, special files, the disk.

Before the kernel had a folder of its own in memory, the first of these
turned nbgrader into its accomplice: the graded notebook, written by
nbgrader outside the sandbox, went through the student's link onto the
course's ``nbgrader_config.py``, and the next notebook was graded without a
sandbox. Each entry here runs with the reference answers, so it must score
full marks, and the test checks that no course file changed and that the
students graded after it were still judged in the sandbox.
"""

from __future__ import annotations

from tests.hostile.base import A01, A02, A03, OFF_THE_LIST, Hostile, answered, ref

# Replace everything in the kernel's folder by links to the course's files: a grader that
# wrote the graded notebook where the kernel ran would write through the first link.
LINK_EVERYTHING = """
import os

for name in os.listdir("."):
    try:
        os.remove(name)
    except OSError:
        pass
targets = {
    "01_output_size.ipynb": "../../../nbgrader_config.py",
    "solutions": "../../../solutions",
    "gradebook.db": "../../../gradebook.db",
    "everything": "/",
}
for name, target in targets.items():
    os.symlink(target, name)
print("links made:", sorted(os.listdir(".")))
"""

SPECIAL_FILES = """
import os
import socket

made, refused = [], []
attempts = {
    "named pipe": lambda: os.mkfifo("pipe"),
    "named pipe in /tmp": lambda: os.mkfifo("/tmp/pipe"),
    "socket": lambda: socket.socket(socket.AF_UNIX).bind("sock"),
    "device": lambda: os.mknod("disk", 0o600 | 0o060000, os.makedev(8, 0)),
    "hard link to a system file": lambda: os.link("/etc/passwd", "passwd"),
    "long name": lambda: open("n" * 255, "w").close(),
    "deep tree": lambda: os.makedirs("/".join(["d"] * 200)),
}
for what, attempt in attempts.items():
    try:
        attempt()
        made.append(what)
    except OSError:
        refused.append(what)
print("special files made:", made, "refused:", refused)
"""

FILL_THE_DISK = """
import os

written = 0
try:
    for n in range(3):  # three files of 1 GiB, each the largest the limits allow
        with open(f"big{n}.bin", "wb") as handle:
            for _ in range(1024):
                handle.write(b"x" * 2**20)
                written += 1
except OSError as error:
    print(f"the disk was full after {written} MB ({error.strerror})")
"""

ENTRIES = [
    Hostile(
        "link_the_folder_to_the_course",
        A01,
        answered(same_padding=ref(A01, "same_padding") + LINK_EVERYTHING),
        reason="links made",
    ),
    Hostile(
        "special_files",
        A02,
        answered(zero_pad=ref(A02, "zero_pad") + SPECIAL_FILES),
        reason="special files made",
        fails=OFF_THE_LIST,
    ),
    Hostile(
        "fill_the_disk",
        A03,
        answered(one_hot=ref(A03, "one_hot") + FILL_THE_DISK),
        reason="the disk was full after",
    ),
]
