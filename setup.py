"""Only the package list, which pyproject.toml cannot compute: every pipeline sub-package, plus models/ as
pipeline.models (package-dir in pyproject.toml)."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline.models"])
