"""Assignment 01_output_size, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
