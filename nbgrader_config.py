"""nbgrader configuration for the CNN course.

The repository root is the nbgrader course directory: ``solutions/`` is the
instructor's source, ``assignments/`` the student release, so the plain
commands (``nbgrader generate_assignment``, ``autograde``,
``generate_feedback``, ``export``) work from here with no extra flags.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# The default SQLite gradebook, with a busy timeout: parallel autograding
# (autograder/grading.py) has several nbgrader processes write to it, and
# SQLite makes each writer wait for the database lock for up to 60 s
# instead of failing at once.
c.CourseDirectory.db_url = (
    "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db") + "?timeout=60"
)
# Data helpers released beside each notebook are plain files; keep the
# default "include everything" but never ship caches. Hidden files, and what
# the intake sets aside in a submission (autograder/course/intake.py), stay
# where they are: nbgrader copies neither into autograded/ nor feedback/.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "*.egg-info",
    ".*",
    "*.unreadable",
]

# Grades as CSV: nbgrader's own columns, every cell written as text no spreadsheet
# runs as a formula (a student id "=HYPERLINK(...)", say; autograder/course/export.py).
c.ExportApp.plugin_class = "autograder.course.export.CsvExportPlugin"

# Wall-clock limits per cell: safety stops, not the training budget. The budget of
# 04 and 06 to 09 is CPU seconds (cpu_budget in autograder/assignments/a<id>/info.py),
# which the kernel's CPU limit enforces and the judge checks from outside: a busy grading
# machine stretches wall time, not CPU time. A cell that trains, replays the training
# (accuracy cells) or loads the data sets (the locked set-up cell) gets 15 minutes (a
# budget at a third of a core); any other cell 3, so an infinite loop costs a
# student three minutes and the cells it breaks. A stopped cell scores as an error
# (KeyboardInterrupt), and a stopped training earns no accuracy tier.
c.Execute.timeout = 180
c.SandboxedExecute.training_timeout = 900
c.Execute.interrupt_on_timeout = True

# nbgrader scores a test cell zero when anything reaches stderr. TensorFlow and
# absl write informational lines to stderr from C++ when they load; silence
# them in every kernel nbgrader starts (kernels inherit this environment) ...
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# ... and drop any such line that still gets through, with nbgrader's own
# preprocessor rather than a home-made filter. Python warnings are dropped
# too: Keras warns on stderr about a student's own model (a softmax over one
# unit, say) wherever the model is next used, which would zero an unrelated
# cell; the hidden checks judge the model instead. A Python traceback is an
# "error" output, never a stderr stream, so a real failure is never hidden.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]"  # absl/glog line prefix
    r"|WARNING: All log messages before absl::InitializeLog\(\)"
    r"|.*oneDNN custom operations are on"
    r"|.*Could not find cuda drivers"
    r"|.*TF-TRT Warning"
    r"|.*This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions:"
    r"|.*:\d+: \w*Warning: )"  # warnings.formatwarning: "file:line: Category: message"
)

# Student code runs in a sandbox (autograder/sandbox/): bubblewrap hides the
# course, the repository and the network, prlimit and timeout bound memory,
# processes, CPU and wall time; the hidden checks run in a judge process
# outside it. A kernel that dies costs only the cells it could not run, each
# scored zero with the reason. LimitOutputSize cuts outputs of one enormous
# line, which LimitOutput (lines only) lets through.
c.Autograde.autograde_preprocessors = [
    "autograder.sandbox.execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.sandbox.outputs.LimitOutputSize",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback pages render the student's own notebook, which students and TAs open
# in a browser: nothing in it may run (autograder/course/feedback.py). Only text
# and pictures of the outputs are kept, Markdown is cleaned, and the page's
# Content-Security-Policy lets no script run and nothing load. Its exporter is a
# class of its own, so that none of this reaches the formgrader's exporter.
from autograder.course import feedback, formgrader  # noqa: E402

c.GenerateFeedback.exporter_class = "autograder.course.feedback.FeedbackExporter"
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.course.feedback.SanitizeFeedback",
]
c.FeedbackExporter.preprocessors = []
c.FeedbackExporter.sanitize_html = True
c.FeedbackExporter.filters = {
    "clean_feedback_html": "autograder.course.feedback.clean_markdown_html"
}
c.FeedbackExporter.template_name = feedback.TEMPLATE_NAME
c.FeedbackExporter.template_file = feedback.TEMPLATE_FILE
c.FeedbackExporter.extra_template_basedirs = [
    str(feedback.nbgrader_templates()),
    str(feedback.TEMPLATES),
]

# nbgrader's formgrader (JupyterLab's Formgrader, started in this folder) renders a
# submission beside the TA's grading form with a plain HTMLExporter built from this
# file, on the Jupyter server's own origin, where a student's script would act with
# the TA's session (autograder/course/formgrader.py): outputs are kept as text and
# pictures, Markdown's HTML shows as text, and the page's Content-Security-Policy
# lets only the formgrader's own scripts run.
c.HTMLExporter.preprocessors = ["autograder.course.formgrader.SanitizeSubmission"]
c.HTMLExporter.filters = {
    "markdown2html": "autograder.course.formgrader.markdown2html",
    "formgrade_policy": "autograder.course.formgrader.with_policy",
}
c.HTMLExporter.template_name = formgrader.TEMPLATE_NAME
c.HTMLExporter.template_file = formgrader.TEMPLATE_FILE
c.HTMLExporter.extra_template_basedirs = [
    str(feedback.nbgrader_templates()),
    str(feedback.TEMPLATES),
]
