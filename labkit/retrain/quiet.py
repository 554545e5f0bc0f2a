"""The notebook view of a retrain run: the original tool's log lines, summarised.

``labkit retrain`` (the CLI) prints the original ``retrain.py`` log lines unchanged. In a notebook
those lines, repeated for every run of a sweep, read like a log file (work-folder paths, the same
warning five times), so :func:`summarised` captures them and shows only what a reader needs:
warnings merged across runs ("5 folders have fewer than 20 images: daisy, …"), each once per
kernel, and the ``[labkit]`` lines. Used by :func:`labkit.retrain.lab.run` and ``device_timings``
(notebook 04's C.default, C.lr, C.own and C.inception runs; notebook 05's C.cpu_vs_gpu).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys

_FEW = re.compile(r"^Folder '(?P<name>[^']+)' has less than 20 images, which may cause issues\.$")
_SHOWN: set[str] = set()


def merge_warnings(lines: list[str]) -> list[str]:
    """The ``WARNING:retrain:`` messages in ``lines``, repeated ones merged, in first-seen order."""
    messages = [line.split("WARNING:retrain:", 1)[1].strip() for line in lines if "WARNING:retrain:" in line]
    few = [m.group("name") for m in map(_FEW.match, messages) if m]
    merged = []
    for message in dict.fromkeys(messages):
        if _FEW.match(message):
            if few:
                merged.append(
                    f"{len(few)} folder(s) have fewer than 20 images ({', '.join(few)}), which may cause issues"
                )
                few = []
            continue
        merged.append(message)
    return merged


def show(lines: list[str]) -> None:
    """Print the ``[labkit]`` lines of a captured run and its merged warnings not shown before."""
    for line in lines:
        if line.startswith("[labkit]"):
            print(line)
    for message in merge_warnings(lines):
        if message not in _SHOWN:
            _SHOWN.add(message)
            print(f"warning (retrain): {message}", file=sys.stderr)


@contextlib.contextmanager
def summarised():
    """Capture the retrain log printed inside the block; afterwards show its summary (see :func:`show`).
    On an error the whole captured log is printed first, so nothing that explains it is lost."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield
    except BaseException:
        sys.stderr.write(buffer.getvalue())
        raise
    show(buffer.getvalue().splitlines())
