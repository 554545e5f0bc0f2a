"""TF1-style "TensorFlow for Poets": ``labkit retrain`` and ``labkit label-image``.

Modules: :mod:`images` (discovery + split),
:mod:`base_graph`, :mod:`bottlenecks` (the cache), :mod:`final_layer`, :mod:`train`,
:mod:`export`, :mod:`label_image`, :mod:`lab` (notebook helpers), :mod:`flags` (the flag schema), :mod:`cli`.
The architecture registry is :mod:`labkit.architectures` and the frozen-graph reader
:mod:`labkit.formats.graph_file` (below :mod:`labkit.assets`, which checks the downloaded archives).
"""


def retrain(image_dir, **options):
    """Python API for ``labkit retrain`` (see :func:`labkit.retrain.train.retrain`)."""
    # here, not at the top: every module of this package imports it first, and the trainer loads most of labkit
    from labkit.retrain.train import retrain as _retrain

    return _retrain(image_dir, **options)


__all__ = ["retrain"]
