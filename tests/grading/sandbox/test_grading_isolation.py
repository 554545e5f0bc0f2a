"""Adversarial students against the isolation level this machine offers (bwrap, or as root the
process-level jail; ``LABKIT_TEST_ISOLATION=process`` forces process level): a vandal, a daemon that
escapes its session with a cleared environment, a /dev/shm + /tmp filler and a disk filler, each
bounded (a few hundred MB, a 60 s wall time). Each test asserts what the level promises — and at a
level that cannot protect, that the run says so and the snapshot check reports the damage.
The weaker process-level confinements (``uid``, ``none``) are exercised through ``sandbox.run``."""

import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import grading_class
import psutil
import pytest

from labkit.grading import sandbox
from labkit.grading.sandbox import isolation
from labkit.grading.sandbox.isolation import Level

MB = 2**20
# 512 MB: a Python 3.13 kernel alone is over 200 MB resident (256 MB left too little room)
LIMITS = sandbox.Limits(timeout=60, memory_bytes=512 * MB, disk_bytes=256 * MB)
SMALL = sandbox.Limits(timeout=60, memory_bytes=128 * MB, disk_bytes=256 * MB)  # for shell jobs (no kernel)
ISOLATION = os.environ.get("LABKIT_TEST_ISOLATION", "auto")
LEVEL = sandbox.choose_isolation(ISOLATION)[0]
PROTECTED = LEVEL.confinement in ("bwrap", "jail")
TAG = uuid.uuid4().hex[:12]  # names this run's daemon and filler files
DAEMON_ARG = f"4{int(TAG[:6], 16) % 1000}.25"  # `sleep <this>`: unique per test run


def daemon_code() -> str:
    """setsid + double fork + cleared environment + exec, then finish normally."""
    return (
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.environ.clear()\n"
        f"        os.execve('/bin/sleep', ['sleep', '{DAEMON_ARG}'], {{}})\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        'results.record("T.answer", 42)'
    )


def fill_code(paths: list[str], chunks: int) -> str:
    """Write ``chunks`` × 10 MB to each of ``paths``, then wait to be stopped."""
    return (
        "import time\n"
        'results.record("T.answer", 42)\n'
        f"for path in {paths!r}:\n"
        "    with open(path, 'wb') as handle:\n"
        f"        for _ in range({chunks}):\n"
        "            handle.write(b'\\1' * (10 * 2**20))\n"
        "while True:\n"
        "    time.sleep(0.5)"
    )


def vandal_code(root: Path) -> str:
    """Reads, deletes and writes everything of the instructor's it can name; records what worked."""
    subs, out = root / "submissions", root / "out"
    targets = {
        "read_rubric": f"open({str(root / 'answers' / 'rubric.json')!r}).read()",
        "read_other_student": f"open({str(subs / 'good' / '90_tiny.ipynb')!r}).read()",
        "read_other_snapshot": f"open({str(out / '.snapshot' / 'good' / 'good' / '90_tiny.ipynb')!r}).read()",
        "list_output": f"os.listdir({str(out)!r})",
        "delete_other_original": f"os.remove({str(subs / 'good' / '90_tiny.ipynb')!r})",
        "delete_rubric": f"os.remove({str(root / 'answers' / 'rubric.json')!r})",
        "delete_answers": f"shutil.rmtree({str(root / 'answers')!r})",
        "write_outside": f"open({str(root / 'outside.txt')!r}, 'w').write('escaped')",
    }
    lines = ["import os, shutil", "attempts = {}"]
    for name, expr in targets.items():
        lines += ["try:", f"    {expr}", f"    attempts[{name!r}] = 'DONE'", "except Exception as exc:"]
        lines += [f"    attempts[{name!r}] = type(exc).__name__"]
    lines += ['results.record("T.attempts", attempts)', 'results.record("T.text", str(os.getuid()))']
    lines += ["caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]"]
    lines += ['results.record("T.caps", caps)']
    return "\n".join(lines + ['results.record("T.answer", 42)'])


def build(root: Path) -> dict:
    answers = root / "answers"
    rubric = grading_class.write_rubric(answers / "rubric.json")
    (answers / "answers.json").write_text('{"secret": 42}')
    subs = root / "submissions"
    grading_class.notebook(subs / "good" / "90_tiny.ipynb", *grading_class.GOOD)
    grading_class.notebook(subs / "vandal" / "90_tiny.ipynb", vandal_code(root))
    grading_class.notebook(subs / "daemon" / "90_tiny.ipynb", daemon_code())
    # 250 MB each (a single file stops at the 256 MB disk limit): over the memory limit even where /tmp is disk
    shm = [f"/dev/shm/labkit-test-{TAG}", f"/tmp/labkit-test-{TAG}", f"/dev/shm/labkit-test-{TAG}-2"]
    grading_class.notebook(subs / "shmfill" / "90_tiny.ipynb", fill_code(shm, 25))
    grading_class.notebook(subs / "diskfill" / "90_tiny.ipynb", fill_code(["big1", "big2", "big3"], 12))
    return {"submissions": subs, "rubric": rubric, "answers": answers, "shm": shm}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversaries")
    paths = build(root)
    before = {p: grading_class.hashes(p) for p in (paths["submissions"], paths["answers"])}
    try:
        run = grading_class.grade(
            paths["submissions"], root / "out", paths["rubric"], workers=2, limits=LIMITS, isolation=ISOLATION
        )
    finally:
        leftover_tmp = Path(paths["shm"][1])
        tmp_left = leftover_tmp.exists()
        leftover_tmp.unlink(missing_ok=True)  # written straight to the machine's /tmp at the weakest level
    return {
        **paths,
        "run": run,
        "root": root,
        "before": before,
        "tmp_left": tmp_left,
        "records": {sid: r.to_dict() for sid, r in run.records.items()},
    }


def nb(graded, student: str) -> dict:
    return graded["records"][student]["notebooks"]["90_tiny"]


def test_vandal_cannot_touch_read_or_delete_anything_of_the_instructor(graded):
    attempts = nb(graded, "vandal")["results"]["T.attempts"]["value"]
    changed = [w for w in graded["run"].warnings if w.startswith("original submission of good changed")]
    if not PROTECTED:
        assert attempts["delete_other_original"] == "DONE"
        assert changed and "removed 90_tiny.ipynb" in changed[0]
        assert graded["records"]["good"]["total"] == 3  # graded from its snapshot all the same (91_extra missing)
        pytest.skip(f"process/{LEVEL.confinement} cannot protect the instructor's files (the run says so)")
    assert set(attempts) == {
        "read_rubric",
        "read_other_student",
        "read_other_snapshot",
        "list_output",
        "delete_other_original",
        "delete_rubric",
        "delete_answers",
        "write_outside",
    }
    assert "DONE" not in attempts.values(), attempts
    for folder, hashes in graded["before"].items():
        assert grading_class.hashes(folder) == hashes
    assert not (graded["root"] / "outside.txt").exists() and changed == []
    assert graded["records"]["good"]["total"] == 3


def test_student_code_never_runs_as_root(graded):
    uid = int(nb(graded, "vandal")["results"]["T.text"]["value"])
    if LEVEL.confinement == "jail":
        assert uid >= 1_000_000  # a fresh unprivileged uid per job
    elif LEVEL.confinement == "none":
        assert uid == os.geteuid() != 0
    else:  # bwrap: its own user namespace, or root without any capability and only read-only mounts
        assert graded["records"]["vandal"]["confinement"] == "bwrap"
    if os.geteuid() == 0:  # whatever uid it has, it holds no capability
        assert nb(graded, "vandal")["results"]["T.caps"]["value"] == "0000000000000000"


def test_daemon_with_setsid_double_fork_and_cleared_env_does_not_survive(graded):
    assert nb(graded, "daemon")["status"] == "ok"
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if DAEMON_ARG in (p.info["cmdline"] or [])]
    assert left == []


def test_shm_and_tmp_files_count_as_memory_and_are_gone_afterwards(graded):
    rec = nb(graded, "shmfill")
    assert rec["status"] == "memory", rec
    assert "memory limit of 0.50 GB passed" in rec["error"]["evalue"] and "/dev/shm" in rec["error"]["evalue"]
    assert rec["tmpfs_mb"] >= 50
    assert not Path(graded["shm"][0]).exists() and not Path(graded["shm"][2]).exists()
    if LEVEL.confinement != "none":
        assert not graded["tmp_left"]  # private tmpfs (bwrap, jail) or removed as the job user's file (uid)


def test_disk_filler_killed_at_the_disk_limit(graded):
    rec = nb(graded, "diskfill")
    assert rec["status"] == "disk", rec
    assert rec["error"]["ename"] == "DiskKilled" and "disk limit of 0.25 GB reached" in rec["error"]["evalue"]
    assert rec["disk_mb"] > 256
    assert graded["records"]["diskfill"]["questions"]["T.answer"]["credit"] == 1  # recorded before the flood


def test_run_states_its_isolation_level_and_what_it_protects(graded):
    meta = json.loads((graded["root"] / "out" / "grades.json").read_text())["run"]
    assert meta["isolation"] == LEVEL.name and meta["confinement"] == LEVEL.confinement
    assert meta["protects"] == LEVEL.protects and meta["limits"]["disk_bytes"] == 256 * MB
    if LEVEL.name == "process":
        assert any(w.startswith(f"isolation: process level, {LEVEL.confinement}") for w in meta["warnings"])


@pytest.mark.skipif(LEVEL.confinement != "jail", reason=f"--run-as applies to process/jail (here {LEVEL})")
def test_run_as_a_named_user(tmp_path):
    subs = tmp_path / "submissions"
    grading_class.notebook(subs / "who" / "90_tiny.ipynb", 'import os\nresults.record("T.text", str(os.getuid()))')
    run = grading_class.grade(
        subs, tmp_path / "out", build(tmp_path / "p")["rubric"], limits=LIMITS, isolation=ISOLATION, run_as="nobody"
    )
    assert run.records["who"].notebooks["90_tiny"]["results"]["T.text"]["value"] == "65534"


def test_run_as_refuses_root_and_unknown_users():
    from labkit.errors import LabkitError
    from labkit.grading.sandbox import isolation

    if os.geteuid() != 0:
        with pytest.raises(LabkitError, match="--run-as needs the grader to run as root"):
            isolation.resolve_user("nobody")
        return
    with pytest.raises(LabkitError, match="must not run as root"):
        isolation.resolve_user("root")
    with pytest.raises(LabkitError, match="no such user"):
        isolation.resolve_user("no-such-user-here")
    assert isolation.resolve_user("nobody") == (65534, 65534)


# --- the weaker process-level confinements, driven through sandbox.run with a shell job ---


@pytest.fixture
def world_tmp():
    """A folder in the machine's temp dir that another user can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="labkit-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def shell_job(parent: Path, level: Level, script: str, limits=LIMITS) -> sandbox.Outcome:
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=parent))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch)}
    return sandbox.run(
        ["/bin/sh", "-c", script],
        scratch=scratch,
        cwd=scratch,
        env=env,
        limits=limits,
        isolation=level,
        log=scratch / "job.log",
    )


DAEMON_SH = "setsid sh -c 'env -i sleep {arg} & exit' ; sleep 0.5; echo started"
SHM_SH = "dd if=/dev/zero of=/dev/shm/labkit-test-{tag} bs=1M count=200 2>/dev/null; sleep 60"


@pytest.mark.parametrize("confinement", ["uid", "none"])
def test_weaker_levels_still_kill_daemons_and_count_shm(world_tmp, confinement):
    if confinement == "uid" and os.geteuid() != 0:
        pytest.skip("the uid level needs root")
    level = Level("process", confinement)
    arg = f"{DAEMON_ARG}1"
    done = shell_job(world_tmp, level, DAEMON_SH.format(arg=arg))
    assert done.status == "ok" and "started" in done.log_tail
    assert [p.pid for p in psutil.process_iter(["cmdline"]) if arg in (p.info["cmdline"] or [])] == []
    tag = f"{TAG}-{confinement}"
    filled = shell_job(world_tmp, level, SHM_SH.format(tag=tag), limits=SMALL)
    assert filled.status == "memory" and filled.peak_tmpfs > 100 * MB
    assert not Path(f"/dev/shm/labkit-test-{tag}").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid level needs root")
def test_uid_level_cannot_delete_the_instructors_files(world_tmp):
    victim = world_tmp / "victim.txt"
    victim.write_text("instructor's")
    script = f"id -u; awk '/Max processes/ {{print $3}}' /proc/self/limits; rm -f {victim}; echo x > {world_tmp}/new"
    done = shell_job(world_tmp, Level("process", "uid"), script)
    uid, nproc = map(int, done.log_tail.split()[:2])
    assert nproc == 4096  # a fork bomb stops at 4096 processes of the job's uid
    assert uid >= 1_000_000 and victim.read_text() == "instructor's" and not (world_tmp / "new").exists()
    assert "Permission denied" in done.log_tail


def test_ci_runs_the_grading_tests_a_second_time_at_process_level():
    text = (Path(__file__).resolve().parents[3] / ".ci" / "run").read_text()
    assert "LABKIT_TEST_ISOLATION=process" in text and "tests/grading/test_grading.py" in text


def test_cli_has_the_isolation_options():
    from labkit.cli import grade as cli

    args = cli.parser().parse_args(["subs", "--out", "o", "--run-as", "nobody", "--disk-limit", "2.5"])
    assert args.run_as == "nobody" and args.disk_limit == 2.5 and args.isolation == "auto"
    assert "--run-as USER|UID" in cli.parser().format_help()


def test_snapshot_is_a_verified_copy_and_reports_every_change_to_the_original(tmp_path):
    from labkit.grading import snapshot
    from labkit.grading.submissions import discover

    subs = tmp_path / "subs"
    grading_class.notebook(subs / "ann" / "90_tiny.ipynb", *grading_class.GOOD)
    (subs / "ann" / "data.csv").write_text("a,b\n1,2\n")
    (subs / "ann" / ".hidden").write_text("kept in the digest too")
    (students, _) = discover(subs, ["90_tiny"])
    copy, before = snapshot.take(students[0], tmp_path / "out")
    assert Path(copy.source) == tmp_path / "out" / ".snapshot" / "ann" / "ann"
    assert snapshot.check_copy(students[0], copy) is None
    assert snapshot.digest(copy.source) == before and set(before) == {"90_tiny.ipynb", "data.csv", ".hidden"}
    assert oct((tmp_path / "out" / ".snapshot").stat().st_mode & 0o777) == "0o700"
    (subs / "ann" / "90_tiny.ipynb").unlink()
    (subs / "ann" / "data.csv").write_text("tampered")
    (subs / "ann" / "new.txt").write_text("planted")
    assert snapshot.verify(subs / "ann", before) == ["removed 90_tiny.ipynb", "changed data.csv", "added new.txt"]
    assert snapshot.verify(copy.source, before) == []  # the graded bytes are intact


def test_weakest_level_says_so_and_the_snapshot_check_reports_the_damage(tmp_path, capsys):
    """``confinement: none`` (what a non-root grader without bwrap gets), chosen on purpose here."""
    paths = build(tmp_path)
    for name in ("daemon", "shmfill", "diskfill"):
        shutil.rmtree(paths["submissions"] / name)
    run = grading_class.grade(
        paths["submissions"], tmp_path / "out", paths["rubric"], limits=LIMITS, isolation=Level("process", "none")
    )
    err = capsys.readouterr().err
    assert "WARNING isolation: process level, none (requested) — process level without root: NOT protected" in err
    attempts = run.records["vandal"].notebooks["90_tiny"]["results"]["T.attempts"]["value"]
    assert attempts["delete_other_original"] == "DONE" and attempts["delete_answers"] == "DONE"
    assert "WARNING original submission of good changed during grading" in err
    assert run.records["good"].original_changed == ["removed 90_tiny.ipynb"]
    assert any("original submission of good changed" in p for p in run.records["good"].problems)
    assert run.records["good"].total == 3  # graded from its snapshot all the same
    saved = json.loads((tmp_path / "out" / "students" / "good.json").read_text())
    assert saved["original_changed"] == ["removed 90_tiny.ipynb"]  # the written record says so too


@pytest.mark.skipif(
    isolation.namespaces_problem(user_namespace=True) is not None,
    reason=f"no user namespaces here: {isolation.namespaces_problem(user_namespace=True)}",
)
def test_user_namespace_level_hides_everything_and_keeps_no_capability(tmp_path):
    """``confinement: userns`` (what a non-root grader gets without bwrap where user namespaces work)."""
    paths = build(tmp_path)
    for name in ("diskfill", "good"):
        shutil.rmtree(paths["submissions"] / name)
    before = grading_class.hashes(paths["submissions"])
    run = grading_class.grade(
        paths["submissions"], tmp_path / "out", paths["rubric"], limits=LIMITS, isolation=Level("process", "userns")
    )
    record = run.records["vandal"].notebooks["90_tiny"]
    assert record["status"] == "ok", {k: record.get(k) for k in ("status", "error", "peak_rss_mb", "tmpfs_mb")}
    vandal = record["results"]
    assert "DONE" not in vandal["T.attempts"]["value"].values(), vandal["T.attempts"]["value"]
    assert vandal["T.caps"]["value"] == "0000000000000000"  # root in its namespace, but powerless
    assert grading_class.hashes(paths["submissions"]) == before and paths["rubric"].exists()
    assert run.records["daemon"].notebooks["90_tiny"]["status"] == "ok"
    assert [p.pid for p in psutil.process_iter(["cmdline"]) if DAEMON_ARG in (p.info["cmdline"] or [])] == []
    assert run.records["shmfill"].notebooks["90_tiny"]["status"] == "memory"
    assert not any(Path(p).exists() for p in paths["shm"])


def test_a_wheels_shipped_notebooks_and_homework_are_what_is_hidden_of_the_package(tmp_path):
    """The sandbox imports the labkit package as installed; of it only what a wheel ships for the
    instructor (built by setup.py) is hidden, where it exists: ``_notebooks/`` (the solved notebooks)
    and ``_homework/`` (the homework's data with its expected values)."""
    package = tmp_path / "site-packages" / "labkit"
    package.mkdir(parents=True)
    assert isolation.hidden_paths(package) == []  # a source checkout ships none
    (package / "_notebooks").mkdir()
    assert isolation.hidden_paths(package) == [str(package / "_notebooks")]
    (package / "_homework").mkdir()
    assert isolation.hidden_paths(package) == [str(package / "_notebooks"), str(package / "_homework")]
    assert all(p.endswith(("/labkit/_notebooks", "/labkit/_homework")) for p in isolation.hidden_paths())


@pytest.mark.skipif(not PROTECTED, reason=f"hiding folders needs a private file system view (here {LEVEL})")
def test_an_installed_labkit_package_is_importable_but_its_shipped_notebooks_are_hidden(world_tmp, monkeypatch):
    """With a normal (non-editable) install the package sits inside the bound Python installation: the job
    reads its modules, but not the solved notebooks of ``_notebooks/`` nor the homework data of ``_homework/``."""
    installed = world_tmp / "site-packages" / "labkit"
    (installed / "_notebooks").mkdir(parents=True)
    (installed / "_homework").mkdir()
    (installed / "results.py").write_text("RECORDED = 'a module'\n")
    (installed / "_notebooks" / "01_mnist_quickstart.ipynb").write_text('{"solution": 101770}\n')
    (installed / "_homework" / "questions.yaml").write_text("- {id: A1.structure.params, equals: 101770}\n")
    for folder in (installed.parent, installed, installed / "_notebooks", installed / "_homework"):
        folder.chmod(0o755)
    real = isolation.hidden_paths
    monkeypatch.setattr(isolation, "hidden_paths", lambda package=None: real(installed))  # the job's labkit
    shipped = installed / "_notebooks"
    script = f"cat {installed}/results.py; ls -A {shipped} | wc -l; cat {shipped}/* {installed}/_homework/*; echo done"
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=world_tmp))
    done = sandbox.run(
        ["/bin/sh", "-c", script],
        scratch=scratch,
        cwd=scratch,
        env={"PATH": "/usr/bin:/bin", "HOME": str(scratch)},
        limits=LIMITS,
        isolation=LEVEL,
        read_only=[Path(sys.prefix), Path(sys.base_prefix), world_tmp / "site-packages"],
        log=scratch / "job.log",
    )
    assert "done" in done.log_tail and "101770" not in done.log_tail
    assert "RECORDED = 'a module'" in done.log_tail  # the package is there …
    assert done.log_tail.split("\n")[1].strip() == "0"  # … its _notebooks folder is there, but empty


def test_temp_files_at_level_none_count_against_the_disk_limit_and_are_removed(tmp_path):
    """At ``confinement: none`` there is no private /tmp: the kernel's TMPDIR/TEMP/TMP is a folder inside
    the job's scratch, so a 30 MB ``tempfile`` under a 10 MB disk limit is stopped, and removed after."""
    code = (
        "import os, tempfile, time\n"
        "handle, path = tempfile.mkstemp(suffix='.bin')\n"
        "results.record('T.text', {'path': path, 'env': [os.environ.get(k) for k in ('TMPDIR', 'TEMP', 'TMP')]})\n"
        "for _ in range(30):\n"
        "    os.write(handle, b'\\1' * 2**20)\n"
        "while True:\n"
        "    time.sleep(0.5)"
    )
    subs = tmp_path / "subs"
    grading_class.notebook(subs / "tmpfill" / "90_tiny.ipynb", code)
    (tmp_path / "rubric.json").write_text(json.dumps(grading_class.RUBRIC))
    run = grading_class.grade(
        subs,
        tmp_path / "out",
        tmp_path / "rubric.json",
        limits=sandbox.Limits(timeout=60, memory_bytes=512 * MB, disk_bytes=10 * MB),
        isolation=Level("process", "none"),
    )
    rec = run.records["tmpfill"].notebooks["90_tiny"]
    assert rec["status"] == "disk", rec
    assert "disk limit of 0.01 GB reached" in rec["error"]["evalue"]
    seen = rec["results"]["T.text"]["value"]
    folder = os.path.dirname(seen["path"])
    assert seen["env"] == [folder, folder, folder] and os.path.basename(folder) == "tmp"
    assert os.path.basename(os.path.dirname(folder)).startswith("labkit-grade-tmpfill-")  # the job's scratch
    assert not os.path.exists(seen["path"]) and not os.path.exists(folder)


def test_bwrap_keeps_jail_py_visible_inside_a_hidden_folder(tmp_path, monkeypatch):
    """A hidden folder is covered by an empty tmpfs; were jail.py (the job's entry point) inside it, it is
    bound after the tmpfs and the folder made read-only only then (bwrap applies in order)."""
    package = Path(isolation.__file__).resolve().parents[2]
    monkeypatch.setattr(isolation, "hidden_paths", lambda: [str(package)])
    args = isolation.bwrap_command(["true"], tmp_path, tmp_path, [], 2**20)
    jail = str(Path(isolation.__file__).with_name("jail.py"))
    at = {(args[i - 1], a) for i, a in enumerate(args)}
    assert {("--tmpfs", str(package)), ("--ro-bind", jail), ("--remount-ro", str(package))} <= at
    tmpfs = next(i for i, a in enumerate(args) if a == str(package) and args[i - 1] == "--tmpfs")
    assert tmpfs < args.index(jail) < args.index("--remount-ro")


def test_site_packages_on_sys_path_are_bound_for_the_job(tmp_path, monkeypatch):
    linked = tmp_path / "shared" / "site-packages"  # e.g. added by a .pth file
    linked.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(linked), str(tmp_path / "missing" / "site-packages")])
    assert linked in isolation.site_dirs() and tmp_path / "missing" / "site-packages" not in isolation.site_dirs()


FORK_PY = """
import os, sys, time
block = b"\\1" * (160 * 2**20)  # 160 MB, resident
pid = os.fork()
if pid == 0:
    mine = bytearray(block) if sys.argv[1] == "copy" else None  # "copy": the child's own 160 MB
    time.sleep(2)
    os._exit(0)
os.waitpid(pid, 0)
print("parent done")
"""


@pytest.mark.parametrize("child", ["share", "copy"])
def test_memory_limit_counts_pages_a_forked_child_shares_once(world_tmp, child):
    """160 MB shared with a forked child is 160 MB, not 320 (PSS, not RSS summed): under a 300 MB limit the
    sharing job passes, and the one whose child makes its own copy is killed for memory."""
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=world_tmp))
    done = sandbox.run(
        [sys.executable, "-I", "-c", FORK_PY, child],
        scratch=scratch,
        cwd=scratch,
        env={"PATH": "/usr/bin:/bin", "HOME": str(scratch)},
        limits=sandbox.Limits(timeout=60, memory_bytes=300 * MB, disk_bytes=64 * MB),
        isolation=LEVEL,
        read_only=[Path(sys.prefix), Path(sys.base_prefix)],
        log=scratch / "job.log",
    )
    if child == "share":
        assert done.status == "ok" and "parent done" in done.log_tail, (done.status, done.log_tail)
        assert 150 * MB < done.peak_rss < 250 * MB, done.peak_rss / MB
    else:
        assert done.status == "memory", (done.status, done.peak_rss / MB)
