"""Measuring helpers shared by the exercise checks (see :mod:`labkit.exercises`).

- :func:`quiet_stderr`: a check cell is an nbgrader test cell, and nbgrader gives **no** credit to a
  test cell with any output on stderr (a TensorFlow warning, a progress bar) — so checks run inside it
  and whatever they would write to stderr goes to stdout.
- :func:`made_in_this_run`: an artefact earns credit only when the student's code wrote it after
  ``labkit.start`` in this kernel (no file left from an earlier run, no model from elsewhere).
- :func:`probabilities`: a model's class probabilities whether it ends in softmax or in logits
  (detected from its outputs, never assumed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import numpy as np

from labkit import results


@contextlib.contextmanager
def quiet_stderr():
    """Send Python's and the C++ runtime's stderr to stdout while the block runs."""
    handlers = [h for h in logging.root.manager.loggerDict.values() if isinstance(h, logging.Logger)]
    streams = [
        (handler, handler.stream)
        for logger in [logging.root, *handlers]
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, sys.__stderr__)
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    saved_fd = _redirect_fd(2, 1)
    try:
        for handler, _ in streams:
            handler.setStream(sys.stdout)
        with contextlib.redirect_stderr(sys.stdout):
            yield
    finally:
        for handler, stream in streams:
            handler.setStream(stream)
        sys.stdout.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def _redirect_fd(source: int, target: int) -> int | None:
    """Point file descriptor ``source`` at ``target``; the saved original, or ``None`` if impossible."""
    try:
        saved = os.dup(source)
        os.dup2(target, source)
        return saved
    except OSError:
        return None


def run_started() -> float:
    """When ``labkit.start`` ran in this kernel (seconds since the epoch)."""
    return float(results._STATE["started"])


def made_in_this_run(path) -> bool:
    """Whether ``path`` exists and every file under it was written since ``labkit.start`` in this kernel."""
    path = Path(path)
    if not path.exists():
        return False
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    started = run_started() - 1.0  # file systems keep mtimes to a second or coarser
    return bool(files) and all(p.stat().st_mtime >= started for p in files)


def is_probabilities(outputs) -> bool:
    """Whether each row of ``outputs`` is a probability distribution (softmax), rather than logits."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 2 or outputs.size == 0:
        return False
    in_range = outputs.min() >= -1e-6 and outputs.max() <= 1 + 1e-6
    return bool(in_range and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3))


def probabilities(outputs) -> np.ndarray:
    """Class probabilities from a model's outputs: kept when they already are, else softmax of logits."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if is_probabilities(outputs):
        return outputs
    shifted = outputs - outputs.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def accuracy(outputs, labels) -> float:
    """Share of rows whose highest output is the integer label."""
    outputs, labels = np.asarray(outputs), np.asarray(labels).reshape(-1)
    if outputs.ndim != 2 or len(outputs) != len(labels) or not len(labels):
        return 0.0
    return round(float(np.mean(np.argmax(outputs, axis=1) == labels)), 4)
