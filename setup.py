"""Build hook only (all metadata is in pyproject.toml): the wheel ships the homework notebooks as
package data in ``labkit/_notebooks/`` so that an installed ``labkit run`` finds them. The answers
folder (rubric, answer key) is deliberately NOT shipped: the grading sandbox can read the package."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithNotebooks(build_py):
    """``build_py`` plus a copy of ``notebooks/NN_*.ipynb`` into ``labkit/_notebooks/``."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "labkit" / "_notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted((HERE / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            shutil.copy2(notebook, target / notebook.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
