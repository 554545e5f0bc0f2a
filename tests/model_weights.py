"""Copies of a transfer model's backbone weights (``from model_weights import backbone_weights``)."""

from __future__ import annotations

import numpy as np


def backbone_weights(model) -> list[np.ndarray]:
    """Copies of the feature extractor's variables (trainable and not, e.g. batch-norm statistics)."""
    return [v.numpy().copy() for v in model.get_layer("feature_extractor").weights]
