"""Inside the sandbox: ``python -m labkit.grading.engine SPEC.json`` executes one student's notebook with
:func:`labkit.execution.execute` (the one place a notebook is executed) and the papermill engine below
(``engine_name="labkit-grade"``), and writes the outcome (:class:`labkit.notebook_result.NotebookResult`)
to ``<out>/run.json``. The spec names the notebook (in the scratch folder), its homework name, the
profile, ``offline``, the output folder and ``output_bytes``, the sandbox's output limit.

Two things differ from papermill's default nbclient engine:

- **Outputs are capped while the kernel runs** (the idea of nbgrader's ``LimitOutput``, applied
  during the run instead of to the finished notebook), twice: *in the kernel*, a silent set-up
  cell wraps ``sys.stdout``/``sys.stderr`` so one cell prints at most ``KERNEL_CELL_CHARS``
  characters; the rest is dropped as it is written (only its last ``TAIL_CHARS`` are kept, and
  printed after a marker when the cell ends; the marker is an output of its own, on stderr) — so
  huge messages never reach this process. *In the client*, every output message is counted: a cell
  keeps at most ``cell_chars`` characters, a notebook ``notebook_chars`` (rich outputs, ``display()``
  loops, a student who undid the wrapper); past that, stream text keeps its last ``TAIL_CHARS`` and a
  marker says how much was dropped. Error outputs are always kept, and so are recorded answers
  (display outputs carrying :data:`labkit.results.RECORD_MIME`, which the grader credits): those
  count against a budget of their own, ``record_chars`` per notebook, so no amount of printing around
  a ``results.record`` call loses the answer. A cell printing hundreds of MB thus costs a few MB.
- **The executed notebook stays readable by the grader**: :func:`papermill_options` derives the
  budgets from the sandbox's output limit (``Limits.output_bytes``, the size
  :func:`labkit.grading.integrity.attribution.read_notebook` accepts), leaving room for JSON escaping and
  for the notebook's own source.
- **The course's Python kernel always runs the code**: the notebook's kernelspec is set to
  ``python3`` before the kernel starts (a student's notebook may name ``bash``, ``ir`` or a
  kernel that does not exist here); the caller also passes ``language="python"`` so papermill
  writes the injected parameters in Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args
from traitlets import Integer

from labkit.atomic import write_json
from labkit.execution import execute
from labkit.results import RECORD_MIME

NAME = "labkit-grade"
KERNEL = "python3"
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_CHARS = 2_000_000  # output characters one cell keeps
NOTEBOOK_CHARS = 16_000_000  # output characters the whole notebook keeps
TAIL_CHARS = 20_000  # the end of a flooded stream, kept after the marker
MAX_OUTPUTS = 2_000  # outputs one cell keeps (a display() loop)
KERNEL_CELL_CHARS = 1_000_000  # characters one cell may print (stdout + stderr), counted in the kernel
RECORD_CHARS = 1_000_000  # recorded answers (RECORD_MIME outputs) the whole notebook keeps, beside the caps above
BYTES_PER_CHAR = 12  # kept output characters x 12 <= output_bytes: JSON escapes (<= 6 bytes), half left for sources

KERNEL_SETUP = """
def _labkit_cap_output(limit, tail_chars):
    import sys
    from IPython import get_ipython
    state = {"kept": 0, "over": 0, "tail": ""}
    writes = {}

    def capped(name):
        def write(text):
            if not isinstance(text, str):
                return writes[name](text)
            room = limit - state["kept"]
            if len(text) <= room:
                state["kept"] += len(text)
                return writes[name](text)
            if room > 0:
                writes[name](text[:room])
                state["kept"] = limit
            state["over"] += len(text) - max(room, 0)
            state["tail"] = (state["tail"] + text[max(room, 0):])[-tail_chars:]
            return len(text)

        write._labkit_base = writes[name]
        return write

    def start(*_):  # IPython re-patches the streams' write for every cell: wrap it for every cell
        state.update(kept=0, over=0, tail="")
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            writes[name] = getattr(stream.write, "_labkit_base", stream.write)
            stream.write = capped(name)

    def finish(*_):
        if state["over"]:
            dropped = state["over"] - len(state["tail"])
            sys.stdout.flush()  # the kept text first; the marker is an output of its own (stderr), so
            writes["stderr"](  # the graded copy's cut of a long output never takes it away
                f"\\n… [labkit grade: {dropped:,} characters of output dropped here; "
                f"a cell prints at most {limit:,}] …\\n"
            )
            sys.stderr.flush()
            writes["stdout"](state["tail"])
            state.update(over=0, tail="")

    get_ipython().events.register("pre_run_cell", start)
    get_ipython().events.register("post_run_cell", finish)
"""


ERROR_CHARS = 20_000  # of an error's message, and of each traceback line


def _short_error(msg: dict) -> dict:
    """``msg`` (an error) with its message and traceback lines cut to ``ERROR_CHARS`` (a 300 MB
    exception message stays an error, with its name, in the notebook)."""
    content = msg.get("content") or {}

    def cut(text) -> str:
        text = str(text)
        return (
            text
            if len(text) <= ERROR_CHARS
            else text[:ERROR_CHARS] + f" … [{len(text) - ERROR_CHARS:,} characters dropped]"
        )

    trace = [cut(line) for line in (content.get("traceback") or [])[-200:]]
    return {**msg, "content": {**content, "evalue": cut(content.get("evalue", "")), "traceback": trace}}


def _is_record(msg: dict) -> bool:
    """Whether ``msg`` is a display output carrying a recorded answer (:data:`labkit.results.RECORD_MIME`)."""
    data = (msg.get("content") or {}).get("data")
    return msg["msg_type"] in ("display_data", "execute_result") and isinstance(data, dict) and RECORD_MIME in data


def _chars(msg: dict) -> int:
    """Characters an output message would add to the notebook."""
    content = msg.get("content") or {}
    if msg["msg_type"] == "stream":
        return len(content.get("text", ""))
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v, default=str)) for v in data.values())


class _Cell:
    """What one cell has kept and dropped so far."""

    def __init__(self):
        self.kept = 0
        self.over = 0
        self.marker = None
        self.tail = None


class CappedClient(PapermillNotebookClient):
    """papermill's notebook client with per-cell and per-notebook output caps."""

    cell_chars = Integer(CELL_CHARS).tag(config=True)
    notebook_chars = Integer(NOTEBOOK_CHARS).tag(config=True)
    record_chars = Integer(RECORD_CHARS).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cells: dict[int, _Cell] = {}
        self._records = 0  # characters of recorded answers kept so far

    def papermill_execute_cells(self):
        """Cap what the kernel prints (:data:`KERNEL_SETUP`, silent: no cell, no history), then run."""
        msg_id = self.kc.execute(
            f"{KERNEL_SETUP}\n_labkit_cap_output({KERNEL_CELL_CHARS}, {TAIL_CHARS})\ndel _labkit_cap_output\n",
            silent=True,
            store_history=False,
        )
        reply = self.wait_for_reply(msg_id)
        if not reply or reply["content"].get("status") != "ok":
            self.log.warning("labkit grade: could not cap the kernel's output: %s", reply and reply["content"])
        return super().papermill_execute_cells()

    def _total(self) -> int:
        return sum(cell.kept for cell in self._cells.values())

    def output(self, outs, msg, display_id, cell_index):
        if self.clear_before_next_output:  # the outputs are about to be cleared: the budget starts again
            self._cells.pop(cell_index, None)
        state = self._cells.setdefault(cell_index, _Cell())
        size = _chars(msg)
        fits = (
            state.marker is None
            and state.kept + size <= self.cell_chars
            and self._total() + size <= self.notebook_chars
            and len(outs) < MAX_OUTPUTS
        )
        if msg["msg_type"] == "error":  # always kept (papermill reports it), but short
            return super().output(outs, _short_error(msg), display_id, cell_index)
        if _is_record(msg) and self._records + size <= self.record_chars:  # an answer: kept past the caps
            self._records += size
            return super().output(outs, msg, display_id, cell_index)
        if fits:
            state.kept += size
            return super().output(outs, msg, display_id, cell_index)
        room = min(self.cell_chars - state.kept, self.notebook_chars - self._total())
        if msg["msg_type"] == "stream" and state.marker is None and room > 0:  # keep what fits
            text = msg["content"].get("text", "")
            super().output(outs, {**msg, "content": {**msg["content"], "text": text[:room]}}, display_id, cell_index)
            state.kept += room
            msg, size = {**msg, "content": {**msg["content"], "text": text[room:]}}, size - room
        if self.clear_before_next_output:
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
        self._drop(outs, msg, state, size)
        return None

    def _drop(self, outs, msg, state: _Cell, size: int) -> None:
        """Count ``msg`` as dropped; keep the end of stream text; update the cell's marker."""
        if state.marker is None:
            state.marker = nbformat.v4.new_output("stream", name="stderr", text="")
            outs.append(state.marker)
        state.over += size
        if msg["msg_type"] == "stream":
            if state.tail is None:
                state.tail = nbformat.v4.new_output("stream", name=msg["content"].get("name", "stdout"), text="")
                outs.append(state.tail)
            text = state.tail.text + msg["content"].get("text", "")
            state.tail.text = text[-TAIL_CHARS:]
        dropped = state.over - (len(state.tail.text) if state.tail is not None else 0)
        state.marker.text = (
            f"\n… [labkit grade: {dropped:,} characters of output dropped here; a cell keeps at most "
            f"{self.cell_chars:,} and a notebook {self.notebook_chars:,}] …\n"
        )

    def clear_output(self, outs, msg, cell_index):
        super().clear_output(outs, msg, cell_index)
        if not msg["content"].get("wait"):
            self._cells.pop(cell_index, None)


class CappedEngine(NBClientEngine):
    """The nbclient engine, with :class:`CappedClient` and the course's Python kernelspec."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        nb_man.nb.metadata["kernelspec"] = dict(KERNELSPEC)
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=KERNEL,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return CappedClient(nb_man, **final).execute()


def register() -> None:
    """Make ``engine_name="labkit-grade"`` known to papermill (idempotent)."""
    papermill_engines.register(NAME, CappedEngine)


def papermill_options(output_bytes: int | None = None) -> dict:
    """The ``papermill.execute_notebook`` keywords for a graded run whose executed notebook may be at
    most ``output_bytes`` (the sandbox's ``Limits.output_bytes``; default: the caps above as they are).
    All kept output characters together stay under ``output_bytes / BYTES_PER_CHAR``."""
    register()
    cell, notebook, records = CELL_CHARS, NOTEBOOK_CHARS, RECORD_CHARS
    if output_bytes is not None:
        budget = max(int(output_bytes) // BYTES_PER_CHAR, 2)
        records = min(records, budget // 4)
        notebook = min(notebook, budget - records)
        cell = min(cell, notebook)
    return {
        "engine_name": NAME,
        "language": "python",
        "cell_chars": cell,
        "notebook_chars": notebook,
        "record_chars": records,
    }


def main(argv: list[str]) -> int:
    """``python -m labkit.grading.engine SPEC.json``: execute the spec's notebook; its outcome to ``<out>/run.json``."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(spec["out_dir"])
    run = execute(
        Path(spec["notebook"]),
        out,
        spec["profile"],
        spec["offline"],
        progress=False,
        name=spec["name"],
        papermill_options=papermill_options(spec.get("output_bytes")),
    )
    write_json(out / "run.json", run.to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
