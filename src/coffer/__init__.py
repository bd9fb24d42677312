"""Coffer: self-hosted personal, household and social finance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coffer")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
