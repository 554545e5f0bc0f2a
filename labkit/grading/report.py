"""The grading reports: ``grades.csv`` (a row per student: credit per question + total),
``grades.json`` (everything: run settings, problems, errors, timings, values) and a self-contained
``report.html`` (the table, each student's failures with the error excerpt and cell, and links to
the executed notebooks)."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from labkit.atomic import write_json, write_text

STATUS_WORDS = {
    "ok": "ran cleanly",
    "failed": "raised an exception",
    "timeout": "killed: wall-time limit",
    "memory": "killed: memory limit",
    "output": "killed: output limit",
    "disk": "killed: disk limit",
    "crashed": "kernel/process died",
    "invalid": "not a valid notebook",
    "missing": "not submitted",
}


def csv_text(rubric, records: dict) -> str:
    """``student, <question ids…>, total`` — credit earned per question."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = [q["id"] for q in rubric.questions]
    writer.writerow(["student", *ids, "total"])
    for sid, record in records.items():
        writer.writerow([sid, *[f"{record['questions'][q]['credit']:g}" for q in ids], f"{record['total']:g}"])
    return buffer.getvalue()


def _excerpt(text, lines: int = 12) -> str:
    text = (text or "").strip()
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def _student_html(sid: str, record: dict) -> str:
    parts = [f'<section id="{html.escape(sid)}"><h3>{html.escape(sid)} — {record["total"]:g} points</h3>']
    if record.get("problems"):
        parts.append(
            "<ul class=problems>" + "".join(f"<li>{html.escape(p)}</li>" for p in record["problems"]) + "</ul>"
        )
    for name, nb in record["notebooks"].items():
        link = f' · <a href="{html.escape(nb["executed"])}">executed notebook</a>' if nb.get("executed") else ""
        parts.append(
            f'<h4>{html.escape(name)} <span class="st {nb["status"]}">{html.escape(STATUS_WORDS.get(nb["status"], nb["status"]))}</span>'
            f" <small>{html.escape(nb.get('file') or '')} · {nb.get('seconds', 0):g} s"
            f"{' · peak ' + str(nb.get('peak_rss_mb')) + ' MB' if nb.get('peak_rss_mb') else ''}</small>{link}</h4>"
        )
        for warning in nb.get("warnings", []):
            parts.append(f"<p class=warn>{html.escape(warning)}</p>")
        err = nb.get("error")
        if err:
            cell = "" if err.get("cell_index") is None else f" in cell {err['cell_index']} of the executed copy"
            log = f' · <a href="{html.escape(err["kernel_log"])}">kernel log</a>' if err.get("kernel_log") else ""
            parts.append(
                f"<p><b>{html.escape(str(err.get('ename')))}</b>{cell}{log}</p>"
                f"<pre>{html.escape(_excerpt(err.get('evalue')))}</pre>"
            )
            if err.get("source"):
                parts.append(
                    f"<details><summary>cell source</summary><pre>{html.escape(err['source'][:2000])}</pre></details>"
                )
    lost = [(q, v) for q, v in record["questions"].items() if not v["credit"]]
    if lost:
        parts.append(
            "<table><tr><th>no credit</th><th>why</th></tr>"
            + "".join(f"<tr><td>{html.escape(q)}</td><td>{html.escape(v['reason'])}</td></tr>" for q, v in lost)
            + "</table>"
        )
    return "\n".join(parts) + "</section>"


CSS = """body{font:14px system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}td.c1{background:#d9f2d9}td.c0{background:#f8d7d7}
pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:20em}.st{font-size:80%;padding:1px 6px;border-radius:3px;background:#eee}
.st.ok{background:#d9f2d9}.st.failed,.st.timeout,.st.memory,.st.crashed,.st.invalid,.st.output{background:#f8d7d7}
.warn,.problems{color:#8a5300}.banner{padding:.6em;background:#fff3cd}"""


def html_text(meta: dict, rubric, records: dict) -> str:
    """The self-contained HTML report."""
    ids = [q["id"] for q in rubric.questions]
    head = "".join(
        f'<th title="{html.escape(q.get("text", ""))}">{html.escape(q["id"])}</th>' for q in rubric.questions
    )
    rows = []
    for sid, record in records.items():
        cells = "".join(
            f'<td class="c{int(bool(record["questions"][q]["credit"]))}" '
            f'title="{html.escape(record["questions"][q]["reason"])}">{record["questions"][q]["credit"]:g}</td>'
            for q in ids
        )
        rows.append(
            f'<tr><td><a href="#{html.escape(sid)}">{html.escape(sid)}</a></td>{cells}<td><b>{record["total"]:g}</b></td></tr>'
        )
    level = meta["isolation"]
    banner = meta.get("protects") or (
        "bubblewrap sandbox (read-only system, no network, only the scratch dir writable)"
        if level == "bwrap"
        else "process level only (time/memory limits; NO filesystem or network sandbox)"
    )
    warnings = "".join(
        f"<p class=banner>{html.escape(w)}</p>" for w in meta.get("warnings", []) + meta.get("class_problems", [])
    )
    limits = meta["limits"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>labkit grades</title><style>{CSS}</style></head><body>
<h1>labkit grades</h1>
<p>{len(records)} students · profile <b>{html.escape(meta["profile"])}</b> · isolation: <b>{html.escape(level)}</b> — {html.escape(banner)} ·
limits {limits["timeout"]:g} s, {limits["memory_bytes"] / 2**30:.2f} GB per notebook · backend {html.escape(meta["backend"])} ·
rubric <code>{html.escape(meta["rubric"])}</code> · finished {html.escape(meta["finished"])}</p>{warnings}
<table><tr><th>student</th>{head}<th>total</th></tr>{"".join(rows)}</table>
<h2>Per student</h2>
{"".join(_student_html(sid, r) for sid, r in records.items())}
</body></html>
"""


def write_all(out_dir: Path, meta: dict, rubric, records: dict) -> None:
    """Write grades.csv, grades.json and report.html into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    write_text(out_dir / "grades.csv", csv_text(rubric, records))
    write_json(out_dir / "grades.json", {"run": meta, "questions": rubric.questions, "students": records})
    write_text(out_dir / "report.html", html_text(meta, rubric, records))
