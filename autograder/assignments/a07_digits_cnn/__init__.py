"""Assignment 07_digits_cnn, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
