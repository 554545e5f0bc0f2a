"""After execution: which cell recorded which answer, and which answers count.

``results.record`` leaves each answer in the output of the cell that recorded it, as a display output
of MIME type :data:`labkit.results.RECORD_MIME`. In the executed copy, an autograded answer counts
only when it was recorded by the locked cell that owns it (manifest ``records``) and that cell was
not tampered with. An answer recorded by any other cell, an answer found only in (or different in)
the results files the notebook wrote, and the answers of a tampered locked cell earn nothing and are
reported as tampered. The results files are a cross-check only: the sandbox can write them freely.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from labkit.results import RECORD_MIME

COMPLETE = ("ok", "failed")  # papermill saved every output (a killed run may lose the last ones)


def read_notebook(path: Path, max_bytes: int) -> dict | None:
    """The executed notebook as JSON, or ``None`` if it is missing, not a regular file (a link), larger
    than ``max_bytes`` or not JSON. Read without following links."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        try:
            data = json.loads(handle.read())
        except (ValueError, UnicodeDecodeError):
            return None
    return data if isinstance(data, dict) and isinstance(data.get("cells"), list) else None


def recordings(nb: dict) -> list[tuple[int, str, dict]]:
    """``(cell index, cell id, payload)`` for every recorded answer in the executed notebook, in order."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs") or []:
            data = output.get("data") if isinstance(output, dict) else None
            payload = data.get(RECORD_MIME) if isinstance(data, dict) else None
            if isinstance(payload, dict) and isinstance(payload.get("id"), str):
                found.append((index, str(cell.get("id", "")), payload))
    return found


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _verdict(question: str, owner: str, owners: dict, seen: list, files: dict, status: str):
    """``(entry or None, tampered message or None)`` for one question owned by locked cell ``owner``."""
    others = [index for index, cell_id, _ in seen if owners.get(cell_id) != owner]
    if others:
        where = ", ".join(map(str, others))
        return None, f"{question} recorded by cell {where} of the executed notebook, not by its locked cell {owner}"
    entry = {k: v for k, v in seen[-1][2].items() if k != "id"} if seen else None
    if question in files:
        if entry is not None and not _same(files[question].get("value"), entry.get("value")):
            return None, f"{question} in the results files differs from what its locked cell {owner} recorded"
        if entry is None and status in COMPLETE:
            return None, f"{question} is in the results files but its locked cell {owner} did not record it"
    return entry, None


def attribute(nb: dict | None, release: dict, owners: dict, tampered: dict, questions: list, files: dict, status: str):
    """Judge the executed notebook ``nb`` for the rubric ``questions`` (ids) of one notebook.

    ``release``: the release's notebook entry; ``owners``: cell id -> locked grade_id (from
    :func:`labkit.grading.integrity.locked.restore`); ``tampered``: grade_id -> message; ``files``: what the
    results files say (untrusted); ``status``: how the run ended. Returns ``(answers {id: entry},
    tampered messages, forfeited {id: reason})``."""
    by_question: dict[str, list] = {}
    for index, cell_id, payload in recordings(nb or {}):
        by_question.setdefault(payload["id"], []).append((index, cell_id, payload))
    answers, messages, forfeited = {}, list(tampered.values()), {}
    for question in questions:
        owner = release["owners"].get(question)
        if owner is None:
            forfeited[question] = f"no locked cell of the release records {question}"
            continue
        if owner in tampered:
            forfeited[question] = f"tampered: {tampered[owner]}"
            continue
        entry, bad = _verdict(question, owner, owners, by_question.get(question, []), files, status)
        if bad:
            forfeited[question] = f"tampered: {bad}"
            messages.append(bad)
        elif entry is not None:
            answers[question] = entry
    return answers, messages, forfeited
