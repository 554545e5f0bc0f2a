"""Data sources. Every loader returns data that carries its :class:`~labkit.provenance.Source`."""

from labkit.data.arrays import ArrayDataset
from labkit.data.image_folder import ImageFolder, flowers, fruits, image_folder, second_dataset
from labkit.data.mnist import digits, fashion_mnist, mnist

__all__ = [
    "ArrayDataset",
    "mnist",
    "fashion_mnist",
    "digits",
    "ImageFolder",
    "flowers",
    "image_folder",
    "second_dataset",
    "fruits",
]
