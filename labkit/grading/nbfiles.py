"""Small operations on (possibly hostile) notebook files: validation, kernel check, output capping,
where it stopped.

The grader's own memory stays bounded: an executed notebook is parsed only up to
``PARSE_BYTES`` (outputs are already capped while the kernel runs, see
:mod:`labkit.grading.engine`, so a larger file was written by the notebook itself); above it, the
graded copy is a one-cell notebook saying so. A submitted notebook is read once, and only when it
is under ``labkit grade --max-notebook-mb`` (checked before, see :mod:`.submissions`).
"""

from __future__ import annotations

import json
from pathlib import Path

MAX_OUTPUT_CHARS = 20_000  # per output text / data entry kept in the graded copy
PARSE_BYTES = 24 * 2**20  # the largest executed notebook the grader parses
COURSE_KERNEL = "python3"


def _installed_kernels() -> set[str]:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        return set(KernelSpecManager().find_kernel_specs())
    except Exception:  # a broken Jupyter setup: every kernel counts as missing
        return set()


def kernel_note(metadata: dict) -> str | None:
    """``None`` if the notebook names the course's Python kernel, else the substitution note."""
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    name = spec.get("name")
    languages = [str(x) for x in (spec.get("language"), info.get("name")) if x]
    foreign = [x for x in languages if x.lower() != "python"]
    if name == COURSE_KERNEL and not foreign:
        return None
    if not name:
        why = "the notebook names no kernel"
    elif foreign:
        why = f"its language is {foreign[0]}"
    elif name not in _installed_kernels():
        why = "no such kernel is installed here"
    else:
        why = "it is not the course's Python kernel"
    shown = repr(name) if name else "(none)"
    return f"kernel {shown} replaced by {COURSE_KERNEL} ({why}); parameters injected as Python"


def inspect(path: Path) -> dict:
    """One read of a submitted notebook: ``{"invalid": why or None, "parameters": bool, "kernel_note"}``."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for broken files
        text = str(exc).strip()
        return {"invalid": f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"}
    tagged = any(
        "parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells if c.get("cell_type") == "code"
    )
    return {"invalid": None, "parameters": tagged, "kernel_note": kernel_note(nb.metadata)}


def _cap(text, limit: int) -> tuple[object, int]:
    joined = "".join(text) if isinstance(text, list) else text
    if not isinstance(joined, str) or len(joined) <= limit:
        return text, 0
    dropped = len(joined) - limit
    return joined[: limit // 2] + f"\n… [{dropped} characters dropped by labkit grade] …\n" + joined[
        -limit // 2 :
    ], dropped


def cap_outputs(nb: dict, limit: int = MAX_OUTPUT_CHARS) -> int:
    """Shorten every long output text/data in ``nb`` in place; return how many characters were dropped."""
    dropped = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if "text" in output:
                output["text"], n = _cap(output["text"], limit)
                dropped += n
            for mime, data in list((output.get("data") or {}).items()):
                output["data"][mime], n = _cap(data, limit if mime.startswith("text") else 4 * limit)
                dropped += n
    return dropped


def _too_large_notebook(size: int, limit: int) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"**labkit grade:** the executed notebook was {size / 2**20:.0f} MB, more than the "
            f"{limit / 2**20:.0f} MB the grader reads back. Outputs are capped while the kernel runs, "
            "so the notebook's own code must have written that file; it was not kept."
        )
    ]
    return nbformat.writes(nb) + "\n"


def cap_file(
    src: Path, dest: Path, max_bytes: int, limit: int = MAX_OUTPUT_CHARS, parse_bytes: int = PARSE_BYTES
) -> int:
    """Copy notebook ``src`` to ``dest`` with outputs capped; return the characters dropped, -1 if
    ``src`` is unusable. Over ``parse_bytes`` (or ``max_bytes``) it is not parsed: ``dest`` gets a
    one-cell notebook saying so, and the whole size counts as dropped."""
    from labkit.atomic import write_text

    if src.is_symlink() or not src.is_file():
        return -1
    size = src.stat().st_size
    if size > min(parse_bytes, max_bytes):
        write_text(dest, _too_large_notebook(size, min(parse_bytes, max_bytes)))
        return size
    try:
        nb = json.loads(src.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return -1
    if not isinstance(nb, dict):
        return -1
    dropped = cap_outputs(nb, limit)
    write_text(dest, json.dumps(nb, indent=1) + "\n")
    return dropped


def stopped_at(nb_path: Path) -> dict | None:
    """The cell papermill marked as running in a partly executed copy (``{"cell_index", "source"}``)."""
    try:
        path = Path(nb_path)
        if path.is_symlink() or path.stat().st_size > PARSE_BYTES:
            return None
        nb = json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(nb, dict):
        return None
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            source = cell.get("source", "")
            return {"cell_index": index, "source": ("".join(source) if isinstance(source, list) else source)[:2000]}
    return None
