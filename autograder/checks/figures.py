"""Pictures for the feedback of model-training cells: what the model got wrong, and how it trained.

A check module may define ``FEEDBACK_FIGURES = {cell: make}``, where
``make(submission)`` returns a PNG; ``grade()`` shows it under that cell's
report, so it lands in the feedback HTML. A picture is a bonus: when one
cannot be drawn (no model, no history), the cell simply has none, and it
never changes a score. Labels are in English only: matplotlib's default font
has no Hangul, and boxes in a picture help nobody.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

MISCLASSIFIED_SHOWN = 8


def classifier_figure(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: list[str],
    history: Any,
    title: str,
) -> bytes:
    """Confusion matrix, training curves and a few misclassified images, as one PNG."""
    # A bare Figure, not pyplot: the student's kernel keeps its own backend and figures.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 3.6), layout="constrained")
    panels = figure.subfigures(1, 3, width_ratios=[1.1, 1.1, 1.6])
    assert isinstance(panels, np.ndarray)  # one SubFigure only when asked for one
    left, middle, right = panels.flat
    _confusion(left.subplots(), y_true, y_pred, class_names)
    _curves(middle.subplots(), getattr(history, "history", None) or {})
    _misclassified(right, images, y_true, y_pred, class_names)
    figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def _confusion(ax: Any, y_true: np.ndarray, y_pred: np.ndarray, names: list[str]) -> None:
    k = len(names)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y_true.astype(int), np.clip(y_pred.astype(int), 0, k - 1)), 1)
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if k <= 4 or i != j:  # a 10x10 diagonal is all big numbers: leave it to the colour
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7 if k > 4 else 10)
    ax.set(
        xticks=range(k), yticks=range(k), xticklabels=names, yticklabels=names,
        xlabel="predicted", ylabel="true", title="confusion matrix",
    )  # fmt: skip


def _curves(ax: Any, history: dict[str, list[float]]) -> None:
    for key, style in (("loss", "b.-"), ("val_loss", "r.-")):
        if history.get(key):
            epochs = np.arange(1, len(history[key]) + 1)
            ax.plot(epochs, history[key], style, label=key)
    if not ax.lines:
        ax.text(0.5, 0.5, "no training history", ha="center", va="center")
    else:
        ax.legend()
    ax.set(xlabel="epoch", ylabel="loss", title="training curve")
    ax.grid(True)


def _misclassified(
    subfigure: Any, images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, names: list[str]
) -> None:
    wrong = np.flatnonzero(y_true != y_pred)[:MISCLASSIFIED_SHOWN]
    axes = subfigure.subplots(2, MISCLASSIFIED_SHOWN // 2)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, wrong, strict=False):
        ax.imshow(np.squeeze(images[index]), cmap="gray")
        ax.set_title(f"{names[int(y_true[index])]} → {names[int(y_pred[index])]}", fontsize=9)
    subfigure.suptitle("misclassified (true → predicted)", fontsize=10)
