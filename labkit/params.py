"""``labkit run -p NAME VALUE`` / ``-f params.yaml``: override single notebook parameters, as papermill does.

Values are YAML scalars or collections (``-p EPOCHS 2`` is the integer 2, ``-p SEED null`` is None,
``-p BATCH_CHOICES '[4, 8]'`` a list, anything else text); ``-f`` files hold a YAML mapping. Later
values win (files first, then ``-p`` in order). A name no selected notebook has is an error.
"""

from __future__ import annotations

from pathlib import Path

from labkit.errors import LabkitError


def _yaml():
    import yaml  # PyYAML (a papermill dependency)

    return yaml


def parse_value(text: str):
    """A command-line value as YAML: ``2`` → 2, ``0.5`` → 0.5, ``true`` → True, ``null`` → None, else text."""
    try:
        return _yaml().safe_load(text)
    except _yaml().YAMLError:
        return text


def read_file(path) -> dict:
    """The ``{name: value}`` mapping of a YAML (or JSON) parameters file."""
    try:
        data = _yaml().safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabkitError(f"-f {path}: file not found") from None
    except _yaml().YAMLError as exc:
        raise LabkitError(f"-f {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise LabkitError(f"-f {path}: expected a mapping of parameter names to values, like `EPOCHS: 2`")
    return data


def overrides(files=(), pairs=()) -> dict:
    """Merge ``-f`` files, then ``-p NAME VALUE`` pairs, into one ``{name: value}``."""
    merged: dict = {}
    for path in files or ():
        merged.update(read_file(path))
    for name, text in pairs or ():
        merged[name] = parse_value(text)
    return merged


def names_in(notebook: Path, profile_params: dict) -> set[str]:
    """The parameters ``notebook`` takes: its ``parameters`` cell's variables and its profile's."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook))) | set(profile_params)


def check_known(known: dict[str, set[str]], values: dict) -> None:
    """Fail on a name that none of the selected notebooks (``{notebook: names}``) takes."""
    everything = set().union(*known.values()) if known else set()
    unknown = sorted(set(values) - everything)
    if unknown:
        raise LabkitError(
            f"parameter(s) {', '.join(unknown)} not taken by the selected notebook(s); "
            f"they take: {', '.join(sorted(everything)) or 'nothing'}"
        )
