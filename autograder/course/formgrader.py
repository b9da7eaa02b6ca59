"""The formgrader's view of a submission: the student's notebook, with nothing of it able to run.

nbgrader's formgrader (a Jupyter server extension) shows a submission beside
the TA's grading form, rendered by an nbconvert ``HTMLExporter`` built from the
course's ``nbgrader_config.py``, in a page on the Jupyter server's own origin.
A script of the student's there would act with the TA's session: start a
kernel and run code as the grader. The course configures that exporter (the
feedback pages have one of their own, ``FeedbackExporter``):

* :class:`SanitizeSubmission` keeps, of every output, only text and PNG or
  JPEG pictures, and in test cells the judge's report as cleaned HTML; of cell
  metadata only nbgrader's, each value checked; of Markdown attachments only
  PNG, JPEG and GIF pictures; of the notebook's metadata only the kernel's
  language. Raw cells show as text.
* :func:`markdown2html` (the template's filter of that name) shows the raw
  HTML of a Markdown cell as text and cleans what Markdown makes of the rest
  with nh3: links only to web pages (in a new tab) and to anchors, pictures
  only ``data:`` ones or picture files handed in beside the notebook, no
  ``id`` or ``name`` that could stand in for the form's own elements.
* The template (``templates/cnn_formgrade``) puts a Content-Security-Policy
  first in the page, under which only the formgrader's own scripts run, by a
  nonce drawn for each page (:func:`with_policy`).

The TA still sees the code, text outputs, pictures, the judge's report and
the Markdown's prose, tables and code; mathematics shows as its TeX source.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
import secrets
from typing import Any
from urllib.parse import unquote

import nh3
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

from autograder.course.feedback import stored_verdict, with_verdict

TEMPLATE_NAME = "cnn_formgrade"  # nbgrader's "formgrade" template, with the policy added
TEMPLATE_FILE = "page.html.j2"
KEPT_MIMETYPES = ("text/plain", "image/png", "image/jpeg")
PICTURES = ("image/png", "image/jpeg", "image/gif")  # what a Markdown attachment may be

# nbgrader's own form puts a cell's grade id into attributes and element ids.
GRADE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
NBGRADER_FLAGS = ("grade", "solution", "locked", "task")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")

# What Markdown makes (its raw HTML is escaped first): prose, lists, tables, code.
MARKDOWN_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
MARKDOWN_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "td": {"style"},
    "th": {"style"},
}
LINK = re.compile(r"(?i)(https?://|mailto:|#)")
DATA_PICTURE = re.compile(r"(?i)data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*")
PICTURE_FILE = re.compile(r"(?i)\w[\w .-]*(/\w[\w .-]*)*\.(png|jpe?g|gif)")

# The formgrader's two inline handlers (show or hide the student's name): allowed by hash.
INLINE_HANDLERS = ("toggle_name(true);", "toggle_name(false);")


@pass_context
def markdown2html(context: Any, source: str) -> str:
    """The template's ``markdown2html``: a Markdown cell, with its cleaned attachments."""
    cell = context.get("cell") or {}
    return markdown_to_html(source, cell.get("attachments") or {})


def markdown_to_html(source: str, attachments: dict[str, Any] | None = None) -> str:
    """A Markdown cell as HTML: its raw HTML shown as text, the rest cleaned (nh3)."""
    renderer = _Renderer(
        escape=True,
        allow_harmful_protocols=False,
        exclude_anchor_links=True,
        attachments=attachments or {},
    )
    return clean_markdown_html(MarkdownWithMath(renderer=renderer).render(str(source)))


class _Renderer(IPythonRenderer):
    """nbconvert's Markdown renderer, where a missing attachment is its alt text, not an error."""

    def image(self, text: str, url: str, title: str | None = None) -> str:
        prefix = "attachment:"
        if url.startswith(prefix) and url[len(prefix) :] not in self.attachments:
            return html.escape(text)
        return str(super().image(text, url, title))


def clean_markdown_html(html: str) -> str:
    """Markdown's HTML with only inert tags, safe links and the submission's own pictures."""
    return nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes=MARKDOWN_ATTRIBUTES,
        attribute_filter=_kept_attribute,
        url_schemes={"http", "https", "mailto", "data"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def _kept_attribute(element: str, attribute: str, value: str) -> str | None:
    """The attribute's value, or None to drop it: links and pictures that stay inert.

    A link the page would resolve on the Jupyter server (``evil.html``,
    ``/api/...``) could open a file the student handed in, which nbgrader
    serves from that origin; only web pages and anchors are kept. A picture
    is ``data:`` PNG, JPEG or GIF, or such a file in the submission's folder.
    """
    if (element, attribute) == ("a", "href"):
        return value if LINK.match(value) else None
    if (element, attribute) == ("img", "src"):
        return value if DATA_PICTURE.fullmatch(value) or _submission_picture(value) else None
    return value


def _submission_picture(src: str) -> bool:
    """Whether ``src`` names a picture file inside the submission's folder."""
    path = unquote(src)
    return PICTURE_FILE.fullmatch(path) is not None and ".." not in path.split("/")


def with_policy(head: str) -> str:
    """The page's head, first its Content-Security-Policy, its scripts given the page's nonce.

    Only what nbgrader's template writes into the head passes here, never the
    notebook: a script of the student's in the body has no nonce and does not
    run, nor does an event handler (but the formgrader's own two, by hash).
    """
    nonce = secrets.token_urlsafe(18)
    handlers = " ".join(f"'sha256-{_digest(handler)}'" for handler in INLINE_HANDLERS)
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{nonce}' 'unsafe-hashes' {handlers}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
    return meta + re.sub(r"<script\b", f'<script nonce="{nonce}"', str(head))


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


class SanitizeSubmission(Preprocessor):
    """Strip a graded notebook of everything a browser could run, before the formgrader shows it."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        language = nb.metadata.get("language_info", {})
        name = language.get("name") if isinstance(language, dict) else None
        nb.metadata = NotebookNode(
            {"language_info": {"name": name}} if isinstance(name, str) and name.isalnum() else {}
        )
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        verdict = stored_verdict(cell)  # the grader's, in the test cell's metadata
        cell.metadata = NotebookNode(_kept_metadata(cell.get("metadata")))
        attachments = _pictures(cell.pop("attachments", None))
        if attachments and cell.cell_type == "markdown":
            cell.attachments = NotebookNode(attachments)
        if cell.cell_type == "raw":
            cell.cell_type, cell.source = "markdown", _as_code_block(str(cell.source))
        if cell.cell_type == "code":
            outputs = (_inert(output) for output in cell.get("outputs", []))
            cell.outputs = [output for output in outputs if output is not None]
            if verdict is not None:
                cell.outputs = with_verdict(cell.outputs, verdict)
        return cell, resources


def _kept_metadata(metadata: Any) -> dict[str, Any]:
    """Of a cell's metadata, nbgrader's: a well-formed grade id, its flags and its points."""
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    if not isinstance(meta, dict):
        return {}
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not GRADE_ID.fullmatch(grade_id):
        return {}
    kept: dict[str, Any] = {"grade_id": grade_id}
    kept.update({flag: meta[flag] for flag in NBGRADER_FLAGS if isinstance(meta.get(flag), bool)})
    points = meta.get("points")
    if isinstance(points, int | float) and not isinstance(points, bool) and math.isfinite(points):
        kept["points"] = points
    return {"nbgrader": kept}


def _pictures(attachments: Any) -> dict[str, Any]:
    """Of a Markdown cell's attachments, the PNG, JPEG and GIF pictures."""
    if not isinstance(attachments, dict):
        return {}
    pictures = {}
    for name, bundle in attachments.items():
        kept = {
            mimetype: data
            for mimetype, data in (bundle.items() if isinstance(bundle, dict) else [])
            if mimetype in PICTURES and isinstance(data, str) and BASE64.fullmatch(data)
        }
        if kept:
            pictures[name] = kept
    return pictures


def _as_code_block(text: str) -> str:
    """Markdown that shows ``text`` as it is, in a code block."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


def _inert(output: NotebookNode) -> NotebookNode | None:
    """The output with only text and pictures left, or None if nothing is left."""
    kind = output.get("output_type")
    if kind not in ("display_data", "execute_result"):
        return output if kind in ("stream", "error") else None  # text, which the page escapes
    data = output.get("data", {})
    data = data if isinstance(data, dict) else {}
    kept = {
        mimetype: value
        for mimetype, value in data.items()
        if mimetype in KEPT_MIMETYPES
        and isinstance(value, str)
        and (mimetype == "text/plain" or BASE64.fullmatch(value))
    }
    if not kept:
        return None
    output.data = NotebookNode(kept)
    output.metadata = NotebookNode({})
    return output
