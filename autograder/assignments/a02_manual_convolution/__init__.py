"""Assignment 02_manual_convolution, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
