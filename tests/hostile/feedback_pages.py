"""A notebook whose outputs, Markdown and cell tags are scripts, for the page students and TAs open.

nbconvert renders a student's HTML and JavaScript outputs, Markdown and cell
tags as they are unless told otherwise: unsanitised, this page would run the
student's script in the browser of whoever opened it.
``test_hostile.py`` opens the page in a real headless Chromium and checks
that nothing ran and nothing was fetched, while the judge's report shows.
"""

from __future__ import annotations

from collections.abc import Callable

from nbformat import NotebookNode

from autograder.course import samples
from tests.hostile.base import A03, Hostile, cell_index, ref

# No comma: nbformat refuses a tag with one, and the tag must reach the page.
MARK = "document.documentElement.dataset.pwned='yes'"

DISPLAYS = """
from IPython.display import HTML, SVG, Javascript, display

MARK = "{mark}"
display(HTML(
    f"<script>{{MARK}}</script><img src=x onerror=\\"{{MARK}}\\">"
    "<img src='http://127.0.0.1:{port}/leak'><b style='color:red'>html output</b>"
))
display(Javascript(MARK))
SVG_NS = "http://www.w3.org/2000/svg"
display(SVG(f'<svg xmlns="{{SVG_NS}}" onload="{{MARK}}"><script>{{MARK}}</script></svg>'))
"""

MARKDOWN = f'\n\n<script>{MARK}</script><img src=x onerror="{MARK}">\n'
TAG = f'x"><img src=x onerror="{MARK}">'


def scripts_everywhere() -> Callable[[Hostile, int], NotebookNode]:
    def build(entry: Hostile, port: int) -> NotebookNode:
        displays = DISPLAYS.format(mark=MARK.replace('"', '\\"'), port=port)
        nb = samples.submission(A03, {"one_hot": ref(A03, "one_hot") + displays})
        markdown = next(c for c in nb.cells if c.cell_type == "markdown")
        markdown.source += MARKDOWN
        nb.cells[cell_index(nb, "one_hot")].metadata["tags"] = [TAG]
        return nb

    return build


ENTRIES = [
    Hostile("scripts_in_the_feedback", A03, scripts_everywhere(), reason="[one_hot] 5 / 5"),
]
