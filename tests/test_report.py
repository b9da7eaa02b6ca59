"""The item analysis of some assignments never takes the place of the course's."""

from __future__ import annotations

import pytest

from autograder.course.directory import Course
from autograder.course.report import NothingGraded, report_folder, write_report


def test_a_report_of_some_assignments_has_a_folder_of_its_own(tmp_path):
    every = ("01_output_size", "03_one_hot", "04_mnist_cnn")
    assert report_folder(tmp_path, every, every) == tmp_path / "report"
    assert report_folder(tmp_path, ("04_mnist_cnn",), every) == tmp_path / "report" / "04_mnist_cnn"
    some = report_folder(tmp_path, ("03_one_hot", "01_output_size"), every)
    assert some == tmp_path / "report" / "01_output_size+03_one_hot"


def test_nothing_graded_writes_nothing(tmp_path):
    course = Course(tmp_path)
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("the course's full report")
    with pytest.raises(NothingGraded, match="04_mnist_cnn"):
        write_report(course, ["04_mnist_cnn"], out)
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "the course's full report"
