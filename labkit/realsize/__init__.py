"""The real-size dry run (``labkit run --profile full --real-size``): stand-ins at the homework's size.

Offline, labkit's stand-ins are small (a few hundred synthetic photos, labkit's small backbone), so
an offline full run says little about what a student's online run costs. In a real-size dry run
(``LABKIT_REAL_SIZE=1``, set by the runner for its kernels) the offline defaults become:

- flower photos: 3,670 synthetic JPEGs in the real per-class counts, about 320×240 to 500×375 px;
- MNIST: 60,000 + 10,000 28×28 digits (scikit-learn's digits, shifted copies);
- TF Hub feature vectors: MobileNetV2 1.0 224 / Inception V3 with random weights
  (:mod:`labkit.realsize.modules`);
- retrain base graphs: the real architecture with random weights (``--offline_base random``).

Every such source is announced and recorded as ``offline:real-size dry run: …``. Training length
is capped (:data:`labkit.profiles.REAL_SIZE_CAPS`) and the full length extrapolated from the
measurement (:mod:`labkit.realsize.estimate`).
"""

from __future__ import annotations

import os

ENV = "LABKIT_REAL_SIZE"
VERSION = "v1"  # of the generated real-size data
DRY_RUN = "real-size dry run"
PHOTO_BASE_SIZE = 400  # synthetic widths 320–500 px, aspect 0.7–1.45 (flower_photos: mostly 320×240–500×375)
MNIST_COUNTS = (60000, 10000)


def active() -> bool:
    """True inside a real-size dry run (``LABKIT_REAL_SIZE=1``)."""
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def detail(text: str) -> str:
    """A source detail marked as the dry run's: ``real-size dry run: <text>``."""
    return f"{DRY_RUN}: {text}"
