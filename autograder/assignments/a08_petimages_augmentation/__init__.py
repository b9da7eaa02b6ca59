"""Assignment 08_petimages_augmentation, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
