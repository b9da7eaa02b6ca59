"""The similarity page of one assignment: one HTML file that loads nothing and runs nothing.

Students' code is shown on it, so it is escaped, and the page's
Content-Security-Policy (as on the feedback pages) lets no script run and
nothing be fetched: it opens from a laptop offline and can be mailed around.
"""

from __future__ import annotations

import base64
import html
import io

from autograder.course.similarity import (
    COMMON_MIN,
    COMMON_SHARE,
    FLAG_SCORE,
    WINDOW,
    Comparison,
    Fingerprints,
    K,
    Pair,
    matched_places,
    spans,
)

LISTED = 100  # pairs in the ranked table (the CSV has them all)
SHOWN = 20  # pairs shown side by side, more if more are flagged
SHOWN_AT_MOST = 60
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = (
    "body{font-family:sans-serif;max-width:90em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em}"
    "tr.flag{background:#fde2e2}.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
    "pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;overflow-wrap:anywhere;margin:.2em 0}"
    "mark{background:#ffd27a}h4{margin:.6em 0 0;font-size:.9em;color:#555}"
)


def page(comparison: Comparison) -> str:
    """The whole page: summary, histogram of every pair's score, ranked pairs, matched code."""
    pairs = comparison.pairs
    flagged = [p for p in pairs if p.score >= FLAG_SCORE]
    shown = pairs[: min(SHOWN_AT_MOST, max(SHOWN, len(flagged)))]
    title = f"Similarity · 유사도 — {comparison.assignment}"
    body = [
        f"<h1>{html.escape(title)}</h1>",
        _summary(comparison, flagged),
        f"<img alt='histogram of all pair scores' src='data:image/png;base64,{_histogram(pairs)}'>",
        _ranked(pairs[:LISTED], len(shown)),
        *(
            _side_by_side(rank, p, comparison.prints[p.first], comparison.prints[p.second])
            for rank, p in enumerate(shown, 1)
            if p.score > 0
        ),
    ]
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{POLICY}\">"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )


def _summary(comparison: Comparison, flagged: list[Pair]) -> str:
    students = len(comparison.prints)
    notes = [
        f"{students} submissions, {len(comparison.pairs)} pairs compared on the code the "
        "students wrote (answer cells and cells they added). Names the student chose, comments, "
        "layout and the order of cells do not count, and neither does anything in the released "
        "stub or the files released with it.",
        f"A fingerprint is a run of {K} tokens; any shared run of {K + WINDOW - 1} tokens or more "
        f"is found. With {COMMON_MIN} or more submissions, runs found in more than "
        f"{COMMON_SHARE:.0%} of them are the assignment's idiom and do not count.",
        f"<b>{len(flagged)}</b> pairs score {FLAG_SCORE:.0%} or more (⚑). A high score is a "
        "reason to read both notebooks, not a finding: short answers can agree honestly.",
    ]
    if comparison.without_own_code:
        notes.append(
            "No code of their own (the untouched stub, code too short to fingerprint, or only what "
            "most of the class wrote), so never similar to anyone: "
            + html.escape(", ".join(comparison.without_own_code))
        )
    if comparison.unreadable:
        notes.append(
            "Not compared, unreadable: "
            + html.escape("; ".join(f"{s} ({why})" for s, why in comparison.unreadable.items()))
        )
    return "".join(f"<p>{note}</p>" for note in notes)


def _histogram(pairs: list[Pair]) -> str:
    """A base64 PNG of every pair's score; the y axis is logarithmic so a lone pair shows."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.6), layout="constrained")
    ax = figure.subplots()
    ax.hist([p.score for p in pairs], bins=50, range=(0, 1), color="#4477aa")
    if pairs:
        ax.set_yscale("log")
    ax.axvline(FLAG_SCORE, color="#cc3311", linestyle="--", linewidth=1)
    ax.set(title="every pair", xlabel="similarity score", ylabel="pairs (log)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _ranked(pairs: list[Pair], detailed: int) -> str:
    rows = "".join(
        f"<tr class='{'flag' if p.score >= FLAG_SCORE else ''}'><td>{rank}</td>"
        f"<td>{_link(rank, detailed, p)}</td><td>{p.score:.0%}</td>"
        f"<td>{p.share_first:.0%}</td><td>{p.share_second:.0%}</td>"
        f"<td>{'⚑' if p.score >= FLAG_SCORE else ''}</td></tr>"
        for rank, p in enumerate(pairs, 1)
    )
    return (
        f"<h2>Most similar pairs (the first {len(pairs)}; all in pairs.csv)</h2><table>"
        "<tr><th>rank</th><th>students</th><th>score</th><th>share of the first</th>"
        f"<th>share of the second</th><th></th></tr>{rows}</table>"
    )


def _link(rank: int, detailed: int, p: Pair) -> str:
    names = f"{html.escape(p.first)} · {html.escape(p.second)}"
    return f"<a href='#pair-{rank}'>{names}</a>" if rank <= detailed and p.score > 0 else names


def _side_by_side(rank: int, p: Pair, a: Fingerprints, b: Fingerprints) -> str:
    in_a, in_b = matched_places(a, b)
    return (
        f"<h3 id='pair-{rank}'>{rank}. {html.escape(p.first)} · {html.escape(p.second)}: "
        f"{p.score:.0%}</h3><div class='side'>"
        f"<div>{_marked(a, in_a, p.share_first)}</div><div>{_marked(b, in_b, p.share_second)}</div>"
        "</div>"
    )


def _marked(prints: Fingerprints, places: list[tuple[str, int]], share: float) -> str:
    """A student's cells that share code, the shared runs marked."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for cell, start, end in spans(places):
        toks = prints.cell_tokens[cell]
        ranges.setdefault(cell, []).append((toks[start].start, toks[min(end, len(toks)) - 1].end))
    parts = [f"<b>{html.escape(prints.student)}</b> · {share:.0%} of their code shared"]
    for cell, chars in ranges.items():
        source, out, at = prints.cells[cell], [], 0
        for start, end in chars:
            start = max(start, at)
            out += [html.escape(source[at:start]), f"<mark>{html.escape(source[start:end])}</mark>"]
            at = max(at, end)
        out.append(html.escape(source[at:]))
        parts.append(f"<h4>{html.escape(cell)}</h4><pre>{''.join(out)}</pre>")
    return "".join(parts)
