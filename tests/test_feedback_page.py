"""Does the feedback page show the judge's whole report, however long its lines?

The page is built as nbgrader's ``generate_feedback`` builds it, with the
course's own ``nbgrader_config.py`` (template, preprocessors), but from one
graded test cell in memory: no gradebook, no nbgrader run. What a browser
makes of it is the slow tier's (``test_hostile.py`` opens real pages).
"""

from __future__ import annotations

import html
import re

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from autograder.assignments import REPO_ROOT
from autograder.sandbox.execute import REPORT_PRE_STYLE, apply_verdict

LONG_HINT = (
    "hint     힌트: to_binary_labels(Y_train)과 binary crossentropy로 모든 에포크 동안 "
    "학습하세요 / train on to_binary_labels(Y_train) with binary crossentropy, "
    + "for all the epochs, " * 12
    + "path/" * 60  # one long word, which only overflow-wrap can break
)
REPORT = "\n".join(
    ["[binary_accuracy] 1 / 3 점 points", "  ✗ 0/1  hold-out accuracy ≥ 0.65", " " * 8 + LONG_HINT]
)


def graded_test_cell(report: str) -> NotebookNode:
    """A test cell as the autograder leaves it: the judge's report, and the score."""
    cell = new_code_cell(
        'grade("06_binary_crossentropy", "binary_accuracy", globals())',
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "test_binary_accuracy",
                "locked": True,
                "points": 3,
                "schema_version": 3,
                "solution": False,
                "task": False,
                "score": 1.0,  # what nbgrader's GetGrades writes from the gradebook
            }
        },
    )
    verdict = {"cell": "binary_accuracy", "earned": 1.0, "checks": [], "report": report}
    apply_verdict(cell, {**verdict, "complete": True})
    return cell


def feedback_page(nb: NotebookNode) -> str:
    """The HTML nbgrader's generate_feedback writes for ``nb`` under the course's config."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT)).load_config()
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    for preprocessor in converter.preprocessors:
        if not str(preprocessor).endswith("GetGrades"):  # it reads the gradebook
            exporter.register_preprocessor(preprocessor)
    grades = {"notebook": "06_binary_crossentropy", "score": 1.0, "max_score": 3.0}
    page, _ = exporter.from_notebook_node(nb, resources={"nbgrader": {**grades, "late_penalty": 0}})
    return page


def test_long_report_lines_wrap_inside_the_box_of_the_feedback_page():
    page = feedback_page(new_notebook(cells=[graded_test_cell(REPORT)]))
    assert html.escape(LONG_HINT) in page  # the whole line, never cut
    rule = re.search(r"div\.cnn-report pre\s*\{([^}]*)\}", page)
    assert rule, "the feedback template's style for the report is missing"
    declarations = dict(
        (part.strip() for part in declaration.split(":", 1))
        for declaration in rule[1].split(";")
        if declaration.strip()
    )
    assert declarations["white-space"] == "pre-wrap"
    assert declarations["overflow-wrap"] == "anywhere"


def test_the_report_wraps_its_lines_wherever_it_is_shown():
    """The page's sanitizer drops inline styles (hence its style sheet); other views keep them."""
    cell = graded_test_cell(REPORT)
    box = cell.outputs[0].data["text/html"]
    assert box.startswith('<div class="cnn-report">')
    assert f'<pre style="{REPORT_PRE_STYLE}">{html.escape(REPORT)}</pre>' in box
    assert {"white-space:pre-wrap", "overflow-wrap:anywhere"} <= set(REPORT_PRE_STYLE.split(";"))


def test_a_students_markdown_keeps_its_prose_and_loses_its_script():
    """nbgrader's feedback template renders Markdown unsanitised: the course's filter cleans it."""
    markdown = new_markdown_cell(
        "# 제목 / Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    )
    page = feedback_page(new_notebook(cells=[markdown, graded_test_cell(REPORT)]))
    assert "<h1" in page and "Title" in page
    assert "<th>a</th>" in page and "<td>2</td>" in page  # tables survive
    assert "<script>document.title" not in page and "onerror" not in page
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in page  # shown, as text
