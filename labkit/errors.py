"""Errors meant for people: the CLI prints their message (no traceback) and exits non-zero."""


class LabkitError(Exception):
    """A user-facing error whose message says what is wrong and what to do."""


class DataFileError(LabkitError):
    """A data or model file exists but cannot be read (corrupt, truncated, wrong format)."""


class SourceNotFound(LabkitError):
    """An explicitly requested path, handle or folder could not be found or reached."""


class NotReachable(LabkitError):
    """A download source could not be reached (DNS, refused, timeout, HTTP error): a fallback may stand in."""


class NotAtSource(NotReachable):
    """The source answered but does not hold the file (HTTP 404/410, or absent from a mirror folder)."""


class MirrorMisconfigured(LabkitError):
    """The mirror the user configured (``LABKIT_MIRROR``) lacks an asset: not a fallback, a setting to fix."""


class DamagedDownload(DataFileError):
    """A downloaded or cached asset failed its checksum, size or structure check (it was moved aside)."""


def tf_reason(exc) -> str:
    """The one informative line of a TensorFlow error message (no node traceback), for a LabkitError's message."""
    text = getattr(exc, "message", None) or str(exc)
    skip = ("Graph execution error", "Detected at node", "[[", "Traceback", "File ")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith((" ", "\t"))]
    lines = [ln for ln in lines if not ln.startswith(skip)]
    return (lines[-1] if lines else text.strip())[:200]
