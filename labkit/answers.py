"""``labkit answers build``: the instructor's answer key from recorded results.

Every question of :data:`labkit.questions.QUESTIONS` gets the value its notebook recorded, with
that value's provenance (data/model sources, profile, device, TF version); every conceptual
question of :data:`labkit.questions.CONCEPTS` gets its sourced prose from ``answers/conceptual.md``
with each ``{{ID}}`` / ``{{ID.field}}`` / ``{{ID@meta}}`` replaced by the recorded value. Nothing
numeric is typed in. Output: ``answers/answers.json`` and ``answers/ANSWERS.md``; timestamps are
left out so that the same inputs give the same files apart from measured timings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit import project, runner
from labkit.atomic import write_json, write_text
from labkit.errors import LabkitError
from labkit.questions import CONCEPTS, QUESTIONS

PLACEHOLDER = re.compile(r"\{\{([A-Za-z0-9_.]+?)(?:@([a-z_]+))?\}\}")
_PROVENANCE_KEYS = ("notebook", "sources", "params", "device", "devices", "tf_version")


def recorded(run: dict) -> dict:
    """``{question id: entry}`` over every notebook of a run's ``results.json``."""
    return {qid: entry for nb in run.get("notebooks", {}).values() for qid, entry in nb.get("results", {}).items()}


def _pick(value, path: list[str]):
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _lookup(results: dict, ref: str):
    """Resolve ``A.b.c`` as the longest recorded id prefix, then fields of its dict value."""
    parts = ref.split(".")
    for cut in range(len(parts), 0, -1):
        qid = ".".join(parts[:cut])
        if qid in results:
            return qid, _pick(results[qid]["value"], parts[cut:])
    return None, None


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return "\n\n" + markdown_table(value) + "\n\n"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_nested(v)}" for k, v in value.items())
    return str(value)


def _nested(value) -> str:
    """A value inside a dict answer: a table in it is counted, not spelled out (a key stays short; the
    notebooks record such tables under their own ids)."""
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return f"({len(value)} rows)"
    return _format(value)


def markdown_table(rows: list[dict]) -> str:
    """A list of dicts as a Markdown table."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_format(r.get(k, "")).strip() for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def concept_sections(path=None) -> dict[str, dict]:
    """``{"K1": {"title", "body"}}`` from the ``## K<n> · title`` sections of conceptual.md."""
    text = Path(path or project.answers_dir() / "conceptual.md").read_text(encoding="utf-8")
    sections = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        qid, _, title = head.partition(" · ")
        sections[qid.strip()] = {"title": title.strip(), "body": body.strip()}
    return sections


def render(body: str, results: dict) -> tuple[str, list[str], list[str]]:
    """Fill placeholders; returns (text, evidence ids used, ids that were not recorded)."""
    used, missing = [], []

    def fill(match):
        ref, meta = match.group(1), match.group(2)
        qid, value = _lookup(results, ref)
        if qid is None:
            missing.append(ref)
            return f"**[not recorded: {ref}]**"
        used.append(qid)
        if not meta and isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            return f"(the table recorded as `{qid}`, above)"  # once in the key, not again in the prose
        return str(results[qid].get(meta)) if meta else _format(value)

    return PLACEHOLDER.sub(fill, body), list(dict.fromkeys(used)), missing


def build_key(run: dict, conceptual_path=None) -> dict:
    """The answer key as a JSON-able dict."""
    results = recorded(run)
    key = {"profile": run.get("profile"), "offline": run.get("offline"), "questions": [], "concepts": []}
    for q in QUESTIONS:
        entry = results.get(q.id)
        key["questions"].append(
            {
                "id": q.id,
                "part": q.part,
                "question": q.text,
                "notebook": q.notebook,
                "answer": None if entry is None else entry["value"],
                "recorded": entry is not None,
                "timing": q.timing,
                "provenance": None if entry is None else {k: entry.get(k) for k in _PROVENANCE_KEYS},
            }
        )
    sections = concept_sections(conceptual_path)
    for concept in CONCEPTS:
        if concept.id not in sections:
            raise LabkitError(f"answers/conceptual.md has no section '## {concept.id} · …' for: {concept.text}")
        text, evidence, missing = render(sections[concept.id]["body"], results)
        key["concepts"].append(
            {
                "id": concept.id,
                "question": concept.text,
                "answer": text,
                "evidence": evidence,
                "missing_evidence": missing,
                "provenance": {e: {k: results[e].get(k) for k in _PROVENANCE_KEYS} for e in evidence},
            }
        )
    return key


# --- ANSWERS.md ------------------------------------------------------------------------------------

SAMPLE_KEYS = {"n_test": "test", "n_val": "validation", "val_images": "validation", "test_images": "test"}
FEW_IMAGES = 3  # an accuracy difference of this many images or fewer is "a few images"


def _provenances(key: dict) -> list[dict]:
    """Every answer's provenance, the questions first, then the concepts' evidence."""
    provs = [q["provenance"] for q in key["questions"] if q["provenance"]]
    return provs + [p for c in key["concepts"] for p in c["provenance"].values()]


class Legend:
    """The provenance legend printed once: each data/model source as ``S<n>``, each distinct run
    context (notebook · profile · device · TensorFlow · sources) as ``P<n>``; answers cite ``P<n>``."""

    def __init__(self, key: dict):
        provs = _provenances(key)
        items = dict.fromkeys(f"{k}: {v}" for p in provs for k, v in (p.get("sources") or {}).items())
        self.sources = {item: f"S{i}" for i, item in enumerate(items, 1)}
        self.runs = {line: f"P{i}" for i, line in enumerate(dict.fromkeys(map(self.line, provs)), 1)}

    def line(self, prov: dict) -> str:
        labels = [self.sources[f"{k}: {v}"] for k, v in (prov.get("sources") or {}).items()]
        return (
            f"{prov.get('notebook')} · profile {(prov.get('params') or {}).get('PROFILE')} · {prov.get('device')} · "
            f"TensorFlow {prov.get('tf_version')} · " + (", ".join(labels) or "no data/model source")
        )

    def label(self, prov: dict) -> str:
        return self.runs[self.line(prov)]

    def ref(self, prov: dict) -> str:
        return f"[{self.label(prov)}](#provenance)"

    def lines(self) -> list[str]:
        runs = [line.split(" · ") for line in self.runs]
        shared = [part for part in runs[0][1:-1] if all(part in r[1:-1] for r in runs)] if runs else []
        said = f" — all {', '.join(shared)}" if shared else ""
        return [
            "## Provenance",
            "",
            "Data and model sources (cache paths left out):",
            "",
            *[f"- **{label}** {_without_paths(item)}" for item, label in self.sources.items()],
            "",
            f"Runs (notebook · profile · device · TensorFlow · sources{said}); each answer names its run:",
            "",
            *[f"- **{label}** {_shortened(line, shared)}" for line, label in self.runs.items()],
            "",
        ]


def _shortened(line: str, shared: list[str]) -> str:
    return " · ".join(part for part in line.split(" · ") if part not in shared)


def _without_paths(text: str) -> str:
    """A source description without the machine's absolute paths (``… in /root/.cache/…``, ``… /x/y.pb``)."""
    return re.sub(r"(?:\s+in)?\s+/\S+", "", text)


def _built_from(key: dict) -> str:
    """Which of the run's data/model sources were offline stand-ins, in one sentence."""
    named = {k: str(v) for p in _provenances(key) for k, v in (p.get("sources") or {}).items()}
    stand_ins = sorted(k for k, v in named.items() if v.startswith("offline:"))
    if not stand_ins:
        return "It used the homework's datasets and TF Hub modules; its numbers are still those of one run."
    which = "All its" if len(stand_ins) == len(named) else f"{len(stand_ins)} of its {len(named)}"
    return (
        f"{which} data and model sources are offline stand-ins ({', '.join(stand_ins)}): synthetic images and "
        "small networks trained here instead of the homework's datasets and TF Hub modules, so **its numbers "
        "are not the homework's expected values** — they are what this run measured, and show what each answer "
        "looks like and how it is worked out."
    )


def _header(key: dict, legend: Legend) -> list[str]:
    mode = "offline (no downloads)" if key["offline"] else "online"
    return [
        "# Answer key",
        "",
        f"Built by `labkit answers build` from one recorded run of the notebooks: profile `{key['profile']}`, "
        f"{mode}. {_built_from(key)} Timings depend on the machine (medians of repeated runs with their range). "
        "The questions' texts are in `answers/rubric.json`. Do not edit by hand: change the notebooks, "
        "`answers/homework/` or `answers/conceptual.md` and rebuild.",
        "",
        *legend.lines(),
    ]


def _accuracy_column(keys) -> str | None:
    for k in keys:
        name = k.lower()
        if name.startswith("class") or "train" in name or "jump" in name:
            continue  # detection class accuracy (over boxes), training accuracy, swings
        if "acc" in name or name in ("pretrained", "random_weights"):
            return k
    return None


def _images(count: int) -> str:
    return f"{count} image{'' if count == 1 else 's'}"


def _difference(images: int) -> str:
    few = " — a few images, not a reliable difference" if images <= FEW_IMAGES else ""
    return f"{_images(images)}{few}"


def sample_note(answer) -> str | None:
    """The sample size behind an accuracy comparison (a table of runs or a pretrained/random dict) and,
    when it is known, how many images the compared accuracies differ by; ``None`` for other answers."""
    if isinstance(answer, dict) and "margin" in answer and _accuracy_column(answer):
        n_key = next((k for k in SAMPLE_KEYS if k in answer), None)
        if n_key is None:
            return "Sample size not recorded in this run."
        n = int(answer[n_key])
        return f"Out of {n} {SAMPLE_KEYS[n_key]} images: the margin is {_difference(round(abs(answer['margin']) * n))}."
    if not (isinstance(answer, list) and len(answer) > 1 and all(isinstance(r, dict) for r in answer)):
        return None
    column = _accuracy_column(answer[0])
    if column is None:
        return None
    n_key = next((k for k in SAMPLE_KEYS if k in answer[0]), None)
    if n_key is None:
        return "Sample size not recorded in this run."
    sizes = sorted({int(r[n_key]) for r in answer})
    kind = SAMPLE_KEYS[n_key]
    if len(sizes) > 1:
        return f"`{column}` is measured on {sizes[0]}–{sizes[-1]} {kind} images per row (`{n_key}`)."
    values = [float(r[column]) for r in answer if isinstance(r.get(column), (int, float))]
    spread = round((max(values) - min(values)) * sizes[0])
    return (
        f"`{column}` is out of {sizes[0]} {kind} images (one image = {100 / sizes[0]:.2g} percentage points); "
        f"highest and lowest differ by {_difference(spread)}."
    )


def _one_line(q: dict) -> str | None:
    """The answer as one table cell, or ``None`` when it needs a section (a table, a long value, a note)."""
    if not q["recorded"]:
        return "**not recorded in this run**"
    answer = _format(q["answer"]).strip() + (" *(timing)*" if q["timing"] else "")
    if "\n" in answer or "|" in answer or sample_note(q["answer"]) or len(answer) > 400:
        return None
    return answer


def _short_table(rows: list[dict], legend: Legend) -> list[str]:
    """One-line answers of a part as one table: id, answer, run."""
    if not rows:
        return []
    lines = ["| id | answer | run |", "|---|---|---|"]
    for q in rows:
        run = legend.label(q["provenance"]) if q["recorded"] else ""
        lines.append(f"| `{q['id']}` | {_one_line(q)} | {run} |")
    return [*lines, ""]


def _question_lines(q: dict, legend: Legend) -> list[str]:
    out = [f"### {q['id']} — {q['question']}", ""]
    if not q["recorded"]:
        return out + ["**Not recorded in this run.**", ""]
    answer = _format(q["answer"]).strip() + (" *(timing: varies by machine)*" if q["timing"] else "")
    source = f"*Source: {legend.ref(q['provenance'])}*"
    note = sample_note(q["answer"])
    if "\n" in answer or note:  # a table or a long value: the source on a line of its own
        return [*out, answer, "", *([note, ""] if note else []), source, ""]
    return [*out, f"{answer} · {source}", ""]


def _concept_lines(c: dict, legend: Legend) -> list[str]:
    out = [f"### {c['id']} — {c['question']}", "", c["answer"], ""]
    if c["evidence"]:
        refs = ", ".join(f"`{e}` ({legend.label(c['provenance'][e])})" for e in c["evidence"])
        out += [f"Evidence: {refs}.", ""]
    return out


def to_markdown(key: dict) -> str:
    """ANSWERS.md: what the key was built from and a provenance legend once, then per part a table of the
    one-line answers (id, answer, run) and a section per longer answer (tables, accuracy comparisons with
    their sample size), each with a short reference into the legend; the questions' texts are in the rubric."""
    legend = Legend(key)
    out = _header(key, legend)
    parts = list(dict.fromkeys(q["part"] for q in key["questions"]))
    for part in parts:
        questions = [q for q in key["questions"] if q["part"] == part]
        out += [f"## Part {part}" if part != "concepts" else "## Conceptual questions: computed evidence", ""]
        out += _short_table([q for q in questions if _one_line(q) is not None], legend)
        for q in questions:
            if _one_line(q) is None:
                out += _question_lines(q, legend)
    out += ["## Conceptual questions 1–13", ""]
    for c in key["concepts"]:
        out += _concept_lines(c, legend)
    return "\n".join(out).rstrip() + "\n"


def build(run_dir=None, profile: str = "quick", out_dir=None, offline: bool = True) -> dict:
    """Execute the notebooks (or read ``run_dir/results.json``) and write the answer key."""
    if run_dir is None:
        run_dir = Path("outputs") / f"answers-{profile}"
        runner.run_notebooks(None, run_dir, profile, offline)
    results_file = Path(run_dir) / "results.json"
    if not results_file.exists():
        raise LabkitError(f"{results_file} not found: run `labkit run --out {run_dir}` first, or omit --from")
    key = build_key(json.loads(results_file.read_text(encoding="utf-8")))
    out_dir = out_dir or project.answers_dir()
    write_json(Path(out_dir) / "answers.json", key)
    write_text(Path(out_dir) / "ANSWERS.md", to_markdown(key))
    return key
