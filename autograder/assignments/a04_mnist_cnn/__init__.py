"""Assignment 04_mnist_cnn, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
