"""Feedback handed back: one folder (or zip) per student from a ``labkit grade --out`` folder
(``labkit feedback GRADES --out DIR``).

Each bundle holds only that student's files: ``feedback.html`` (points, why — without the key — and the
grader's comments), ``notebooks/<notebook>.ipynb`` (the graded copies, each failing cell preceded by a
marked note with the error) and ``written.md`` (each written answer with its points and comment). Files
are read only from the student's own places in the grades folder, never through a link.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import nbformat

from labkit.atomic import write_bytes
from labkit.errors import LabkitError
from labkit.grading.student_record import StudentRecord

FAILED_NOTE = "**⚠ labkit: the cell below failed when your notebook was graded** — `{ename}: {evalue}`"


def _read_inside(root: Path, rel: str) -> bytes | None:
    """The bytes of ``root/rel`` when it is a regular file inside ``root`` (no link, no ``..``), else ``None``."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None


def marked_notebook(data: bytes) -> bytes:
    """The graded notebook with a marked note above every cell that raised."""
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    cells = []
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            note = FAILED_NOTE.format(
                ename=errors[0].get("ename", "Error"), evalue=str(errors[0].get("evalue", ""))[:300]
            )
            cells.append(nbformat.v4.new_markdown_cell(note))
        cells.append(cell)
    nb.cells = cells
    return nbformat.writes(nb).encode("utf-8")


def written_text(record: StudentRecord, texts: dict) -> str:
    """``written.md``: each written answer with its points and the grader's comment."""
    lines = [f"# Written answers of {record.name or record.student}", ""]
    for qid, verdict in record.questions.items():
        if qid not in texts:
            continue
        lines += [f"## {qid} · {texts[qid]}", "", f"**{verdict.get('credit', 0):g} / {verdict.get('points', 1):g}**"]
        if verdict.get("comment"):
            lines += ["", f"Grader's comment: {verdict['comment']}"]
        lines += ["", verdict.get("value") or "*(not answered)*", ""]
    return "\n".join(lines).rstrip() + "\n"


def bundle_files(grades: Path, record: StudentRecord, written: dict) -> dict[str, bytes]:
    """``{path in the bundle: bytes}`` for one student, read from their own places in ``grades`` only."""
    files = {}
    page = _read_inside(grades / "feedback", f"{record.student}.html")
    if page is not None:
        files["feedback.html"] = page
    own = grades / "notebooks" / record.student
    for name, nb in sorted(record.notebooks.items()):
        executed = nb.get("executed") or ""
        data = _read_inside(own, Path(executed).name) if executed.startswith(f"notebooks/{record.student}/") else None
        if data is not None:
            files[f"notebooks/{name}.ipynb"] = marked_notebook(data)
    if any(qid in written for qid in record.questions):
        files["written.md"] = written_text(record, written).encode("utf-8")
    return files


def _records(grades: Path) -> list[StudentRecord]:
    try:
        data = json.loads((grades / "grades.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise LabkitError(f"{grades}: no readable grades.json; pass a folder `labkit grade --out` wrote") from None
    return [StudentRecord.from_dict(r) for r in data.get("students", {}).values()]


def _written_texts(grades: Path) -> dict:
    data = json.loads((grades / "grades.json").read_text(encoding="utf-8"))
    return {q["id"]: q.get("text", "") for q in data.get("questions", []) if q.get("kind") == "written"}


def write_bundles(grades, out_dir, as_zip: bool = False, students=None) -> list[Path]:
    """One bundle per student of ``grades`` (all, or ``students``) into ``out_dir``; the paths written."""
    grades, out_dir = Path(grades), Path(out_dir)
    if out_dir.resolve().is_relative_to(grades.resolve()):
        raise LabkitError(f"--out {out_dir}: put the bundles outside the grades folder {grades}")
    records, written = _records(grades), _written_texts(grades)
    unknown = set(students or ()) - {r.student for r in records}
    if unknown:
        raise LabkitError(f"--student {', '.join(sorted(unknown))}: not in {grades / 'grades.json'}")
    written_paths = []
    for record in records:
        if students and record.student not in students:
            continue
        files = bundle_files(grades, record, written)
        if as_zip:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in sorted(files.items()):
                    archive.writestr(f"{record.student}/{name}", data)
            target = out_dir / f"{record.student}.zip"
            write_bytes(target, buffer.getvalue())
            written_paths.append(target)
            continue
        for name, data in sorted(files.items()):
            write_bytes(out_dir / record.student / name, data)
        written_paths.append(out_dir / record.student)
    return written_paths
