"""Skip the images ``retrain`` cannot decode (a student's own photo folder always has some).

Each listed image is decoded once, the way the bottleneck step decodes it (``decode_jpeg`` to 3
channels); every file that fails — truncated, zero bytes, text or HTML saved as ``.jpg`` — gets one
warning naming it and is left out, then one summary line follows. A PNG (or GIF/BMP) named ``.jpg``
decodes (TensorFlow's ``decode_jpeg`` reads those formats too) and is kept. The other images keep
their training/validation/testing set: the split hashes each file's own path, so leaving one file
out moves no other. ``--strict_images`` skips this check: the first bad file stops the run.
"""

from __future__ import annotations

import os

from labkit.errors import LabkitError, tf_reason
from labkit.retrain.images import CATEGORIES, image_path, warn
from labkit.tfsetup import tf

_CHECKED: dict[tuple, str | None] = {}  # (path, mtime, size) -> reason or None: each file decoded once per process


def _key(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size)


def find(paths) -> dict[str, str]:
    """``{path: reason}`` for every file of ``paths`` that does not decode as an image (a file already
    checked in this process and unchanged since is not decoded again: notebooks retrain many times)."""
    T = tf()
    todo = [p for p in paths if _key(p) is None or _key(p) not in _CHECKED]
    if todo:
        graph = T.Graph()
        with graph.as_default(), T.device("/CPU:0"):
            contents = T.compat.v1.placeholder(T.string, [])
            shape = T.shape(T.io.decode_jpeg(contents, channels=3))
        with T.compat.v1.Session(graph=graph) as session:
            for path in todo:
                _CHECKED[_key(path) or (path,)] = _reason(session, shape, contents, path)
    found = {p: _CHECKED.get(_key(p) or (p,)) for p in paths}
    return {p: why for p, why in found.items() if why}


def _reason(session, shape, contents, path: str) -> str | None:
    """Why ``path`` does not decode, or ``None``."""
    T = tf()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if not data:
            return "empty file (0 bytes)"
        session.run(shape, {contents: data})
    except OSError as exc:
        return exc.strerror or str(exc)
    except T.errors.OpError as exc:
        return tf_reason(exc)
    return None


def drop(image_lists: dict, image_dir: str) -> dict:
    """``image_lists`` without its unreadable images (one warning each, then a summary line)."""
    listed = [
        (label, category, name, image_path(image_lists, label, name, image_dir))
        for label, lists in image_lists.items()
        for category in CATEGORIES
        for name in lists[category]
    ]
    bad = find([path for *_, path in listed])
    if not bad:
        return image_lists
    for path, reason in bad.items():
        warn(f"Skipping unreadable image {path}: {reason}")
    kept = {label: {**lists, **{c: list(lists[c]) for c in CATEGORIES}} for label, lists in image_lists.items()}
    for label, category, name, path in listed:
        if path in bad:
            kept[label][category].remove(name)
    for label in [lab for lab, lists in kept.items() if not any(lists[c] for c in CATEGORIES)]:
        warn(f"No readable images left in '{kept.pop(label)['dir']}'; skipping it")
    warn(
        f"Skipped {len(bad)} unreadable image(s) of {len(listed)}; training on the other {len(listed) - len(bad)} "
        "(--strict_images stops at the first one instead)"
    )
    if len(kept) < 2:
        raise LabkitError(
            f"fewer than two classes with readable images are left in {image_dir}; "
            "replace the files named above and run again"
        )
    return type(image_lists)(kept)
