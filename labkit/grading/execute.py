"""Inside the sandbox: ``python -m labkit.grading.execute SPEC.json`` executes one notebook.

The spec names the notebook (in the scratch dir), its homework name, the profile and the output
folder; :func:`labkit.runner.execute` does the papermill run (profile parameters injected in
Python, results recorded to ``<out>/results/<name>.json``) with :mod:`labkit.grading.engine`
(outputs capped while the kernel runs, within the spec's ``output_bytes``; always the course's
``python3`` kernel). The outcome goes
to ``<out>/run.json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from labkit import runner
from labkit.atomic import write_json
from labkit.grading import engine


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))

    out = Path(spec["out_dir"])
    run = runner.execute(
        Path(spec["notebook"]),
        out,
        spec["profile"],
        spec["offline"],
        progress=False,
        name=spec["name"],
        papermill_options=engine.papermill_options(spec.get("output_bytes")),
    )
    write_json(out / "run.json", asdict(run))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
