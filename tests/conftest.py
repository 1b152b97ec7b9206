"""Shared test setup: data location, tiny configs, ``run_task_test``."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_SHARED = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
if "NLPTOOLKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["NLPTOOLKIT_DATA"] = str(_SHARED.resolve())

import pytest  # noqa: E402
from helpers import run_task_test  # noqa: E402


@pytest.fixture
def task_test():
    return run_task_test
