"""The grading sandbox: untrusted notebook code runs here, confined and limited, and leaves nothing behind.

Its rooms: :mod:`~labkit.grading.sandbox.isolation` picks the confinement level (bubblewrap, the
process-level :mod:`~labkit.grading.sandbox.jail`, a job user from :mod:`~labkit.grading.sandbox.jobuser`),
:mod:`~labkit.grading.sandbox.supervisor` starts a job and watches its limits, and
:mod:`~labkit.grading.sandbox.usage` measures what it occupies. Callers use the names below.
"""

from labkit.grading.sandbox.isolation import PROTECTS, Level, bwrap_problem
from labkit.grading.sandbox.supervisor import STOP, Limits, Outcome, base_env, choose_isolation, run

__all__ = ["PROTECTS", "STOP", "Level", "Limits", "Outcome", "base_env", "bwrap_problem", "choose_isolation", "run"]
