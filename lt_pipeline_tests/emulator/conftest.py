"""The emulator fixtures, for the tests in this folder."""

from .fixtures import *  # noqa: F401,F403
