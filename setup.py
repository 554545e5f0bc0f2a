"""Build hook only (all metadata is in pyproject.toml): the wheel ships the homework notebooks as
package data in ``labkit/_notebooks/`` so that an installed ``labkit run`` finds them, and the homework's
data (``answers/homework/*.yaml``) in ``labkit/_homework/`` so that an installed ``labkit assign`` and
``labkit check`` know the questions. Both hold what students must not see (solutions, expected values):
the grading sandbox hides both folders. The rest of the answers folder (rubric, answer key) is not
shipped."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


SHIPPED = {"_notebooks": ("notebooks", "[0-9][0-9]_*.ipynb"), "_homework": ("answers/homework", "*.yaml")}


class BuildWithNotebooks(build_py):
    """``build_py`` plus copies of ``notebooks/NN_*.ipynb`` into ``labkit/_notebooks/`` and of
    ``answers/homework/*.yaml`` into ``labkit/_homework/``."""

    def run(self):
        super().run()
        for folder, (source, pattern) in SHIPPED.items():
            target = Path(self.build_lib) / "labkit" / folder
            target.mkdir(parents=True, exist_ok=True)
            for path in sorted((HERE / source).glob(pattern)):
                shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
