"""Small operations on (possibly hostile) notebook files: validation, output capping, where it stopped."""

from __future__ import annotations

import json
from pathlib import Path

MAX_OUTPUT_CHARS = 20_000  # per output text / data entry kept in the graded copy


def validate(path: Path) -> str | None:
    """``None`` if ``path`` is a readable nbformat-4 notebook, else what is wrong with it."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for broken files
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}"
    return None


def has_parameters_cell(path: Path) -> bool:
    """Whether a code cell carries the papermill ``parameters`` tag."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return any(
        "parameters" in c.get("metadata", {}).get("tags", [])
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


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


def cap_file(src: Path, dest: Path, max_bytes: int, limit: int = MAX_OUTPUT_CHARS) -> int:
    """Copy notebook ``src`` to ``dest`` with outputs capped; -1 if ``src`` is unusable."""
    from labkit.atomic import write_text

    if src.is_symlink() or not src.is_file() or src.stat().st_size > max_bytes:
        return -1
    try:
        nb = json.loads(src.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return -1
    dropped = cap_outputs(nb, limit)
    write_text(dest, json.dumps(nb, indent=1) + "\n")
    return dropped


def stopped_at(nb_path: Path) -> dict | None:
    """The cell papermill marked as running in a partly executed copy (``{"cell_index", "source"}``)."""
    try:
        nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            source = cell.get("source", "")
            return {"cell_index": index, "source": ("".join(source) if isinstance(source, list) else source)[:2000]}
    return None
