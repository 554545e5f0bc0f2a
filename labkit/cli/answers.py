"""``labkit answers build``: the flags of the answer-key builder (:mod:`labkit.answers`) and its summary line."""

from __future__ import annotations

from pathlib import Path

from labkit import answers, project, provenance
from labkit.console import HelpFormatter, parser


def main(argv) -> int:
    """``labkit answers build [--profile quick|full] [--from RUN_DIR] [--out DIR]``."""
    p = parser("labkit answers", "the instructor's answer key from recorded results")
    sub = p.add_subparsers(dest="command", required=True, metavar="build")
    b = sub.add_parser(
        "build",
        allow_abbrev=False,
        formatter_class=HelpFormatter,
        help="execute the notebooks (or read a run) and write the answer key",
        description="Execute the notebooks (or read a run) and write ANSWERS.md and answers.json.",
    )
    b.add_argument("--profile", default="quick", choices=("quick", "full"), help="parameter set (default: quick)")
    b.add_argument("--from", dest="run_dir", default=None, help="an existing run folder holding results.json")
    b.add_argument("--out", default=None, help="where ANSWERS.md and answers.json go (default: the project's answers/)")
    provenance.add_switch(b, default_offline=True)
    args = p.parse_args(argv)
    out = Path(args.out) if args.out else project.answers_dir()
    key = answers.build(args.run_dir, args.profile, out, offline=provenance.chosen_offline(args.offline, True))
    missing = [q["id"] for q in key["questions"] if not q["recorded"]]
    missing += [f"{c['id']}:{m}" for c in key["concepts"] for m in c["missing_evidence"]]
    recorded = sum(1 for q in key["questions"] if q["recorded"])
    print(
        f"wrote {out / 'ANSWERS.md'} and answers.json: {recorded} of {len(key['questions'])} "
        "questions recorded, "
        f"{len(key['concepts'])} conceptual answers" + (f"; NOT recorded: {', '.join(missing)}" if missing else "")
    )
    return 1 if missing else 0
