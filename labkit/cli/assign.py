"""``labkit assign [--out release/] [--source notebooks/]``: write the student release.

``<out>/student/`` gets the student notebooks (stubs, blank answers, no outputs, nbgrader metadata and
checksums kept); ``<out>/autograder/`` the manifest (locked cells, release id) and the rubric. The same
sources always give byte-identical files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from labkit.course import release


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="labkit assign", description=__doc__.splitlines()[0].split(": ", 1)[-1], allow_abbrev=False
    )
    p.add_argument("--out", default="release", help="release folder to write (default: release/)")
    p.add_argument(
        "--source", default=None, help="folder of the instructor's source notebooks (default: the project's notebooks/)"
    )
    return p


def main(argv) -> int:
    """Build the release in memory (:func:`labkit.course.release.build`), then write it."""
    args = parser().parse_args(argv)
    release.refuse_recorded_values(Path(args.source) if args.source else release.default_source_dir())
    built = release.build(args.source)
    out = Path(args.out)
    written = built.write(out)
    for name, entry in built.manifest["notebooks"].items():
        print(
            f"{name}: {len(entry['solutions'])} code to write, {len(entry['written'])} written answers, "
            f"{len(entry['locked'])} locked cells"
        )
    print(f"\nrelease {built.release_id[:12]} · {len(written)} files in {out.resolve()}")
    print(f"give students {out / 'student'}/ · keep {out / 'autograder'}/ to yourself")
    return 0
