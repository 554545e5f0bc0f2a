"""Where the course project lives: the one place that finds the notebooks and the answers folder.

A *project folder* holds ``notebooks/NN_*.ipynb`` and ``answers/`` (the rubric, the conceptual
answers, the baselines). It is, in this order: ``--project DIR`` / ``LABKIT_PROJECT``; the source
checkout labkit runs from (``pip install -e .`` or ``PYTHONPATH``); the current folder or one of
its parents. An installed wheel ships the notebooks as package data (``labkit/_notebooks``), so
``labkit run`` works without a project; the answers and the rubric are never shipped inside the
package, because the grading sandbox can read labkit's package directory.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from labkit.errors import LabkitError

ENV = "LABKIT_PROJECT"
CHECKOUT = Path(__file__).resolve().parent.parent  # the source tree, when labkit runs from one
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
_WHERE = "pass --project DIR (or set LABKIT_PROJECT=DIR) naming a labkit checkout, or run labkit inside one"


def is_project(folder) -> bool:
    """Whether ``folder`` has ``notebooks/NN_*.ipynb`` and an ``answers/`` folder."""
    folder = Path(folder)
    return (folder / "answers").is_dir() and any((folder / "notebooks").glob(NOTEBOOK_GLOB))


def root(required: bool = True) -> Path | None:
    """The project folder (see the module docstring), or ``None`` when there is none and not ``required``."""
    explicit = os.environ.get(ENV)
    if explicit:
        folder = Path(explicit).expanduser().resolve()
        if not is_project(folder):
            raise LabkitError(
                f"{ENV}={explicit} (or --project): not a labkit project folder "
                "(expected notebooks/NN_*.ipynb and answers/ in it)"
            )
        return folder
    if is_project(CHECKOUT):
        return CHECKOUT
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    if required:
        raise LabkitError(f"no labkit project folder found (notebooks/ and answers/); {_WHERE}")
    return None


def packaged_notebooks() -> Path | None:
    """The notebooks shipped inside an installed wheel, or ``None`` (source checkouts have none)."""
    folder = Path(str(resources.files("labkit") / "_notebooks"))
    return folder if any(folder.glob(NOTEBOOK_GLOB)) else None


def notebooks_dir() -> Path:
    """The homework notebooks: the project's ``notebooks/``, else the copy shipped in the wheel."""
    found = root(required=False)
    if found is not None:
        return found / "notebooks"
    shipped = packaged_notebooks()
    if shipped is None:
        raise LabkitError(f"the homework notebooks were not found; {_WHERE}")
    return shipped


def answers_dir() -> Path:
    """The project's ``answers/`` folder (instructors only; not shipped in the wheel)."""
    found = root(required=False)
    if found is None:
        raise LabkitError("the answers folder (rubric, answer key) is not part of the installed package; " + _WHERE)
    return found / "answers"


def rubric_path() -> Path:
    """The default grading rubric, ``answers/rubric.json`` of the project."""
    return answers_dir() / "rubric.json"
