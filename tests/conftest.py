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


# Files by CPU cost, dearest first (measured with `--durations` and CPU
# time per test on the 2-core machine). With `-n 2 --dist loadfile` each
# file runs whole on one worker, and xdist hands them out in collection
# order (`--no-loadscope-reorder` in setup.cfg keeps that order instead of
# sorting by test count): starting the long files first leaves short ones
# to even out the two workers at the end, instead of one worker finishing
# a long benchmark smoke test alone. Files not listed follow in their
# usual order.
DEAREST_FIRST = (
    "benchmarks/test_benchmark_scripts.py",
    "tasks/test_summarization.py",
    "benchmarks/test_overhead_scaling.py",
    "tasks/test_generation.py",
    "tasks/test_pretrained_classifier.py",
    "tasks/test_pretrained_generator.py",
    "tasks/test_summarization_pretrained.py",
    "tasks/test_pretrained_generator_llama.py",
    "tasks/test_classification_cli.py",
    "tasks/test_generation_cli.py",
    "decoding/test_decoding_window.py",
    "tasks/test_classification.py",
    "test_docstrings.py",
    "scale/test_scale_export.py",
    "tasks/test_recipe_cli.py",
    "decoding/test_decoding_loop.py",
    "scale/test_scale_precision.py",
    "notebooks/test_notebooks.py",
    "reliability/test_reliability_inputs.py",
)


def pytest_collection_modifyitems(config, items):
    tests = pathlib.Path(__file__).resolve().parent

    def rank(item):
        try:
            name = item.path.resolve().relative_to(tests).as_posix()
        except ValueError:
            return len(DEAREST_FIRST)
        if name in DEAREST_FIRST:
            return DEAREST_FIRST.index(name)
        return len(DEAREST_FIRST)

    items.sort(key=rank)  # stable: a file's tests keep their order
