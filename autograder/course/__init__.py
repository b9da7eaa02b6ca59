"""The course team's side: the course directory, intake, parallel grading, reports, the CLI."""
