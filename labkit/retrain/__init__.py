"""TF1-style "TensorFlow for Poets": ``labkit retrain`` and ``labkit label-image``.

Modules: :mod:`architectures` (the registry), :mod:`images` (discovery + split),
:mod:`base_graph`, :mod:`bottlenecks` (the cache), :mod:`final_layer`, :mod:`train`,
:mod:`export`, :mod:`label_image`, :mod:`cli`.
"""

from labkit.retrain.train import RetrainResult, retrain

__all__ = ["retrain", "RetrainResult"]
