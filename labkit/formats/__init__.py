"""File formats labkit reads and checks: plain readers, no resolution and no downloads.

- :mod:`labkit.formats.idx` — one IDX file (MNIST / Fashion-MNIST), gzipped or not;
- :mod:`labkit.formats.mnist_files` — Keras's ``mnist.npz`` and a folder of the four IDX files;
- :mod:`labkit.formats.graph_file` — a frozen TensorFlow ``GraphDef``.

They sit below both the asset checks (:mod:`labkit.assets.verify`) and the loaders that fetch
through the asset store (:mod:`labkit.data`, :mod:`labkit.retrain`).
"""
