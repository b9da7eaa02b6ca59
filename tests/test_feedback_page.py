"""What does the feedback page show: the judge's report as the grader stored it, the
notebook's mathematics, no empty comment and no grader path, and nothing that runs?

The page is built as nbgrader's ``generate_feedback`` builds it, with the
course's own ``nbgrader_config.py`` (template, preprocessors), but from
notebooks in memory: no gradebook, no nbgrader run. What a browser makes of
real pages is the slow tier's, at the end of this module and in
``test_hostile.py``.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from autograder import notebooks
from autograder.assignments import REPO_ROOT, release_path
from autograder.course.feedback import PAGE_OUTPUT_BUDGET
from autograder.course.sanitise import sanitise_html
from autograder.sandbox.execute import (
    REPORT_HEADING,
    REPORT_PRE_STYLE,
    SandboxedExecute,
    apply_verdict,
)
from autograder.verdicts import METADATA_KEY, CellVerdict
from tests.hostile.late_rewrites import ENLARGING
from tests.test_hostile import headless

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
    apply_verdict(
        cell, CellVerdict(0, "06_binary_crossentropy", "binary_accuracy", True, 1.0, report)
    )
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
    assert "document.title" not in page and "onerror" not in page  # the script goes whole


FORGED_BOX = (
    '<div class="cnn-report"><b>grader\'s report</b><pre>FORGED [one_hot] 5 / 5</pre></div>'
)


def forged_report_output() -> NotebookNode:
    """An output dressed as the judge's report: its HTML, and the tag it once carried."""
    return new_output(
        "display_data",
        data={"text/html": FORGED_BOX, "text/plain": "FORGED"},
        metadata={METADATA_KEY: "report"},
    )


def test_the_report_box_is_rebuilt_from_the_stored_verdict_not_read_from_the_outputs():
    graded = graded_test_cell(REPORT)
    graded.outputs = [forged_report_output(), *graded.outputs[1:]]  # whatever got there
    plain = new_code_cell("x = 1", outputs=[forged_report_output()])
    page = feedback_page(new_notebook(cells=[plain, graded]))
    assert page.count('<div class="cnn-report">') == 1  # the judge's, in the test cell
    assert html.escape(REPORT).split("\n")[0] in page
    assert "FORGED [one_hot]" not in page


def test_a_test_cell_without_a_complete_verdict_shows_no_report_box():
    cell = graded_test_cell(REPORT)
    del cell.metadata[METADATA_KEY]  # as when the checks never ran
    page = feedback_page(new_notebook(cells=[cell]))
    assert '<div class="cnn-report">' not in page
    assert f"<pre>{REPORT_HEADING}" in page  # its text is still text


def with_scores(nb: NotebookNode, comment: str | None = None) -> NotebookNode:
    """A released notebook as GetGrades leaves it: full scores, and a comment on answers."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["score"] = meta["points"]
        if meta.get("solution") and comment is not None:
            meta["comment"] = comment
    return nb


def test_the_notebooks_mathematics_is_mathml_and_no_script_loads_it():
    page = feedback_page(with_scores(notebooks.read(release_path("01_output_size"))))
    assert page.count("<math") >= 10
    assert "\\lfloor" not in page and "$O =" not in page  # no formula left as written
    assert "<script" not in page  # nbgrader's MathJax loader is gone, and nothing else came
    fraction = re.search(r"<math display=\"block\">.*?</math>", page, re.DOTALL)
    assert fraction and "<mfrac>" in fraction[0]


def test_formulas_in_markdown_cannot_carry_links_styles_or_scripts():
    markdown = new_markdown_cell(
        r"$\href{javascript:alert(1)}{x}$ $\style{color:red}{y}$ $\text{<img src=x onerror=1>}$"
        "\n\n`$kept as code$`"
    )
    page = feedback_page(new_notebook(cells=[markdown]))
    assert 'href="javascript:' not in page and "color:red" not in page and "onerror" not in page
    assert "<code>$kept as code$</code>" in page


def test_no_empty_comment_box_and_real_comments_still_show():
    released = notebooks.read(release_path("03_one_hot"))
    assert "Comments:" not in feedback_page(with_scores(released, "No response."))
    assert "Comments:" not in feedback_page(with_scores(released, " "))
    commented = feedback_page(with_scores(released, "좋은 풀이 / nice work"))
    assert "Comments:</b>" in commented and "nice work" in commented


def test_no_grader_path_shows_on_the_page():
    view = Path.home() / ".cache/cnn-course/grading-views/view-9672476b9aa381d0/PetImages"
    judge = "/tmp/cnn-judge-w9_b4sw7/handout/petimages-check-cb1d5v2p/NoSuchFolder"
    library = f"{sys.prefix}/lib/python3.11/site-packages/keras/src/models.py"
    printed = new_output("stream", name="stdout", text=f"PetImages: {view} ['Cat', 'Dog']\n")
    error = new_output(
        "error", ename="FileNotFoundError", evalue=f"{view}/Cat/1.jpg",
        traceback=[
            f"File {library}:12",
            f"File {REPO_ROOT}/autograder/__init__.py:3",
            f"\x1b[36mFile \x1b[39m\x1b[32m{library}:62\x1b[39m, in Adam.__init__",
        ],
    )  # fmt: skip
    cell = graded_test_cell(f"expected load_pet_images('{judge}') to raise")
    page = feedback_page(new_notebook(cells=[new_code_cell("x", outputs=[printed, error]), cell]))
    for internal in (str(Path.home()), "grading-views", "cnn-judge", sys.prefix, str(REPO_ROOT)):
        assert internal not in page
    assert "PetImages: $CNN_COURSE_DATA/PetImages" in page
    assert "load_pet_images('&lt;grader&gt;/petimages-check-" in page
    assert "&lt;python&gt;/lib/python3.11/site-packages/keras" in page


def test_a_page_shows_at_most_its_budget_of_outputs():
    picture = "iVBORw0KGgo" + "A" * 1_000_000
    cells = [
        new_code_cell("show()", outputs=[new_output("display_data", data={"image/png": picture})])
        for _ in range(PAGE_OUTPUT_BUDGET // 1_000_000 + 3)
    ]
    page = feedback_page(new_notebook(cells=[*cells, graded_test_cell(REPORT)]))
    assert len(page) < PAGE_OUTPUT_BUDGET + 1_000_000
    assert "the page's output limit" in page and html.escape(LONG_HINT) in page


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("<p onclick='x()'>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ("<svg onload=x()><circle/></svg><style>p{}</style>", ""),
        ('<a href="javascript:alert(1)">a</a>', '<a rel="noopener noreferrer">a</a>'),
        ('<img src="data:image/png;base64,AA" onerror="x()">',
         '<img src="data:image/png;base64,AA">'),
        ('<math display="block"><mi href="javascript:x()" style="c">x</mi></math>',
         '<math display="block"><mi>x</mi></math>'),
        ("<table><tr><th align='left'>a</th></tr></table>",
         '<table><tbody><tr><th align="left">a</th></tr></tbody></table>'),
    ],
)  # fmt: skip
def test_the_sanitiser_keeps_prose_tables_and_maths_and_nothing_that_runs(given, kept):
    assert sanitise_html(given) == kept


# --- The slow tier: the pages of the graded course, as nbgrader wrote them -------------

GRADER_PATHS = ("grading-views", "cnn-judge-", "cnn-kernel-", str(Path.home()) + "/", sys.prefix)


def grader_paths_on(page: Path) -> list[str]:
    """The grader-internal paths a page shows (none, it should be)."""
    text = page.read_text()
    return [path for path in GRADER_PATHS if path in text]


@pytest.mark.slow
def test_no_page_of_the_graded_course_shows_a_grader_path_or_an_empty_comment(graded_course):
    pages = sorted((graded_course.course.root / "feedback").rglob("*.html"))
    assert len(pages) > 20
    assert {page.name: grader_paths_on(page) for page in pages if grader_paths_on(page)} == {}
    assert [page.name for page in pages if "No response." in page.read_text()] == []
    stub = graded_course.course.feedback_path("untouched-stub", "05_petimages_loading")
    assert "$CNN_COURSE_DATA/PetImages" in stub.read_text()  # what its self-check printed


@pytest.mark.slow
@pytest.mark.parametrize("student", ENLARGING)
def test_outputs_enlarged_by_updates_or_pictures_leave_a_small_notebook_and_page(
    graded_course, student
):
    course, limit = graded_course.course, SandboxedExecute.max_notebook_output_characters
    assert course.graded_path(student, "03_one_hot").stat().st_size < limit.default_value + 500_000
    assert course.feedback_path(student, "03_one_hot").stat().st_size < PAGE_OUTPUT_BUDGET + 500_000


@pytest.mark.slow
def test_the_page_shows_the_notebooks_mathematics_in_chromium(graded_course, tmp_path):
    page = graded_course.course.feedback_path("reference", "01_output_size")
    dom = headless(page, "--dump-dom").stdout
    assert dom.count("<math") >= 10 and "\\lfloor" not in dom and "<mfrac>" in dom
    shot = tmp_path / "maths.png"
    headless(page, f"--screenshot={shot}", "--window-size=1100,1400")
    assert shot.stat().st_size > 50_000
