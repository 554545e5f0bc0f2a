"""``labkit make-image-classifier``: TF Hub's retired ``make_image_classifier`` tool, rebuilt.

Same flags, defaults, model, split and messages as the original (see ORIGINAL_TOOLS.md §3),
on current TensorFlow with legacy Keras. Modules: :mod:`flags` (absl-compatible parsing),
:mod:`split` (the ``flow_from_directory`` split), :mod:`modules` (``--tfhub_module`` resolution),
:mod:`features` (the cached-feature fast path), :mod:`train`, :mod:`export`, :mod:`cli`, and
:mod:`study` (helpers for notebook 03).
"""


def make_image_classifier(image_dir=None, **options):
    """Python API: train like the command line (see :func:`labkit.classifier.train.make_image_classifier`)."""
    # here, not at the top: every module of this package imports it first, and the trainer loads most of labkit
    from labkit.classifier.train import make_image_classifier as _make

    return _make(image_dir, **options)


__all__ = ["make_image_classifier"]
