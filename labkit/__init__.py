"""labkit: companion library for the TensorFlow transfer-learning course lab."""

from labkit import tfsetup as _tfsetup

_tfsetup.configure()

__version__ = "0.1.0"

from labkit.session import start  # noqa: E402  (needs the environment set first)

__all__ = ["start", "__version__"]
