"""Bounds on what a student's outputs may put into the gradebook and the feedback."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


def output_size(content: dict[str, Any]) -> int:
    """About how many characters an output message's content holds (text and data)."""
    size = len(str(content.get("text", ""))) + len(str(content.get("evalue", "")))
    size += sum(len(str(line)) for line in content.get("traceback") or [])
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    return size


class LimitOutputSize(NbGraderPreprocessor):
    """Cut each text output to ``max_characters``, as nbgrader's LimitOutput cuts lines.

    nbgrader's LimitOutput counts lines only, so one printed line of 50 MB
    would reach the gradebook's notebook and the student's feedback page whole.
    """

    max_characters = Integer(
        100_000, help="largest text output kept, in characters (-1: no limit)"
    ).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if self.max_characters < 0 or cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue)
                output.traceback = [self._cut(line) for line in output.traceback]
            elif "text/plain" in output.get("data", {}):
                output.data["text/plain"] = self._cut(output.data["text/plain"])
        return cell, resources

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_characters:
            return text
        return f"{text[: self.max_characters]}\n... Output truncated ({len(text):,} characters) ..."
