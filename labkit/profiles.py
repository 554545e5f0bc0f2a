"""Named parameter sets for every notebook: ``quick`` (CI, minutes on a laptop CPU) and
``full`` (the homework's real settings). This is the single source of truth: the runner
injects these values into each notebook's ``parameters`` cell, and a test checks that every
notebook's own defaults equal its ``quick`` profile.
"""

from __future__ import annotations

PROFILE_NAMES = ("quick", "full")

PROFILES: dict[str, dict[str, dict]] = {
    "01_mnist_quickstart": {
        "quick": {"DATASET": "mnist", "EPOCHS": 5, "TRAIN_LIMIT": 12000, "BATCH_SIZE": 32, "SEED": 0},
        "full": {"DATASET": "mnist", "EPOCHS": 5, "TRAIN_LIMIT": 0, "BATCH_SIZE": 32, "SEED": 0},
    },
}


def notebook_key(name: str) -> str:
    """``notebooks/01_mnist_quickstart.ipynb`` -> ``01_mnist_quickstart``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[: -len(".ipynb")] if base.endswith(".ipynb") else base


def get(notebook: str, profile: str) -> dict:
    """The parameters of ``notebook`` in ``profile`` (empty for notebooks without a profile)."""
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return dict(PROFILES.get(notebook_key(notebook), {}).get(profile, {}))
