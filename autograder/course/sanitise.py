"""One HTML sanitiser for every page that shows a student's work: prose, tables, code, maths.

:func:`sanitise_html` is `nh3 <https://nh3.readthedocs.io>`_, the Python
binding of the Rust sanitiser ammonia, with an allowlist: the tags of
rendered Markdown (headings, lists, tables, code, pictures), of the
notebook's frames around cells, and of MathML (the mathematics the feedback
page renders when it is written, :mod:`autograder.course.mathml`). Every
other tag is dropped (``script`` and ``style`` with their content), every
attribute not listed goes (event handlers, ``style``, ``href`` in
MathML), and links keep only web, mail and ``data:`` addresses.
"""

from __future__ import annotations

import nh3

PROSE_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
     "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
     "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)  # fmt: skip
MATHML_TAGS = frozenset(
    {"math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover",
     "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle",
     "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover",
     "none", "semantics", "annotation"}
)  # fmt: skip
ALLOWED_TAGS = PROSE_TAGS | MATHML_TAGS

MATHML_ATTRIBUTES = frozenset(
    {"accent", "accentunder", "columnalign", "columnlines", "columnspacing", "depth",
     "display", "displaystyle", "encoding", "fence", "form", "height", "largeop",
     "linethickness", "lspace", "mathvariant", "maxsize", "minsize", "movablelimits",
     "notation", "rowalign", "rowlines", "rowspacing", "rspace", "scriptlevel", "separator",
     "stretchy", "symmetric", "voffset", "width"}
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})


def sanitise_html(text: str) -> str:
    """``text`` with only the allowlisted tags and attributes left: nothing a browser can run.

    Tags not allowed are dropped and their text kept, but ``script`` and
    ``style`` go with their content; HTML comments go.
    """
    return nh3.clean(
        str(text),
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
    )
