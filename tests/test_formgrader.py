"""Can a TA grade in nbgrader's formgrader under the course's configuration, safely?

The formgrader shows a submission on the Jupyter server's own origin, beside
the TA's grading form: a student's script there would act with the TA's
session (start a kernel, run code as the grader).

Quick tier: the formgrader's exporter, built as nbgrader's server extension
builds it from the course's ``nbgrader_config.py``, renders a hostile
notebook in memory. Slow tier: a real Jupyter server on a graded course,
driven by Playwright in Debian's Chromium as a TA would: a manual score and a
comment given in the form reach the gradebook, the export and the feedback
page, and a hostile submission runs nothing in the TA's page, where the same
payloads run when the page is not sanitised.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from bs4 import BeautifulSoup, Tag
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode

from autograder.assignments import REPO_ROOT
from autograder.course import formgrader, samples
from autograder.course.cli import main
from autograder.course.directory import Course, tool_environment
from autograder.sandbox.execute import apply_verdict
from autograder.verdicts import METADATA_KEY, CellVerdict
from tests.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import LoopbackServer, needs_data
from tests.formgrader_pages import MARK, hand_in_files, hostile_submission
from tests.hostile.base import A03, cell_index

# What nbgrader's SubmissionHandler hands the exporter besides the notebook.
FORM_RESOURCES = {
    "assignment_id": A03,
    "notebook_id": A03,
    "submission_id": "0123456789abcdef",
    "index": 0,
    "total": 1,
    "base_url": "",
    "student": "mallory",
    "last_name": None,
    "first_name": None,
    "notebook_path": f"autograded/mallory/{A03}/{A03}.ipynb",
}
ACTIVE_TAGS = ("script", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link",
               "style", "details")  # fmt: skip
REPORT = "[one_hot] 5 / 5 점 points\n  ✓ 1/1  <script>document.title='x'</script> shown as text"


def formgrader_exporter(course_root: Path) -> HTMLExporter:
    """The exporter nbgrader's formgrader renders submissions with, started in ``course_root``.

    As ``load_jupyter_server_extension`` builds it: the extension reads the
    working directory's ``nbgrader_config.py``, then ``HTMLExporter(config=...)``.
    """
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

    cwd = Path.cwd()
    os.chdir(course_root)
    try:
        extension = FormgradeExtension()
        extension.initialize([])
    finally:
        os.chdir(cwd)
    return HTMLExporter(config=extension.config)


def output(kind: str, **fields: Any) -> NotebookNode:
    return nbformat.from_dict({"output_type": kind, **fields})


def hostile_outputs() -> list[NotebookNode]:
    """Outputs a student's kernel could leave in an answer cell, each trying to run."""
    script = f'<script>{MARK}</script><img src=x onerror="{MARK}">'
    return [
        output("display_data", data={"text/html": script, "text/plain": "html"}, metadata={}),
        output("display_data", data={"application/javascript": MARK}, metadata={}),
        output("display_data", data={"image/svg+xml": f'<svg onload="{MARK}"/>'}, metadata={}),
        output("display_data", data={"image/png": f'AAAA" onerror="{MARK}'}, metadata={}),
        output("display_data", data={"text/html": script}, metadata={METADATA_KEY: "report"}),
        output(
            "display_data",
            data={"image/png": "iVBORw0KGgo=", "text/plain": "a picture"},
            metadata={"image/png": {"width": f'1" onerror="{MARK}'}},
        ),
        output("stream", name=f'stdout"><img src=x onerror="{MARK}">', text=script),
        output("error", ename=script, evalue=script, traceback=[script]),
    ]


def hostile_notebook() -> NotebookNode:
    """03's graded notebook as a hostile student could leave it, with a real report."""
    nb = hostile_submission(port=9)
    answer = nb.cells[cell_index(nb, "one_hot")]
    answer.outputs = hostile_outputs()
    test_cell = nb.cells[cell_index(nb, "test_one_hot")]
    apply_verdict(test_cell, CellVerdict(0, "03_one_hot", "one_hot", True, 5.0, REPORT))
    markdown = next(c for c in nb.cells if c.cell_type == "markdown")
    markdown.attachments = {
        "x.svg": {"image/svg+xml": f'<svg onload="{MARK}"/>'},
        "shot.png": {"image/png": "iVBORw0KGgo="},
    }
    markdown.source += "\n![attached](attachment:x.svg) ![pasted](attachment:shot.png)"
    sneaky = nbformat.v4.new_code_cell("1", metadata={"nbgrader": {"grade": True, "points": 1}})
    sneaky.metadata.nbgrader["grade_id"] = f'x"><img src=x onerror="{MARK}">'
    nb.cells.append(sneaky)
    return nb


def render_for_the_formgrader(tmp_path: Path, nb: NotebookNode) -> BeautifulSoup:
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    page, _ = formgrader_exporter(tmp_path).from_notebook_node(nb, resources=dict(FORM_RESOURCES))
    return BeautifulSoup(page, "html.parser")


def students_part(page: BeautifulSoup) -> Tag:
    """The notebook inside the grading form (with the form's score and comment boxes)."""
    container = page.find(id="notebook-container")
    assert isinstance(container, Tag), "the formgrader's page has no notebook in it"
    return container


def test_the_formgrader_renders_a_hostile_submission_with_every_script_inert(tmp_path):
    page = render_for_the_formgrader(tmp_path, hostile_notebook())
    notebook = students_part(page)
    assert notebook.find_all(list(ACTIVE_TAGS)) == []
    for element in notebook.find_all(True):
        assert not [name for name in element.attrs if name.startswith("on")], element
    for rendered in notebook.select(".text_cell_render, .output_subarea"):  # the student's
        for element in rendered.find_all(True):  # nothing that stands in for the form's boxes
            assert "id" not in element.attrs and "name" not in element.attrs, element
    links = [a["href"] for a in notebook.find_all("a", href=True)]
    assert links and all(re.match(r"https?://|#", href) for href in links), links
    pictures = {img.get("src", "") for img in notebook.find_all("img")}
    assert {src for src in pictures if not src.startswith("data:image/png;")} <= {"", "plot.png"}
    assert "onerror" not in " ".join(str(img) for img in notebook.find_all("img"))
    text = notebook.get_text()
    assert f"<script>{MARK}</script>" in text  # the attack is shown to the TA, as text
    assert 'http-equiv="refresh"' in text and "<iframe srcdoc=" in text


def test_the_ta_still_sees_the_notebook_and_the_grading_form(tmp_path):
    page = render_for_the_formgrader(tmp_path, hostile_notebook())
    notebook = students_part(page)
    assert "원-핫 인코딩" in notebook.get_text()  # Korean prose
    assert page.select("input.score#test_one_hot") and page.select("textarea#one_hot-comment")
    report = notebook.select_one("div.cnn-report")
    assert report is not None and "shown as text" in report.get_text()
    assert "<script>document.title='x'</script>" in report.get_text()
    assert notebook.select("img[src='plot.png']")  # a picture handed in beside the notebook
    assert notebook.select("img[src^='data:image/png;base64,iVBOR']")
    assert notebook.select("img[alt='pasted'][src='data:image/png;base64,iVBORw0KGgo=']")


def test_only_the_formgraders_own_scripts_may_run_in_its_page(tmp_path):
    page = render_for_the_formgrader(tmp_path, hostile_notebook())
    head = page.find("head")
    assert isinstance(head, Tag)
    policy = head.find(True)
    assert isinstance(policy, Tag) and policy.get("http-equiv") == "Content-Security-Policy"
    directives = dict(d.strip().split(" ", 1) for d in str(policy["content"]).split(";"))
    nonce = re.fullmatch(r"'nonce-([\w-]+)'.*", directives["script-src"])
    assert nonce and "'unsafe-inline'" not in directives["script-src"]
    assert directives["default-src"] == "'none'" and directives["img-src"] == "'self' data:"
    assert all(script.get("nonce") == nonce[1] for script in head.find_all("script"))
    nonced = [s for s in page.find_all("script") if s.get("nonce")]
    assert len(nonced) >= 10 and all(s.find_parent(id="notebook-container") is None for s in nonced)
    again = render_for_the_formgrader(tmp_path, hostile_notebook())
    assert again.find("script", nonce=nonce[1]) is None  # a nonce of its own for every page


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("[web](https://example.org/x)", 'href="https://example.org/x"'),
        ("[anchor](#top)", 'href="#top"'),
        ("[run](javascript:alert(1))", 'href="#harmful-link"'),  # mistune's own
        ("[page](evil.html)", None),
        ("[api](/api/kernels)", None),
        ("![p](plot.png)", 'src="plot.png"'),
        ("![p](figures/loss%20curve.jpg)", 'src="figures/loss%20curve.jpg"'),
        ("![p](data:image/png;base64,iVBORw0KGgo=)", 'src="data:image/png;base64,iVBORw0KGgo="'),
        ("![p](evil.svg)", None),
        ("![p](../up.png)", None),
        ("![p](%2e%2e/up.png)", None),
        ("![p](/logout.png)", None),
        ("![p](http://127.0.0.1:9/leak.png)", None),
    ],
)
def test_markdown_keeps_only_links_and_pictures_that_stay_inert(markdown, kept):
    html = formgrader.markdown_to_html(markdown)
    if kept:
        assert kept in html
    else:
        assert "href" not in html and "src" not in html, html


def test_a_web_link_opens_in_a_new_tab_without_the_formgraders_window():
    html = formgrader.markdown_to_html("[web](https://example.org/)")
    assert 'target="_blank"' in html and 'rel="noopener noreferrer"' in html


# ---- slow tier: a real Jupyter server, a real browser -------------------------------------

COMMENT = "좋은 풀이입니다. 경계 조건도 확인하세요 / good work, check the edge cases too"
MANUAL_SCORE = 4  # of test_one_hot's 5 points: the TA takes one off the judge's score


@dataclass
class Formgrader:
    """A graded course, a Jupyter server serving it and a browser to drive it."""

    course: Course
    url: str
    token: str
    browser: Any
    loopback: LoopbackServer
    shots: Path

    def new_page(self, *, log_in: bool = True) -> Watched:
        """A page in a browser context of its own, watched for anything a script does.

        Logged in, it shows the formgrader's first page, Manage Assignments.
        """
        page = self.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        watched = Watched(page)
        if log_in:
            page.goto(f"{self.url}/formgrader?token={self.token}")
        return watched


@dataclass
class Watched:
    """A page and what it did: dialogs, requests, errors, console messages."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("dialog", self._dialog)
        self.page.context.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def marks(self) -> list[Any]:
        """The mark of every frame: what a student's script sets when it runs."""
        return [
            frame.evaluate("() => document.documentElement.dataset.pwned")
            for frame in self.page.frames
        ]


@dataclass
class JupyterServer:
    """A Jupyter server process on a port of the system's choosing, and its token."""

    process: subprocess.Popen[bytes]
    token: str
    runtime: Path  # where the server says which port it took
    log: Path

    def wait_until_up(self) -> str:
        """The server's URL, once it answers."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the Jupyter server stopped:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                info = json.loads((self.runtime / f"jpserver-{self.process.pid}.json").read_text())
                url = f"http://127.0.0.1:{info['port']}"
                with urllib.request.urlopen(f"{url}/api/status?token={self.token}", timeout=2):
                    return url
            time.sleep(0.3)
        raise AssertionError(f"no Jupyter server after 120 s:\n{self.log.read_text()[-3000:]}")


@contextlib.contextmanager
def jupyter_server(root: Path, scratch: Path) -> Iterator[JupyterServer]:
    """A Jupyter server started in the course folder, as a TA starts one (not waited for)."""
    token, runtime, log = secrets.token_hex(16), scratch / "runtime", scratch / "jupyter.log"
    env = {
        **tool_environment(),
        "JUPYTER_CONFIG_DIR": str(scratch / "config"),  # no user configuration of this machine
        "JUPYTER_RUNTIME_DIR": str(runtime),
    }
    command = [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.port=0", f"--IdentityProvider.token={token}",
               "--ServerApp.open_browser=False", "--ServerApp.allow_root=True",
               f"--ServerApp.root_dir={root}"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=out)
    try:
        yield JupyterServer(process, token, runtime, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def formgrader_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formgrader]:
    """03 graded for an honest and a hostile student, a Jupyter server on it, Chromium."""
    if not CHROMIUM:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (.[dev] extra)")
    needs_data((A03,))
    scratch = tmp_path_factory.mktemp("formgrader")
    loopback = LoopbackServer()
    course = Course.create(scratch / "course", (A03,))
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Exchange.root = {str(scratch / 'exchange')!r}\n")
    (scratch / "exchange").mkdir()
    course.generate(A03)
    course.submit("ana", A03, samples.submission(A03))
    hand_in_files(course.submit("mallory", A03, hostile_submission(loopback.port)).parent)
    shots = tmp_path_factory.mktemp("formgrader-screenshots")
    print(f"\nformgrader screenshots: {shots}; Jupyter's log: {scratch / 'jupyter.log'}")
    with (
        jupyter_server(course.root, scratch) as server,  # it starts while the course is graded
        sync_api.sync_playwright() as playwright,
    ):
        graded = main(["autograde", A03, "--course", str(course.root), "--workers", "2"])
        assert graded == 0, "grading the formgrader's course failed"
        url = server.wait_until_up()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield Formgrader(course, url, server.token, browser, loopback, shots)
        browser.close()
    loopback.close()


def submission_id(course: Course, student: str) -> str:
    with course.gradebook() as gradebook:
        return gradebook.find_submission_notebook(A03, A03, student).id


def wait_for_the_form(page: Any) -> None:
    """Until nbgrader's form has loaded the submission's grades and comments."""
    page.wait_for_function(
        "() => window.formgrader && formgrader.loaded && formgrader.grades.loaded"
        " && formgrader.comments.loaded"
    )


def read_back(course: Course) -> tuple[float | None, str | None]:
    """The manual score of test_one_hot and the comment on one_hot, from the gradebook."""
    with course.gradebook() as gradebook:
        grade = gradebook.find_grade("test_one_hot", A03, A03, "ana")
        comment = gradebook.find_comment("one_hot", A03, A03, "ana")
        return grade.manual_score, comment.manual_comment


@pytest.mark.slow
def test_a_ta_grades_by_hand_and_finds_it_in_the_gradebook_export_and_feedback(
    formgrader_session,
):
    fg = formgrader_session
    watched = fg.new_page()
    page = watched.page
    page.locator("td.num-submissions a", has_text="2").wait_for()
    page.screenshot(path=fg.shots / "assignments.png")
    page.locator("td.num-submissions a").click()  # Manage Submissions of 03
    page.locator("tr", has_text="mallory").locator("td.score", has_text="7 / 7").wait_for()
    page.screenshot(path=fg.shots / "submissions.png")
    page.locator("tr", has_text="ana").locator("td.student-name a").click()
    page.locator("tbody td.name a").first.click()  # the student's notebook: the form
    wait_for_the_form(page)
    page.screenshot(path=fg.shots / "submission-before.png", full_page=True)

    score = page.locator("input.score#test_one_hot")
    score.fill(str(MANUAL_SCORE))
    score.press("Tab")  # nbgrader saves a score when it changes
    comment = page.locator("textarea#one_hot-comment")
    comment.fill(COMMENT)
    comment.press("Escape")  # and a comment when the TA leaves the box
    deadline = time.monotonic() + 20
    while read_back(fg.course) != (MANUAL_SCORE, COMMENT) and time.monotonic() < deadline:
        time.sleep(0.2)
    page.screenshot(path=fg.shots / "submission-graded.png", full_page=True)
    assert read_back(fg.course) == (MANUAL_SCORE, COMMENT)
    assert watched.errors == []  # the form's own scripts all ran (the policy let them)

    course = ["--course", str(fg.course.root)]
    with ThreadPoolExecutor(2) as pool:  # each an nbgrader command of its own
        commands = [["export", *course], ["feedback", A03, *course]]
        assert list(pool.map(main, commands)) == [0, 0]
    with (fg.course.root / "grades.csv").open() as exported:
        rows = {row["student_id"]: row for row in csv.DictReader(exported)}
    assert float(rows["ana"]["score"]) == 7 - (5 - MANUAL_SCORE)

    feedback = fg.course.feedback_path("ana", A03)
    text = BeautifulSoup(feedback.read_text(), "html.parser").get_text(" ")
    assert COMMENT in text and f"Score: {MANUAL_SCORE:.1f} / 5.0" in text
    page.goto(feedback.as_uri())
    page.get_by_text(COMMENT).scroll_into_view_if_needed()
    page.screenshot(path=fg.shots / "feedback.png")


@pytest.mark.slow
def test_nothing_of_a_hostile_submission_runs_in_the_tas_page(formgrader_session):
    fg = formgrader_session
    watched = fg.new_page()
    page = watched.page
    page.goto(f"{fg.url}/formgrader/submissions/{submission_id(fg.course, 'mallory')}/")
    page.wait_for_load_state("load")
    page.mouse.wheel(0, 20_000)
    for element in page.locator(".text_cell_render a, .text_cell_render img").all():
        if element.is_visible():
            element.hover()
    page.wait_for_timeout(1000)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=fg.shots / "hostile.png", full_page=True)

    assert watched.marks() == [None]  # one frame, where no script of the student's ran
    assert watched.dialogs == [] and watched.errors == []
    assert fg.loopback.connections == 0  # nothing was loaded from elsewhere
    elsewhere = [u for u in watched.requests if not u.startswith((fg.url, "data:"))]
    assert elsewhere == []
    assert not [url for url in watched.requests if re.search(r"evil|logout|leak", url)]
    assert page.url.endswith("/")  # still the submission: no refresh took the TA elsewhere
    shown = page.locator("#notebook-container").first.inner_text()
    assert f"<script>{MARK}</script>" in shown  # the attack was in the page, as text
    plot = page.locator("#notebook-container img[src='plot.png']").first
    assert plot.evaluate("img => img.naturalWidth") == 1  # the student's picture shows
    wait_for_the_form(page)  # and the TA can grade it


@pytest.mark.slow
def test_the_same_payloads_run_in_a_page_that_is_not_sanitised(formgrader_session):
    """The detector is live: nbconvert's plain HTML of the hostile notebook runs its scripts."""
    fg = formgrader_session
    graded = fg.course.graded_path("mallory", A03)
    plain, _ = HTMLExporter(template_name="basic").from_filename(str(graded))
    watched = fg.new_page(log_in=False)
    watched.page.route("**/*", lambda route: route.abort())  # no loads: the loopback stays quiet
    watched.page.set_content(plain)
    watched.page.wait_for_timeout(500)
    assert "yes" in watched.marks()
