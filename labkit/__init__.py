"""labkit: companion library for the TensorFlow transfer-learning course lab."""

from labkit import tfsetup as _tfsetup

_tfsetup.configure()

__version__ = "0.1.0"

from labkit.session import start  # noqa: E402  (needs the environment set first)


def check(*notebooks, results=None):
    """Self-check from a notebook cell (like otter's ``grader.check``): see :func:`labkit.course.self_check.check`."""
    # here, not at the top: every labkit module imports this package first, and the self-check imports most of them
    from labkit.course.self_check import check as _check

    return _check(*notebooks, results=results)


__all__ = ["start", "check", "__version__"]
