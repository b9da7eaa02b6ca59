"""The mathematics of rendered Markdown as MathML, made when the page is written: no script.

nbconvert renders a Markdown cell's ``$...$``, ``$$...$$`` and
``\\begin{...}...\\end{...}`` as they were written, for MathJax to typeset
in the browser; the feedback page's Content-Security-Policy lets no script
run, so they would show raw. :func:`render_math` turns them into MathML
with `latex2mathml <https://pypi.org/project/latex2mathml/>`_, which browsers
draw themselves (Chromium since version 109, Firefox, Safari). Text inside
``code`` and ``pre`` stays as it is, as MathJax leaves it. The result still
goes through the page's sanitiser (:mod:`autograder.course.sanitise`):
latex2mathml copies ``\\text{...}`` and ``\\href`` into its output as they are.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from latex2mathml.converter import convert

MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$"
    r"|\$(?P<inline>[^$]+?)\$"
    r"|(?P<environment>\\begin\{(?P<name>[a-z]*\*?)\}.*?\\end\{(?P=name)\})",
    re.DOTALL,
)
VERBATIM_TAGS = frozenset({"code", "pre", "script", "style", "textarea"})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                       "meta", "source", "track", "wbr"})  # fmt: skip
# A student's Markdown is theirs: formulas past these bounds stay as written, so that
# no page takes long to write.
LONGEST_FORMULA = 2_000
MOST_FORMULAS = 500


def render_math(rendered: str) -> str:
    """Rendered Markdown with its formulas as MathML; a formula that cannot be converted
    (or is too long) stays as written."""
    parser = _MathParser()
    parser.feed(str(rendered))
    parser.close()
    return "".join(parser.parts)


def formula_to_mathml(latex: str, display: bool) -> str | None:
    """One formula as MathML, or None when latex2mathml cannot convert it."""
    if len(latex) > LONGEST_FORMULA:
        return None
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds for what it does not know
        return None


class _MathParser(HTMLParser):
    """Copies HTML as it comes, with the formulas in its text (outside code) as MathML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.verbatim = 0  # how many code-like elements the text is in
        self.formulas = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(self.get_starttag_text() or "")
        if tag in VERBATIM_TAGS:
            self.verbatim += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_TAGS:
            self.parts.append(f"</{tag}>")
        if tag in VERBATIM_TAGS and self.verbatim:
            self.verbatim -= 1

    def handle_data(self, data: str) -> None:
        if self.verbatim:
            self.parts.append(html.escape(data, quote=False))
        else:
            self.parts.append(self._with_math(data))

    def _with_math(self, text: str) -> str:
        pieces, end = [], 0
        for match in MATH.finditer(text):
            if self.formulas >= MOST_FORMULAS:
                break
            display = match["display"] is not None or match["environment"] is not None
            latex = match["display"] or match["inline"] or match["environment"] or ""
            mathml = formula_to_mathml(latex, display)
            if mathml is None:
                continue
            self.formulas += 1
            pieces += [html.escape(text[end : match.start()], quote=False), mathml]
            end = match.end()
        return "".join([*pieces, html.escape(text[end:], quote=False)])
