"""feedbench: the seed document's comparison table, measured on our code (``microblog bench``)."""
