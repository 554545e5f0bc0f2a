"""Training-image distortions of the original ``retrain.py`` (crop, scale, flip, brightness).

Any distortion means bottlenecks of training images are recomputed every step (no cache).
"""

from __future__ import annotations

import numpy as np

from labkit.architectures import Architecture
from labkit.tfsetup import tf


def wanted(flip_left_right: bool, random_crop: int, random_scale: int, random_brightness: int) -> bool:
    """True when any distortion flag is set (then the training-image cache is not used)."""
    return bool(flip_left_right or random_crop != 0 or random_scale != 0 or random_brightness != 0)


class Distorter:
    """A small graph that turns JPEG bytes into one randomly distorted, normalised input image."""

    def __init__(
        self, arch: Architecture, flip_left_right=False, random_crop=0, random_scale=0, random_brightness=0, seed=None
    ):
        T = tf()
        S = arch.input_size
        self.graph = T.Graph()
        with self.graph.as_default():
            if seed is not None:
                T.compat.v1.set_random_seed(seed)
            self.jpeg = T.compat.v1.placeholder(T.string, name="DistortJPGInput")
            image = T.expand_dims(T.cast(T.io.decode_jpeg(self.jpeg, channels=3), T.float32), 0)
            margin = 1.0 + random_crop / 100.0
            scale = margin * T.compat.v1.random_uniform([], 1.0, 1.0 + random_scale / 100.0)
            precrop = T.cast(T.stack([scale * S, scale * S]), T.int32)
            big = T.compat.v1.image.resize_bilinear(image, precrop)[0]
            cropped = T.compat.v1.random_crop(big, [S, S, 3])
            flipped = T.image.random_flip_left_right(cropped) if flip_left_right else cropped
            bright = T.compat.v1.random_uniform([], 1.0 - random_brightness / 100.0, 1.0 + random_brightness / 100.0)
            self.output = T.multiply(T.subtract(flipped * bright, arch.input_mean), 1.0 / arch.input_std)
        self.session = T.compat.v1.Session(graph=self.graph)

    def __call__(self, paths) -> np.ndarray:
        """Distorted images ``[len(paths), S, S, 3]``."""
        out = []
        for path in paths:
            with open(path, "rb") as handle:
                out.append(self.session.run(self.output, {self.jpeg: handle.read()}))
        return np.stack(out)

    def close(self) -> None:
        self.session.close()
