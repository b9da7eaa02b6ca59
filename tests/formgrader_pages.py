"""A hostile submission for the formgrader's page, and what must stay inert in it (test data).

The formgrader shows a submission on the Jupyter server's own origin, beside
the TA's grading form, so everything a student controls is tried there:
Markdown's raw HTML (scripts, event handlers, SVG, an iframe's ``srcdoc``,
``javascript:`` and same-origin links, a refresh to a file of the
submission's, an element named like the form's score box), raw cells,
outputs of every kind, cell tags and pictures beside the notebook. Each
script, if it ever ran, would set :data:`MARK` on the page; each load from
elsewhere would reach the loopback server the test runs.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course import samples
from tests.hostile.base import A03, cell_index, ref
from tests.hostile.feedback_pages import DISPLAYS, MARK, TAG

MARKDOWN = """
## test_one_hot

<script>{mark}</script>
<img src=x onerror="{mark}">
<svg onload="{mark}"><circle r="5"/></svg>
<details open ontoggle="{mark}">details</details>
<iframe srcdoc="<script>parent.{mark}</script>"></iframe>
<math><mtext><table><mglyph><style><img src=x onerror="{mark}"></style></mglyph></table></mtext>
</math>
<meta http-equiv="refresh" content="0;url=evil.html">
<base href="http://127.0.0.1:{port}/">
<link rel="stylesheet" href="http://127.0.0.1:{port}/leak.css">
<span id="test_one_hot" name="formgrader">clobber</span>

[run me](javascript:{mark}) · [my plot page](evil.html) · [kernels](/api/kernels) · [web](https://example.org/)

![my plot](plot.png) ![a drawing](evil.svg) ![far](../../../../logout.png) ![remote](http://127.0.0.1:{port}/leak.png)
"""

RAW = '<script>{mark}</script><img src=x onerror="{mark}">'

# Mime bundles the student's code displays as they are: a PNG that is no base64 but an
# attribute's escape, Markdown and SVG outputs, a link to the submission's page.
RAW_DISPLAYS = """
display({{
    "text/html": "<a href='evil.html'>open</a><script>{mark}</script>",
    "text/markdown": "<img src=x onerror=\\"{mark}\\">",
    "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\\"{mark}\\"/>",
    "image/png": "iVBORw0KGgo=\\" onerror=\\"{mark}",
}}, raw=True)
"""

# A 1x1 PNG: a picture handed in beside the notebook, which the TA must still see.
PLOT_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
FILES = {
    "evil.html": f"<script>{MARK}</script>",
    "evil.svg": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{MARK}"/>',
}


def hostile_submission(port: int) -> NotebookNode:
    """03's reference answers, with scripts in Markdown, a raw cell, outputs and tags."""
    displays = DISPLAYS.format(mark=MARK.replace('"', '\\"'), port=port)
    raw_displays = RAW_DISPLAYS.format(mark=MARK)
    nb = samples.submission(A03, {"one_hot": ref(A03, "one_hot") + displays + raw_displays})
    answer = cell_index(nb, "one_hot")
    nb.cells[answer].metadata["tags"] = [TAG]
    markdown = nbformat.v4.new_markdown_cell(MARKDOWN.format(mark=MARK, port=port))
    raw = nbformat.v4.new_raw_cell(RAW.format(mark=MARK))
    for cell in (markdown, raw):
        del cell["id"]  # the stub is nbformat 4.4, whose cells have none
        nb.cells.insert(answer, cell)
    return nb


def hand_in_files(folder: Path) -> None:
    """The files a hostile student hands in beside the notebook."""
    for name, text in FILES.items():
        (folder / name).write_text(text)
    (folder / "plot.png").write_bytes(PLOT_PNG)
