"""Build hook: ship the Alembic migrations and the default content inside the wheel.

The folders stay where they are in the repository (migrations/, content/); when a
wheel (or sdist build) is made, build_py copies them into gcmbot/_bundled/, where
`gcmbot.config` finds them in an installed copy run from any folder. Everything else
about the package is in pyproject.toml.
"""

from pathlib import Path
from shutil import copytree, ignore_patterns

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("migrations", "content")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name in BUNDLED:
            source = root / name
            if source.is_dir():
                target = Path(self.build_lib) / "gcmbot" / "_bundled" / name
                copytree(source, target, ignore=ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithData})
