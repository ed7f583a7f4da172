"""The metadata is in setup.cfg; this file only compiles the translation catalogues into the
package before it is built, so that the wheel ships the .mo files (tests/test_wheel.py)."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    def run(self):
        spec = importlib.util.spec_from_file_location(
            "catalogues", HERE / "tracker" / "core" / "catalogues.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.compile_catalogues()
        # The data files are listed lazily: list them again now that the .mo files exist.
        self.__dict__.pop("data_files", None)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
