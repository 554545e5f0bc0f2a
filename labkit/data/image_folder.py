"""Image-folder datasets (``root/<class>/<image files>``) and the flowers loader.

:func:`scan_image_folder` checks every file up front, so training never crashes mid-epoch:
unreadable, truncated or non-image files are skipped with a warning naming the file, empty
class folders are skipped with a warning, and fewer than two classes is an error naming the
folder. Loading converts grayscale, CMYK, palette and RGBA images (JPEG, PNG, …) to RGB.
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from labkit import realsize
from labkit.assets import registry, store
from labkit.atomic import make_temp_dir
from labkit.data import synthetic_flowers, synthetic_fruits
from labkit.errors import DataFileError, LabkitError, SourceNotFound
from labkit.locations import keras_datasets_dir, labkit_cache_dir, tfds_data_dir
from labkit.provenance import Source, brief
from labkit.resolve import Candidate, resolve

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


class ImageFolderWarning(UserWarning):
    """A file or class folder was skipped while scanning an image folder."""


@dataclass
class ImageFolder:
    """A folder of class subfolders: class names as on disk (sorted) and their image files."""

    root: Path
    class_names: list[str]
    files: dict[str, list[Path]]
    source: Source
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def count(self) -> int:
        """Number of usable images."""
        return sum(len(v) for v in self.files.values())

    def counts(self) -> dict[str, int]:
        """Images per class."""
        return {name: len(self.files[name]) for name in self.class_names}

    def summary(self) -> str:
        per_class = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        skipped = f"; {len(self.skipped)} file(s) skipped" if self.skipped else ""
        return (
            f"{self.count()} images in {len(self.class_names)} classes ({per_class}) from {brief(self.source)}{skipped}"
        )

    def items(self) -> list[tuple[Path, int]]:
        """Every ``(file, class index)`` in class order, files sorted."""
        return [(p, i) for i, name in enumerate(self.class_names) for p in self.files[name]]

    def limit(self, images_per_class: int | None, seed: int = 0) -> ImageFolder:
        """A copy with at most ``images_per_class`` files per class (a fixed random subset)."""
        if not images_per_class:
            return self
        rng = np.random.default_rng(seed)
        files = {}
        for name in self.class_names:
            pick = self.files[name]
            if len(pick) > images_per_class:
                pick = sorted(pick[i] for i in rng.permutation(len(pick))[:images_per_class])
            files[name] = pick
        return ImageFolder(self.root, list(self.class_names), files, self.source, list(self.skipped))

    def arrays(self, image_size: int) -> tuple[np.ndarray, np.ndarray]:
        """All images as uint8 ``(n, size, size, 3)`` (bilinear resize, RGB) and int labels."""
        pairs = self.items()
        images = np.zeros((len(pairs), image_size, image_size, 3), np.uint8)
        for k, (path, _) in enumerate(pairs):
            images[k] = load_image(path, image_size)
        return images, np.array([label for _, label in pairs], np.int64)


def load_image(path, image_size: int | None = None) -> np.ndarray:
    """Read one image as RGB uint8 (grayscale/CMYK/PNG/palette converted), optionally resized square."""
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            if image_size:
                img = img.resize((image_size, image_size), Image.BILINEAR)
            return np.asarray(img)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataFileError(f"cannot read image {path}: {exc}") from exc


def image_problem(path: Path) -> str | None:
    """Why ``path`` is unusable (``None`` if it decodes completely)."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return f"not an image file (extension {path.suffix or 'none'}; use {', '.join(IMAGE_EXTENSIONS)})"
    try:
        with Image.open(path) as img:
            img.draft("RGB", (64, 64))  # JPEG: decode at reduced scale, still reads every byte
            img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return f"unreadable or truncated image ({type(exc).__name__}: {exc})"
    return None


def scan_image_folder(path, source: Source | None = None, *, recursive: bool = True) -> ImageFolder:
    """Scan ``path/<class>/…`` and check every file; see the module docstring for the rules."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise SourceNotFound(f"image folder {root} does not exist or is not a folder")
    classes, files, skipped = [], {}, []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = []
        candidates = folder.rglob("*") if recursive else folder.iterdir()
        for f in sorted(p for p in candidates if p.is_file() and not p.name.startswith(".")):
            why = image_problem(f)
            if why:
                warnings.warn(f"skipping {f}: {why}", ImageFolderWarning, stacklevel=2)
                skipped.append((f, why))
            else:
                found.append(f)
        if not found:
            warnings.warn(
                f"skipping class folder {folder}: it holds no usable images", ImageFolderWarning, stacklevel=2
            )
            continue
        classes.append(folder.name)
        files[folder.name] = found
    if len(classes) < 2:
        what = "no class subfolders with images" if not classes else f"only one class ({classes[0]})"
        raise LabkitError(
            f"image folder {root} has {what}: a classifier needs at least two class "
            "subfolders, each holding images (root/<class>/<image>.jpg)"
        )
    return ImageFolder(root, classes, files, source or Source("real", str(root)), skipped)


image_folder = scan_image_folder


# --- flowers ----------------------------------------------------------------------------------


def _explicit(path) -> Candidate:
    def load():
        found = scan_image_folder(path)  # raises SourceNotFound naming the path if missing
        return found, found.source

    return Candidate(f"explicit folder {path}", load)


def _export_tfds_flowers(src: Path, target: Path) -> None:
    """Write tfds ``tf_flowers`` images (their original JPEG bytes) as ``target/<class>/*.jpg``."""
    import tensorflow_datasets as tfds

    builder = tfds.builder("tf_flowers", data_dir=str(src.parent))
    ds = builder.as_dataset(split="train", decoders={"image": tfds.decode.SkipDecoding()})
    names = builder.info.features["label"].names
    tmp = make_temp_dir(".tf_flowers.", target.parent)
    try:
        for i, ex in enumerate(tfds.as_numpy(ds)):
            folder = tmp / names[int(ex["label"])]
            folder.mkdir(exist_ok=True)
            (folder / f"tf_flowers_{i:05d}.jpg").write_bytes(ex["image"])
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tfds_candidate() -> Candidate:
    src = tfds_data_dir() / "tf_flowers"

    def load():
        if not src.is_dir():
            return None
        target = labkit_cache_dir() / "tf_flowers_images"
        if not target.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            _export_tfds_flowers(src, target)
        found = scan_image_folder(target, Source("real", f"tfds:{src} (exported to {target})"))
        return found, found.source

    return Candidate(f"tfds {src}", load)


def _generated(kind: str, module, images_per_class: int, seed: int, base_size: int):
    """Write a synthetic image folder once (temp dir + rename) and scan it."""
    target = labkit_cache_dir() / kind / f"n{images_per_class}-size{base_size}-seed{seed}"
    if not (target / "PROVENANCE.txt").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp_dir(f".{target.name}.", target.parent)
        try:
            module.write(tmp, images_per_class=images_per_class, seed=seed, base_size=base_size)
            with contextlib.suppress(OSError):  # another process finished first: use theirs
                tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    detail = f"{module.describe(seed, images_per_class, base_size)} in {target}"
    if realsize.active():
        detail = realsize.detail(detail)
    return scan_image_folder(target, Source("offline", detail)), Source("offline", detail)


def flowers(
    path=None, *, images_per_class: int | None = None, base_size: int | None = None, seed: int = 0
) -> ImageFolder:
    """flower_photos: ``path`` → Keras cache (checked: labkit's manifest, else the original's five
    class folders and counts) → tfds ``tf_flowers`` → download (``LABKIT_MIRROR`` or the original URL,
    extracted atomically) → offline synthetic flowers. A damaged copy is an error, never a fallback.

    ``images_per_class`` caps every class (a fixed random subset for real data; the count to
    generate offline, default 120); ``base_size`` is the generated images' typical size (128).
    """
    asset = registry.get("flower_photos")
    keras3 = replace(asset, dest=lambda: keras_datasets_dir() / "flower_photos_extracted" / "flower_photos")
    cache, download = store.candidates(asset, scan_image_folder, "Keras cache")
    chain = [_explicit(path)] if path else []
    chain += [cache, store.candidates(keras3, scan_image_folder, "Keras cache")[0], _tfds_candidate(), download]

    def offline():
        real_size = _real_size_flowers(images_per_class, seed)
        if real_size is not None:
            return real_size
        return _generated("synthetic_flowers", synthetic_flowers, images_per_class or 120, seed, base_size or 128)

    found, source = resolve("flowers", chain, offline)
    found.source = source
    return found.limit(images_per_class, seed) if found.source.is_real else found


def _real_size_flowers(images_per_class: int | None, seed: int):
    """In a real-size dry run (:mod:`labkit.realsize`), flower_photos' counts at photo size (capped
    per class as real data is); else ``None``. Like the real download it is one folder whatever
    the notebook's seed, written once to ``$LABKIT_CACHE/synthetic_flowers/real-size-…``."""
    if not realsize.active():
        return None
    base, counts = realsize.PHOTO_BASE_SIZE, registry.FLOWER_COUNTS
    target = labkit_cache_dir() / "synthetic_flowers" / f"real-size-{realsize.VERSION}-size{base}-seed0"
    if not (target / "PROVENANCE.txt").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        print(f"[labkit] {realsize.detail('writing the synthetic flower photos (once per cache)')} -> {target}")
        tmp = make_temp_dir(f".{target.name}.", target.parent)
        try:
            synthetic_flowers.write(tmp, seed=0, base_size=base, counts=counts)
            with contextlib.suppress(OSError):  # another process finished first: use theirs
                tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    per_class = ", ".join(f"{k} {v}" for k, v in counts.items())
    text = f"{synthetic_flowers.GENERATOR} seed=0 flower_photos counts ({per_class}) size~{base}px"
    source = Source("offline", realsize.detail(text))
    return scan_image_folder(target, source).limit(images_per_class, seed), source


def second_dataset(images_per_class: int = 30, *, base_size: int = 96, seed: int = 0, path=None) -> ImageFolder:
    """A second image folder with other classes ("your own images"): ``path``, else generated fruit
    (apples, bananas, grapes, lemons), written once to ``$LABKIT_CACHE/synthetic_fruits/…`` (at
    photo size in a real-size dry run)."""
    if realsize.active():
        base_size = realsize.PHOTO_BASE_SIZE
    chain = [_explicit(path)] if path else []
    offline = lambda: _generated("synthetic_fruits", synthetic_fruits, images_per_class, seed, base_size)  # noqa: E731
    return resolve("own images", chain, offline)[0]


fruits = second_dataset
