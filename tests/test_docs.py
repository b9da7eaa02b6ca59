"""Does the documentation read as people read it: the README on a screen, the site offline?

The site is built the way ``make docs`` builds it, strictly, then served on the
loopback and opened in Debian's Chromium: the grading machines have no internet,
so a page that fetches a font or a script from elsewhere would not read the same
there, and Korean must show as text, not boxes.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from autograder.assignments import REPO_ROOT
from tests.browser import CHROMIUM, CHROMIUM_FLAGS

README = REPO_ROOT / "README.md"
README_LINES = 150  # two screens: what it is, install, the commands, a course, the docs
FIRST_SCREEN = 25
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# ---- the README ---------------------------------------------------------------------------


def readme_links() -> list[str]:
    """The README's links that point into the repository (not to the web or an anchor)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    return [t for t in targets if not re.match(r"[a-z]+:|#", t)]


def test_the_readme_fits_on_two_screens():
    assert len(README.read_text().splitlines()) <= README_LINES


def test_the_readmes_first_screen_says_what_it_is_and_how_to_run_it():
    first = "\n".join(README.read_text().splitlines()[:FIRST_SCREEN])
    assert "nbgrader" in first and "make demo" in first and "make test" in first
    assert HANGUL.search(first), "the first screen speaks to Korean students too"


def test_every_link_of_the_readme_reaches_a_file_of_the_repository():
    links = readme_links()
    assert any(link.startswith("docs/") for link in links), "the README points into the docs"
    missing = [link for link in links if not (REPO_ROOT / link.split("#")[0]).exists()]
    assert missing == []


# ---- the site -----------------------------------------------------------------------------


def build_site(into: Path) -> subprocess.CompletedProcess[str]:
    """``make docs``'s build, into another folder."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(into)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built strictly."""
    pytest.importorskip("mkdocs", reason="needs the docs extra (make installs it)")
    folder = tmp_path_factory.mktemp("site")
    built = build_site(folder)
    assert built.returncode == 0, built.stdout + built.stderr
    return folder


def test_a_broken_link_fails_the_build(tmp_path):
    """A check that cannot fail is a defect: the strict build refuses a page with a dead link."""
    pytest.importorskip("mkdocs", reason="needs the docs extra (make installs it)")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](missing.md)\n")
    (tmp_path / "mkdocs.yml").write_text(
        f"INHERIT: {REPO_ROOT / 'mkdocs.yml'}\ndocs_dir: docs\nnav:\n  - Home: index.md\n"
    )
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
        cwd=tmp_path,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert built.returncode != 0 and "missing.md" in built.stdout + built.stderr


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing for each request."""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on a loopback port of the system's choosing; its origin."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@dataclass
class Browsed:
    """A browser page, and every address it asked for, on this server or elsewhere."""

    page: Any
    origin: str
    shots: Path
    requests: list[str] = field(default_factory=list)

    def elsewhere(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(f"{self.origin}/")]

    def open(self, path: str) -> None:
        self.page.goto(f"{self.origin}/{path}")
        self.page.wait_for_load_state("networkidle")

    def screenshot(self, name: str) -> None:
        """A picture of what the page shows, as a person sees it."""
        self.page.screenshot(path=self.shots / f"{name}.png")


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (.[dev] extra)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each page's picture goes, for a person to look at (printed with -s)."""
    folder = tmp_path_factory.mktemp("docs-screenshots")
    print(f"\ndocumentation screenshots: {folder}")
    return folder


@pytest.fixture
def browsed(browser: Any, served: str, shots: Path) -> Iterator[Browsed]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = Browsed(page, served, shots)
    context.on("request", lambda request: watched.requests.append(request.url))
    # Anything for elsewhere is recorded above and then refused: no machine here may
    # depend on the internet, and a test must not reach it either.
    context.route(re.compile(r"^(?!" + re.escape(served) + r"/)"), lambda route: route.abort())
    yield watched
    context.close()


def fonts_drawing(page: Any, selector: str) -> dict[str, int]:
    """The fonts the browser drew an element's text with, and how many glyphs each drew."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def test_the_students_page_shows_korean_as_text_and_fetches_nothing_elsewhere(browsed):
    browsed.open("students-ko.html")
    heading = browsed.page.locator("article h1")
    assert heading.inner_text().strip().startswith("학생 안내")
    browsed.screenshot("students-ko")
    drawn = fonts_drawing(browsed.page, "article h1")
    korean = {name: glyphs for name, glyphs in drawn.items() if "CJK" in name}
    assert korean and sum(korean.values()) >= len("학생안내"), drawn
    assert browsed.page.locator("article [lang=ko]").count() == 1
    assert browsed.elsewhere() == []


def test_the_security_page_lists_guarantees_and_what_is_not_guaranteed(browsed):
    browsed.open("security.html")
    text = browsed.page.locator("article").inner_text()
    assert text.count("Guarantee.") >= 10 and text.count("Not guaranteed.") >= 10
    browsed.screenshot("security")
    assert browsed.elsewhere() == []


def test_the_architecture_page_draws_its_diagram_from_this_server(browsed):
    browsed.open("architecture.html")
    diagram = browsed.page.locator("#architecture-diagram")
    diagram.scroll_into_view_if_needed()
    assert diagram.evaluate("image => image.complete && image.naturalWidth") > 0
    assert f"{browsed.origin}/architecture.svg" in browsed.requests
    browsed.screenshot("architecture")
    assert browsed.elsewhere() == []


def search(page: Any, query: str, seconds: float = 20) -> Any:
    """The first result of the site's search for ``query``, typed as a reader types it."""
    page.keyboard.press("/")  # Material's key for the search box
    box, results = page.locator("input.md-search__input"), page.locator(".md-search-result__item")
    deadline = time.monotonic() + seconds
    # Key by key, as Material reads the box; a query typed before the search index has
    # loaded is not run again, so it is typed again until results show.
    while results.count() == 0 and time.monotonic() < deadline:
        box.fill("")
        box.press_sequentially(query)
        page.wait_for_timeout(500)
    return results.first


def test_search_finds_korean_words_offline(browsed):
    browsed.open("index.html")
    first = search(browsed.page, "계산 예산")
    assert "students-ko.html" in (first.locator("a").first.get_attribute("href") or "")
    browsed.screenshot("search")
    assert browsed.elsewhere() == []
