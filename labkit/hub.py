"""TF Hub image modules: one registry of known modules, and resolution with provenance.

``resolve_module("mobilenet_v2_100_224")`` (a registry name, a handle or a local SavedModel
folder) tries, in order: an explicit local SavedModel dir → the TF Hub cache
(``$TFHUB_CACHE_DIR``/sha1(handle), exactly where ``tensorflow_hub`` puts downloads; checked) →
download of the compressed module through :mod:`labkit.assets` (``LABKIT_MIRROR`` or tfhub.dev,
verified to load with the registry's output size; skipped offline) → labkit's offline backbone.
It prints which one it used. This module is the only place that imports ``tensorflow_hub``; TF/Keras come
from :mod:`labkit.tfsetup`, which arranges legacy Keras (``tf_keras``) so ``hub.KerasLayer`` works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from labkit import backbone, provenance, realsize
from labkit.assets import registry, store
from labkit.errors import DataFileError, LabkitError, NotReachable, SourceNotFound
from labkit.hub_registry import (  # noqa: F401  (re-exported: hub.cached_module_dir, hub.tfhub_cache_dir)
    OFFLINE,
    REGISTRY,
    ModuleSpec,
    cached_module_dir,
    is_saved_model_dir,
    spec_for,
    tfhub_cache_dir,
)
from labkit.provenance import Source
from labkit.realsize import modules as realsize_modules
from labkit.resolve import Candidate, resolve
from labkit.tfsetup import hub, tf  # noqa: F401  (hub re-exported: labkit.hub.hub())


@dataclass(frozen=True)
class ResolvedModule:
    """A module ready to load: a local path (or handle), where it came from, and its facts."""

    path_or_handle: str
    source: Source
    spec: ModuleSpec

    @property
    def is_offline_default(self) -> bool:
        return self.spec.name == OFFLINE and not self.source.is_real


def _local(path: Path, spec: ModuleSpec) -> Candidate:
    def load():
        if not path.exists():
            raise SourceNotFound(
                f"module folder {path} does not exist; pass a SavedModel folder, "
                "a tfhub.dev handle or a registry name (" + ", ".join(REGISTRY) + ")"
            )
        if not is_saved_model_dir(path):
            raise DataFileError(
                f"{path} is not a SavedModel folder (no saved_model.pb); for a TF Hub "
                "download, extract the .tar.gz into a folder and pass that folder"
            )
        return ResolvedModule(str(path), Source("real", str(path)), spec), Source("real", str(path))

    return Candidate(f"local SavedModel {path}", load)


def _asset_steps(handle: str, spec: ModuleSpec) -> list[Candidate]:
    """The TF Hub cache (checked) and the download (``LABKIT_MIRROR`` or tfhub.dev's compressed tar.gz)."""
    asset = registry.for_handle(handle)
    if asset.params.get("output_dim", -1) < 0 and spec.output_dim > 0:
        asset = replace(asset, params={**asset.params, "output_dim": spec.output_dim, "image_size": spec.image_size})
    return store.candidates(
        asset, lambda folder: ResolvedModule(str(folder), Source("real", str(folder)), spec), "TF Hub cache"
    )


def _offline_default(size: str, wanted: str):
    def load():
        if realsize.active() and wanted in realsize_modules.ARCHITECTURES:
            return _random_real_architecture(wanted)  # the real-size dry run: the real cost

        path, source = backbone.ensure(size)
        if wanted != OFFLINE:
            source = Source("offline", f"{source.detail} (instead of {wanted})")
        return ResolvedModule(str(path), source, REGISTRY[OFFLINE]), source

    return load


def _random_real_architecture(name: str):
    """The real-size dry run's stand-in for ``name``: its real architecture with random weights."""
    path = realsize_modules.build(name)
    _, size, dim = realsize_modules.ARCHITECTURES[name]
    text = f"random-weight {name} (real architecture and size; features meaningless) {path}"
    source = Source("offline", realsize.detail(text))
    return ResolvedModule(
        str(path), source, ModuleSpec(f"{name}_random", str(path), "feature_vector", size, dim)
    ), source


def resolve_module(
    module="mobilenet_v2_100_224", *, backbone_size: str = "quick", what: str | None = None, fallback: bool = True
) -> ResolvedModule:
    """Find ``module`` (registry name, handle, ``ModuleSpec`` or local folder) and announce the source.

    Order: explicit local SavedModel dir → TF Hub cache dir → download (skipped offline) →
    labkit's offline backbone (built on first use; ``backbone_size`` "quick" or "full").
    ``fallback=False`` (a module the backbone cannot stand in for, e.g. a full ImageNet classifier)
    raises :class:`SourceNotFound` saying what was tried instead of using the backbone.
    """
    spec = module if isinstance(module, ModuleSpec) else spec_for(str(module))
    text = spec.handle if isinstance(module, ModuleSpec) else str(module)
    what = what or f"hub module {spec.name if spec else text}"
    if spec is not None and spec.name == OFFLINE:
        return _announced(resolve(what, [], _offline_default(backbone_size, OFFLINE)))
    is_handle = "://" in text or text.startswith(("gs:", "hub:"))
    if spec is None and not is_handle:  # a local path, or a typo of a registry name
        path = Path(text).expanduser()
        if not path.exists() and os.sep not in text and "/" not in text:
            raise LabkitError(
                f"unknown module {text!r}: use a registry name ({', '.join(REGISTRY)}), "
                "a TF Hub handle (https://tfhub.dev/…) or a SavedModel folder"
            )
        spec = ModuleSpec(path.name, str(path), "feature_vector", None, -1)
        return _announced(
            resolve(what, [_local(path, spec)], _offline_default(backbone_size, text) if fallback else None)
        )
    spec = spec or ModuleSpec(
        text.rstrip("/").split("/")[-2] if "/" in text else text, text, "feature_vector", None, -1
    )
    chain = _asset_steps(spec.handle, spec)
    return _announced(resolve(what, chain, _offline_default(backbone_size, spec.name) if fallback else None))


def _announced(found) -> ResolvedModule:
    resolved, source = found
    return replace(resolved, source=source)  # keeps the list of what was tried


def keras_layer(resolved: ResolvedModule, trainable: bool = False, **kwargs):
    """A ``hub.KerasLayer`` for the resolved module (``trainable=True`` fine-tunes it)."""
    return hub().KerasLayer(resolved.path_or_handle, trainable=trainable, **kwargs)


def load(resolved: ResolvedModule):
    """The module as a callable object (``tf.saved_model.load``)."""
    return tf().saved_model.load(resolved.path_or_handle)


def _call_input_shape(obj):
    fn = obj.__call__ if callable(obj) else None
    for concrete in getattr(fn, "concrete_functions", []) or []:
        args = concrete.structured_input_signature[0]
        if args and hasattr(args[0], "shape"):
            return args[0].shape
    signature = getattr(obj, "signatures", {}).get("serving_default")
    if signature is not None:
        inputs = signature.structured_input_signature[1]
        if inputs:
            return next(iter(inputs.values())).shape
    return None


def input_image_size(resolved_or_path) -> int | None:
    """The module's fixed square input size read from its signature, or ``None`` if it takes any size."""
    path = getattr(resolved_or_path, "path_or_handle", resolved_or_path)
    shape = _call_input_shape(tf().saved_model.load(str(path)))
    if shape is None or len(shape) != 4:
        return None
    height, width = shape[1], shape[2]
    if height is None or width is None:
        return None
    if height != width:
        raise LabkitError(f"{path} expects {height}×{width} images; labkit supports square inputs only")
    return int(height)


def image_size_for(
    resolved: ResolvedModule, requested: int | None = None, *, strict: bool = True, flag: str = ""
) -> int:
    """The image size to feed: the module's fixed size (a conflicting ``requested`` is an error, or
    with ``strict=False`` a printed note), else ``requested``, else the registry's size. ``flag``
    (e.g. ``"--image_size"``) is named in the error."""
    fixed = input_image_size(resolved)
    if fixed is not None and requested is not None and requested != fixed and not strict:
        print(f"[labkit] {resolved.spec.name} takes {fixed}×{fixed} images: using {fixed} instead of {requested}")
        return fixed
    if fixed is not None and requested is not None and requested != fixed:
        what = f"{flag}={requested}" if flag else f"image size {requested}"
        raise LabkitError(
            f"{what} conflicts with the module's fixed input size {fixed} "
            f"({resolved.path_or_handle}); use {fixed} or omit {flag or 'the image size'}"
        )
    size = fixed or requested or resolved.spec.image_size
    if size is None:
        raise LabkitError(f"{resolved.path_or_handle} accepts any image size and none was given: pass an image size")
    return int(size)


def output_dim(resolved: ResolvedModule, image_size: int | None = None) -> int:
    """The module's output size, measured by running it on one blank image."""
    size = image_size or image_size_for(resolved)
    out = load(resolved)(tf().zeros([1, size, size, 3]))
    return int(out.shape[-1])


def imagenet_labels(path=None) -> list[str] | None:
    """The 1001 ImageNet labels (index 0 = background): ``path`` → Keras cache → download (``LABKIT_MIRROR``
    or the original URL); ``None`` if unreachable or offline. A damaged file raises."""
    if path and Path(path).exists():
        return Path(path).read_text(encoding="utf-8").splitlines()
    cache, download = store.candidates(registry.get("imagenet_labels"))
    found = cache.load()
    if found is None and not (download.network and provenance.offline_mode()):
        try:
            found = download.load()
        except NotReachable as exc:
            print(f"[labkit] ImageNetLabels.txt: not reachable ({exc}); labels shown as class numbers")
            return None
    return None if found is None else found[0].read_text(encoding="utf-8").splitlines()
