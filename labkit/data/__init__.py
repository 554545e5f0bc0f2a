"""Data sources. Every loader returns data that carries its :class:`~labkit.provenance.Source`."""

from labkit.data.arrays import ArrayDataset
from labkit.data.mnist import digits, fashion_mnist, mnist

__all__ = ["ArrayDataset", "mnist", "fashion_mnist", "digits"]
