"""Small operations on (possibly hostile) notebook files: validation, kernel check, output capping,
where it stopped.

The grader's own memory stays bounded: it parses a notebook itself only up to ``PARSE_BYTES``.
A larger one (a submission under ``labkit grade --max-notebook-mb``, or an executed copy under
the output limit) is parsed by a short-lived helper process, ``python -m labkit.grading.integrity.nbfiles``,
with its address space capped at ``HELPER_MEMORY``; the grader streams the file to it or names
it, and gets a small JSON answer back. Outputs are capped while the kernel runs
(:mod:`labkit.grading.engine`), so executed copies are normally small anyway.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from labkit.atomic import write_text

MAX_OUTPUT_CHARS = 20_000  # per output text / data entry kept in the graded copy
PARSE_BYTES = 16 * 2**20  # the largest notebook the grader parses in its own process
HELPER_MEMORY = 4 * 2**30  # address-space limit of the helper process that parses larger ones
COURSE_KERNEL = "python3"
START_CALL = re.compile(r"""(?:labkit\.start|start|results\.begin)\(\s*["']([^"']+)["']""")


def _helper(args: list[str], stream=None, timeout: float = 600) -> dict | None:
    """Run ``python -m labkit.grading.integrity.nbfiles ARGS`` (``stream`` copied to its stdin); its JSON answer."""
    import shutil

    root = str(Path(__file__).resolve().parents[3])  # the folder holding the labkit package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit.grading.integrity.nbfiles", *args],
        stdin=subprocess.PIPE if stream is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        if stream is not None:
            with contextlib.suppress(BrokenPipeError):
                shutil.copyfileobj(stream, proc.stdin, 2**20)
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    try:
        answer = json.loads(out) if proc.returncode == 0 else None
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def identity(raw: bytes) -> dict:
    """What matching needs of a notebook: ``{"tagged": metadata name, "started": labkit.start names}``."""
    try:
        nb = json.loads(raw)
        meta = nb.get("metadata", {}) if isinstance(nb, dict) else {}
        tagged = (meta.get("labkit") or {}).get("notebook") or (meta.get("papermill") or {}).get("input_path") or ""
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
        code = "\n".join(
            "".join(c.get("source", "")) for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"
        )
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return {"tagged": "", "started": []}
    return {"tagged": str(tagged), "started": sorted(set(START_CALL.findall(code)))}


def identity_of(stream, size: int) -> dict:
    """:func:`identity` of a binary ``stream`` of ``size`` bytes (parsed by the helper above ``PARSE_BYTES``)."""
    if size <= PARSE_BYTES:
        return identity(stream.read())
    return _helper(["identity"], stream) or {"tagged": "", "started": []}


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


def inspect_file(path: Path) -> dict:
    """:func:`inspect`, in the helper process for a notebook over ``PARSE_BYTES``."""
    if Path(path).stat().st_size <= PARSE_BYTES:
        return inspect(path)
    answer = _helper(["inspect", str(path)])
    if answer is None:
        return {"invalid": f"could not be read within {HELPER_MEMORY / 2**30:g} GB of memory"}
    return answer


def _cap(text, limit: int) -> tuple[object, int]:
    joined = "".join(text) if isinstance(text, list) else text
    if not isinstance(joined, str) or len(joined) <= limit:
        return text, 0
    dropped = len(joined) - limit
    return joined[: limit // 2] + f"\n… [{dropped} characters dropped by labkit grade] …\n" + joined[
        -limit // 2 :
    ], dropped


def cap_outputs(nb: dict, limit: int = MAX_OUTPUT_CHARS) -> int:
    """Shorten every long output text, data, error message and traceback line in ``nb`` in place;
    return how many characters were dropped."""
    dropped = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if "text" in output:
                output["text"], n = _cap(output["text"], limit)
                dropped += n
            if "evalue" in output:
                output["evalue"], n = _cap(output["evalue"], limit)
                dropped += n
            if isinstance(output.get("traceback"), list):
                capped = [_cap(line, limit) for line in output["traceback"]]
                output["traceback"] = [line for line, _ in capped]
                dropped += sum(n for _, n in capped)
            for mime, data in list((output.get("data") or {}).items()):
                output["data"][mime], n = _cap(data, limit if mime.startswith("text") else 4 * limit)
                dropped += n
    return dropped


def _not_kept_notebook(why: str) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"**labkit grade:** the executed notebook was not kept: {why}.")]
    return nbformat.writes(nb) + "\n"


def _cap_here(src: Path, dest: Path, limit: int) -> int:
    try:
        nb = json.loads(src.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return -1
    if not isinstance(nb, dict):
        return -1
    dropped = cap_outputs(nb, limit)
    write_text(dest, json.dumps(nb, indent=1) + "\n")
    return dropped


def cap_file(
    src: Path, dest: Path, max_bytes: int, limit: int = MAX_OUTPUT_CHARS, parse_bytes: int = PARSE_BYTES
) -> int:
    """Copy notebook ``src`` to ``dest`` with outputs capped; return the characters dropped, -1 if
    ``src`` is unusable. Over ``parse_bytes`` the helper process does it; over ``max_bytes`` (the
    output limit) nothing is parsed: ``dest`` is a one-cell notebook saying so, all of it dropped."""
    if src.is_symlink() or not src.is_file():
        return -1
    size = src.stat().st_size
    if size <= min(parse_bytes, max_bytes):
        return _cap_here(src, dest, limit)
    if size <= max_bytes:
        answer = _helper(["cap", str(src), str(dest), str(limit)])
        if answer is not None:
            return int(answer["dropped"])
        why = f"at {size / 2**20:.0f} MB it could not be read within {HELPER_MEMORY / 2**30:g} GB of memory"
    else:
        why = f"at {size / 2**20:.0f} MB it is over the {max_bytes / 2**20:.0f} MB output limit"
    write_text(dest, _not_kept_notebook(why))
    return size


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


def _main(argv: list[str]) -> int:
    """The helper process: ``identity`` (notebook on stdin) | ``inspect PATH`` | ``cap SRC DEST LIMIT``."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (HELPER_MEMORY, HELPER_MEMORY))
    command = argv[0]
    if command == "identity":
        answer = identity(sys.stdin.buffer.read())
    elif command == "inspect":
        answer = inspect(Path(argv[1]))
    elif command == "cap":
        answer = {"dropped": _cap_here(Path(argv[1]), Path(argv[2]), int(argv[3]))}
    else:
        return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
