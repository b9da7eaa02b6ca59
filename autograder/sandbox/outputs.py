"""Bounds on what a student's outputs may put into the gradebook and the feedback.

:class:`OutputBudget` is what ``SandboxedExecute`` keeps of a kernel's
outputs as they arrive, per cell and per notebook, measured by
:func:`output_size` on every field of every kind of output (pictures and
display updates included); :class:`LimitOutputSize` then cuts each text
output, as nbgrader's ``LimitOutput`` cuts lines.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

# Characters an output costs beyond its content: its JSON in the notebook, its markup on
# the feedback page. A flood of empty outputs is not free.
OUTPUT_OVERHEAD = 100


def output_size(content: Mapping[str, Any]) -> int:
    """The characters an output, or an output message's content, takes in a notebook.

    Every field counts, of every mimetype and the metadata too, as JSON with
    every non-ASCII character escaped (so never less than its UTF-8 bytes),
    plus :data:`OUTPUT_OVERHEAD`.
    """
    return len(json.dumps(content, default=str)) + OUTPUT_OVERHEAD


@dataclasses.dataclass(frozen=True)
class OutputBudget:
    """The characters of output the running cell and the whole notebook may still keep."""

    cell: int
    notebook: int
    cell_limit: int = 0  # what each cell starts with, for the note
    notebook_limit: int = 0  # what the notebook started with

    @classmethod
    def start(cls, cell_limit: int, notebook_limit: int) -> OutputBudget:
        """The budget of a notebook that has kept nothing yet."""
        return cls(cell_limit, notebook_limit, cell_limit, notebook_limit)

    def take(self, size: int) -> OutputBudget | None:
        """What is left once output of ``size`` characters is kept, or None if it may not be."""
        if size > self.cell or size > self.notebook:
            return None
        return dataclasses.replace(self, cell=self.cell - size, notebook=self.notebook - size)

    def next_cell(self) -> OutputBudget:
        """The budget of the next cell: its own in full, what the notebook has left."""
        return dataclasses.replace(self, cell=self.cell_limit)

    def limit_reached(self) -> str:
        """The limit output goes over when it may not be kept, for the student's note."""
        if self.notebook < self.cell:
            return f"{self.notebook_limit:,} characters in the notebook"
        return f"{self.cell_limit:,} characters"


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
