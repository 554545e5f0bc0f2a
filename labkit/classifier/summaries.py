"""``--summaries_dir``: TensorBoard logs without needing the ``tensorboard`` package to write them.

Like Keras' TensorBoard callback (which the original used, and which needs ``tensorboard``
installed): ``<dir>/train`` and ``<dir>/validation`` event files with ``epoch_loss`` and
``epoch_accuracy`` per epoch, plus histograms of the trainable weights under ``train``.
Written with TensorFlow's core summary ops and the scalar/histogram plugin metadata, so
``tensorboard --logdir <dir>`` shows them.
"""

from __future__ import annotations

import os

import numpy as np

from labkit.tfsetup import keras, tf


def _metadata(plugin: str):
    from tensorflow.core.framework import summary_pb2

    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = plugin
    return meta


def histogram_tensor(values, bins: int = 30) -> np.ndarray:
    """TensorBoard's histogram format: rows of ``(left edge, right edge, count)``."""
    values = np.asarray(values, np.float64).ravel()
    counts, edges = np.histogram(values, bins=bins)
    return np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)


def summary_callback(log_dir):
    """A Keras callback writing the per-epoch scalars and weight histograms to ``log_dir``."""
    T = tf()

    class Summaries(keras().callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.writers = {
                name: T.summary.create_file_writer(os.path.join(str(log_dir), name)) for name in ("train", "validation")
            }

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            for name, prefix in (("train", ""), ("validation", "val_")):
                with self.writers[name].as_default():
                    for key in ("loss", "accuracy"):
                        if prefix + key in logs:
                            T.summary.write(
                                f"epoch_{key}",
                                T.constant(float(logs[prefix + key])),
                                step=epoch,
                                metadata=_metadata("scalars"),
                            )
            with self.writers["train"].as_default():
                for weight in self.model.trainable_weights:
                    T.summary.write(
                        weight.name.replace(":", "_"),
                        T.constant(histogram_tensor(weight.numpy())),
                        step=epoch,
                        metadata=_metadata("histograms"),
                    )
            for writer in self.writers.values():
                writer.flush()

        def on_train_end(self, logs=None):
            for writer in self.writers.values():
                writer.close()

    return Summaries()
