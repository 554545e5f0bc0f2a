"""In-memory image-classification datasets (MNIST-like) with their provenance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labkit.provenance import Source, brief


@dataclass
class ArrayDataset:
    """Train/test images (uint8, N×H×W) and integer labels, plus where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    source: Source

    def limit_train(self, n: int, seed: int = 0) -> ArrayDataset:
        """A copy keeping a fixed random subset of ``n`` training examples (``n <= 0``: all)."""
        if n <= 0 or n >= len(self.x_train):
            return self
        keep = np.random.default_rng(seed).permutation(len(self.x_train))[:n]
        return ArrayDataset(
            self.x_train[keep], self.y_train[keep], self.x_test, self.y_test, self.class_names, self.source
        )

    def summary(self) -> str:
        return (
            f"{len(self.x_train)} train / {len(self.x_test)} test images of "
            f"{self.x_train.shape[1:]} in {len(self.class_names)} classes from {brief(self.source)}"
        )
