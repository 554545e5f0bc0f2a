"""``--tfhub_module``: a handle, a registry name, ``offline`` or a local SavedModel folder.

Policy for a handle (or registry name) that is in no cache and cannot be downloaded:
- with the offline switch (``labkit --offline`` / ``LABKIT_OFFLINE=1``) labkit's own backbone is
  used instead, announced loudly (``OFFLINE DEFAULT … instead of <handle>``);
- otherwise it is an error saying how to provide the module. labkit never trains on a different
  model than the one named without being told to.

The backbone standing in for a known module with a fixed input size (Inception V3: 299,
MobileNetV2: 224) takes only that size too (:func:`labkit.backbone.ensure_fixed`): a wrong
``--image_size`` fails and an omitted one is inferred from the module, exactly as online.
"""

from __future__ import annotations

from dataclasses import replace

from labkit import backbone, hub, provenance
from labkit.assets import registry, store
from labkit.errors import NotReachable, SourceNotFound


def _is_handle_or_name(text: str) -> bool:
    return "://" in text or text.startswith(("gs:", "hub:")) or hub.spec_for(text) is not None


def _try_download(handle: str) -> str | None:
    """Download ``handle`` into the TF Hub cache (:mod:`labkit.assets`); why it is not reachable, or
    ``None`` on success. A damaged download raises (never a reason to use another model)."""
    try:
        step = store.candidates(registry.for_handle(handle))[1]
        step.load()
        return None
    except NotReachable as exc:
        return " ".join(str(exc).split())


def unreachable(text: str, handle: str, why: str) -> SourceNotFound:
    """The guidance for a module that is neither cached nor downloadable."""
    return SourceNotFound(
        f"--tfhub_module={text}: cannot load {handle} ({why}).\n"
        "Provide it in one of these ways:\n"
        f"  * put the extracted module in the TF Hub cache: {hub.cached_module_dir(handle)}\n"
        "    (TFHUB_CACHE_DIR/<sha1 of the handle>; TFHUB_CACHE_DIR is now "
        f"{hub.tfhub_cache_dir()}), or\n"
        "  * download the module's .tar.gz elsewhere, extract it and pass the folder: "
        "--tfhub_module=/path/to/module, or\n"
        "  * use labkit's own offline backbone: --tfhub_module=offline (or run with `labkit --offline` / "
        "LABKIT_OFFLINE=1, which substitutes it for an unreachable handle and says so)."
    )


def resolve(text: str, *, backbone_size: str = "quick") -> hub.ResolvedModule:
    """The module named by ``--tfhub_module``, following the policy in the module docstring."""
    text = str(text)
    if text == hub.OFFLINE or not _is_handle_or_name(text):
        return hub.resolve_module(text, backbone_size=backbone_size)  # offline, or a local folder
    spec = hub.spec_for(text)
    handle = spec.handle if spec else text
    if not hub.is_saved_model_dir(hub.cached_module_dir(handle)) and not provenance.offline_mode():
        why = _try_download(handle)
        if why is not None:
            raise unreachable(text, handle, why)
    return fixed_size_stand_in(hub.resolve_module(text, backbone_size=backbone_size, what=f"hub module {text}"), spec)


def fixed_size_stand_in(resolved: hub.ResolvedModule, spec) -> hub.ResolvedModule:
    """For labkit's backbone standing in for ``spec`` (a registry module with a fixed input size), the
    backbone behind that fixed size; anything else unchanged."""
    if not resolved.is_offline_default or spec is None or not spec.image_size:
        return resolved
    path, source = backbone.ensure_fixed(spec.image_size, backbone_size_of(resolved))
    detail = f"{source.detail} (instead of {spec.name}, keeping its {spec.image_size}×{spec.image_size} input)"
    return replace(
        resolved,
        path_or_handle=str(path),
        source=replace(resolved.source, detail=detail),
        spec=replace(resolved.spec, image_size=spec.image_size),
    )


def backbone_size_of(resolved: hub.ResolvedModule) -> str:
    """``"quick"`` or ``"full"``: which build of the backbone ``resolved`` is."""
    return "full" if "-full-" in str(resolved.path_or_handle) else "quick"


def image_size(resolved: hub.ResolvedModule, requested: int | None, wanted: str = "") -> int:
    """The input size: the module's fixed size (a conflicting request is an error, as in the
    original), else ``requested``; for labkit's backbone standing in for a known module, that
    module's size unless another is requested (allowed, with a note saying the real module would
    refuse it); for the backbone itself its native size."""
    if resolved.spec.name == hub.OFFLINE and resolved.spec.image_size is None:  # the any-size backbone
        stand_in = hub.spec_for(wanted) if wanted else None
        fixed = stand_in.image_size if stand_in else None
        if requested is None:
            size = fixed or backbone.NATIVE_SIZE
            print(f"[labkit] labkit's backbone takes any image size; using {size} (pass --image_size to change it)")
            return size
        if fixed and requested != fixed:
            print(
                f"[labkit] note: {wanted} takes only {fixed}×{fixed} images and would reject --image_size="
                f"{requested}; labkit's offline backbone standing in for it takes any size, so {requested} is used"
            )
        return requested
    return hub.image_size_for(resolved, requested, strict=True, flag="--image_size")


def describe(resolved: hub.ResolvedModule) -> str:
    """Where the module came from, for logs and results."""
    return f"{resolved.path_or_handle} ({resolved.source})"
