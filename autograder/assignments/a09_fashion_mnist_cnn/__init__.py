"""Assignment 09_fashion_mnist_cnn, one folder: its facts (``info``), hidden checks
(``checks``) and catalogued mistakes (``mistakes``)."""
