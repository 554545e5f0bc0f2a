"""Every subcommand follows the CLI conventions: --help without RST markup and with help text on
every option, usage errors on stderr with exit 2, no prefix matching of labkit's own flags."""

import argparse
import ast
import contextlib
import io
import os
import re
from unittest import mock

import pytest
from test_code_health import MODULES

from labkit import __version__, cli, console, provenance

# retrain / label-image / make-image-classifier keep the original tools' flag rules (abbreviations).
ORIGINAL_TOOLS = {"retrain", "label-image", "make-image-classifier"}


def _second_level() -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``(command, subcommand, parser)`` of every second-level parser (``labkit assets fetch``), found by
    watching argparse while each subcommand builds its parser for ``--help``."""
    found, created = [], []
    add_parser = argparse._SubParsersAction.add_parser

    def recording(self, name, **kwargs):
        created.append((name, add_parser(self, name, **kwargs)))
        return created[-1][1]

    quiet = io.StringIO()
    patched = mock.patch.object(argparse._SubParsersAction, "add_parser", recording)
    with patched, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for command in cli.COMMANDS:
            created.clear()
            cli.main([command, "--help"])
            found += [(command, name, parser) for name, parser in created]
    return found


SECOND_LEVEL = _second_level()
HELP_COMMANDS = [[name] for name in cli.COMMANDS] + [[command, name] for command, name, _ in SECOND_LEVEL]
# every subcommand that loads data or models takes --offline / --online (value: its default)
SWITCH_COMMANDS = {
    "run": False,
    "grade": True,
    "answers build": True,
    "assets fetch": False,
    "retrain": False,
    "make-image-classifier": False,
    "bench": False,
    "check": False,
}
RST = re.compile(r"``|:(func|class|mod|meth|data|attr):|^\s*\.\. |\*\*", re.M)


def _help(capsys, argv):
    code = cli.main([*argv, "--help"])
    out, err = capsys.readouterr()
    return code, out, err


def _options_without_help(text: str) -> list[str]:
    """Option lines (``  --flag …``) followed by no description, in argparse's two-column layout."""
    lines = text.splitlines()
    bare = []
    for i, line in enumerate(lines):
        m = re.match(r"^  (-{1,2}[\w-]+)(?:[ ,=].*)?$", line)
        if not m or "  " in line.strip():  # description on the same line
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        described = following.startswith(" " * 8) and not following.strip().startswith("-")
        if not described:
            bare.append(m.group(1))
    return bare


@pytest.mark.parametrize("argv", HELP_COMMANDS, ids=" ".join)
def test_help_is_plain_text_and_documents_every_option(argv, capsys):
    code, out, err = _help(capsys, argv)
    assert code == 0 and err == "", err
    assert out.strip(), "help goes to stdout"
    assert not RST.search(out), f"RST markup in `labkit {' '.join(argv)} --help`: {RST.search(out).group(0)!r}"
    assert _options_without_help(out) == [], out
    assert "(default: None)" not in out
    assert not re.search(r"\(default: [^)]*\)[^\n]*\(default:", out), "a default shown twice"


def test_retrain_help_wraps_between_words_only(capsys):
    from labkit.retrain.flags import EXTRA_FLAGS, ORIGINAL_FLAGS

    _, out, _ = _help(capsys, ["retrain"])
    joined = " ".join(out.split())  # a word split across lines would come out as two words here
    for _name, _kind, _default, text in ORIGINAL_FLAGS + EXTRA_FLAGS:
        assert " ".join(text.split()) in joined
    assert "'mobilenet_<1.0|0.75|0.50|0.25>_<224|192|160|128>[_quantized]'" in joined
    assert "(default: '/tmp/bottleneck')" in joined and "(default: 32)" in joined
    assert "--strict_images" in out and "--no-progress" in out and "--no_progress works too" in joined


def test_version_flag_and_version_command(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"labkit {__version__}\n"
    assert cli.main(["version"]) == 0
    out = capsys.readouterr().out
    for name in ("labkit", "Python", "TensorFlow", "tf_keras", "devices"):
        assert re.search(rf"^{name}\s+\S", out, re.M), out
    assert "CPU:0" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--profil", "quick"],
        ["grade", "subs", "--out", "x", "--isolat", "process"],
        ["answers", "build", "--prof", "full"],
        ["bench", "--smok"],
        ["classify", "--labels", "l.txt", "--graph", "g.pb", "--top", "2", "x.jpg"],
        ["assign", "--ou", "release"],
        ["check", "--jso"],
    ],
    ids=lambda a: " ".join(a),
)
def test_labkit_flags_are_never_abbreviated(argv, capsys):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "unrecognized arguments" in err and f"usage: labkit {argv[0]}" in err


def test_every_second_level_subcommand_is_found():
    assert sorted(f"{c} {n}" for c, n, _ in SECOND_LEVEL) == [
        "answers build",
        "assets export",
        "assets fetch",
        "assets import",
        "assets status",
        "assets verify",
    ]


@pytest.mark.parametrize("command, name, parser", SECOND_LEVEL, ids=[f"{c} {n}" for c, n, _ in SECOND_LEVEL])
def test_second_level_parsers_reject_abbreviations(command, name, parser, capsys):
    assert parser.allow_abbrev is False and parser.formatter_class is console.HelpFormatter
    options = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}  # --help too
    required = ["x" for a in parser._actions if not a.option_strings and a.nargs is None]
    for option in sorted(options):
        prefix = option[:-1]
        if prefix in options:
            continue
        assert cli.main([command, name, *required, prefix]) == 2, f"labkit {command} {name} {prefix}"
        out, err = capsys.readouterr()
        assert out == "" and f"unrecognized arguments: {prefix}" in err, err


@pytest.mark.parametrize("command", sorted(SWITCH_COMMANDS))
def test_offline_and_online_on_every_command_that_loads_something(command, capsys):
    argv = command.split()
    _, out, _ = _help(capsys, argv)
    joined = " ".join(out.split())
    offline_help, online_help = provenance.switch_help(SWITCH_COMMANDS[command])
    assert "--offline" in out and "--online" in out
    assert " ".join(offline_help.split()) in joined and " ".join(online_help.split()) in joined
    assert cli.main([*argv, "--online", "--offline"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "argument --offline: not allowed with argument --online" in err, err


@pytest.mark.parametrize("command", ["assign", "classify", "label-image", "submit", "version"])
def test_commands_that_load_nothing_remote_have_no_switch(command, capsys):
    _, out, _ = _help(capsys, [command])
    assert "--offline" not in out and "--online" not in out


def test_assets_fetch_offline_makes_no_attempt_and_online_tries(monkeypatch, capsys, no_network):
    monkeypatch.delenv("LABKIT_OFFLINE")
    monkeypatch.delenv("LABKIT_MIRROR", raising=False)
    assert cli.main(["assets", "fetch", "mnist", "--offline"]) == 1
    out, err = capsys.readouterr()
    assert "FAILED  mnist: offline mode: fetching needs the network (drop --offline)" in out and no_network == []
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    assert cli.main(["assets", "fetch", "mnist", "--online"]) == 1  # the network is refused in tests
    out, err = capsys.readouterr()
    assert "FAILED  mnist" in out and "offline mode" not in err and no_network != []


@pytest.mark.parametrize(
    "argv, code",
    [
        (["retrain", "--image_dir", "/nonexistent/photos"], 1),
        (["make-image-classifier", "--batch_size=0"], 1),
        (["bench", "--only", "nosuch"], 2),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else str(v),
)
def test_the_switch_of_a_tool_is_applied_before_it_starts(argv, code, monkeypatch, capsys):
    """The command's flag becomes the process's switch (what the loaders and kernels read) first thing."""
    for flag, value in (("--offline", "1"), ("--online", "0")):
        monkeypatch.setenv("LABKIT_OFFLINE", "0" if value == "1" else "1")
        assert cli.main([*argv, flag]) == code
        capsys.readouterr()
        assert os.environ["LABKIT_OFFLINE"] == value, (argv, flag)


def test_original_tool_flags_unchanged_by_the_switch():
    from labkit.retrain.flags import parse_flags

    flags = parse_flags(["--offline_base=random", "--output_g", "/tmp/g.pb"])
    assert (flags.offline_base, flags.output_graph, flags.offline) == ("random", "/tmp/g.pb", None)
    assert parse_flags(["--offline"]).offline is True and parse_flags(["--online"]).offline is False


def test_usage_errors_go_to_stderr_with_exit_2(capsys):
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: labkit")
    assert cli.main(["nosuch"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "unknown subcommand 'nosuch'" in err
    assert "Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted." in cli._usage()


def test_retrain_keeps_the_original_abbreviations():
    from labkit.retrain.flags import parse_flags

    flags = parse_flags(["--how_many=5", "--bottleneck", "/tmp/b"])
    assert (flags.how_many_training_steps, flags.bottleneck_dir) == (5, "/tmp/b")


def test_no_progress_everywhere(capsys, monkeypatch):
    from labkit import console

    for argv in (["run"], ["grade"], ["retrain"], ["bench"], ["make-image-classifier"]):
        _, out, _ = _help(capsys, argv)
        assert "--no-progress" in out, argv
    monkeypatch.delenv(console.NO_PROGRESS_ENV, raising=False)
    assert console.progress_on(True) is False  # pytest's captured stderr is not a terminal
    assert cli.main(["--no-progress", "--version"]) == 0
    import os

    assert os.environ[console.NO_PROGRESS_ENV] == "1"


def test_labkit_warnings_are_one_line_without_the_source_echo():
    import warnings

    from labkit import console
    from labkit.data.image_folder import ImageFolderWarning

    saved = warnings.formatwarning
    try:
        console.short_warnings()
        console.short_warnings()  # idempotent
        line = warnings.formatwarning("skipping a/b.jpg: truncated", ImageFolderWarning, "split.py", 63, "split = x")
        assert line == "labkit: warning: skipping a/b.jpg: truncated\n"
        other = warnings.formatwarning("other", UserWarning, "x.py", 1, "code()")
        assert "x.py:1: UserWarning: other" in other  # everyone else's warnings unchanged
    finally:
        warnings.formatwarning = saved


# Outside labkit.cli only these may import argparse: console's parser helpers shared by every command, and the
# original tools' flag schemas, which the lab's Python API parses too (a student's label_image flag string).
FLAG_SCHEMAS = {"labkit.console", "labkit.retrain.flags", "labkit.retrain.label_image", "labkit.classifier.flags"}


def test_every_subcommand_is_a_module_of_labkit_cli():
    assert {name: module for name, (module, _) in cli.COMMANDS.items()} == {
        name: f"labkit.cli.{name.replace('-', '_')}" for name in cli.COMMANDS
    }


def test_argument_parsing_only_in_the_command_line_modules():
    parsing = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Import)
                and "argparse" in [a.name for a in node.names]
                or isinstance(node, ast.ImportFrom)
                and node.module == "argparse"
            ):
                parsing.add(module)
    outside = sorted(m for m in parsing if m != "labkit.cli" and not m.startswith("labkit.cli."))
    assert set(outside) <= FLAG_SCHEMAS, f"argparse outside labkit/cli: {sorted(set(outside) - FLAG_SCHEMAS)}"
