"""`nlptoolkit.callbacks.clock` as a package split by job: the names of
the former module stay importable, patching its `time` reaches the hooks,
and every module's docstring examples run."""

import doctest
import importlib

import pytest

from nlptoolkit.callbacks import clock as clock_module

# Every non-module name of `nlptoolkit/callbacks/clock.py` before the split.
FORMER_NAMES = (
    "COLUMNS",
    "InferenceClock",
    "KINDS",
    "SUMMARY_KEYS",
    "THEIL_SEN_MAX_POINTS",
    "_AFTER_PREFILL",
    "_BS",
    "_CYCLE_FIELDS",
    "_IDX",
    "_K",
    "_POS",
    "_RUN",
    "_SEC",
    "_SPAN",
    "_START",
    "_STEP_KEYS",
    "_STEP_KINDS",
    "_TABLE_ROWS",
    "_TOK",
    "_WARM",
    "_contract_error",
    "_format_table",
    "_format_value",
    "_jsonable",
    "_leading_dim",
    "_mean",
    "_percentile",
    "_py",
    "_summarize",
    "_to_host",
    "atomic_write",
    "logger",
    "theil_sen",
    "time",
)
MODULES = ("recorder", "schema", "statistics", "output", "plots")


def test_former_names_are_importable():
    missing = [name for name in FORMER_NAMES if not hasattr(clock_module, name)]
    assert missing == []
    assert clock_module._CYCLE_FIELDS[clock_module._SEC] == "seconds"
    assert clock_module.logger.name == "nlptoolkit.callbacks.clock"


def test_patching_the_package_time_reaches_the_hooks(monkeypatch):
    recorder = importlib.import_module("nlptoolkit.callbacks.clock.recorder")

    class Frozen:
        now = 7.0

        def perf_counter(self):
            return self.now

    real = recorder.time
    with monkeypatch.context() as patch:
        patch.setattr(clock_module, "time", Frozen())
        assert isinstance(recorder.time, Frozen)
        clock = clock_module.InferenceClock()
        clock.on_decode_begin({"batch_size": 1, "label": "x"})
        clock.on_decode_end({"tokens_generated": 3})
        assert clock.to_dataframe()["seconds"].tolist() == [0.0]
    assert recorder.time is real and clock_module.time is real


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples_run(name):
    module = importlib.import_module(f"nlptoolkit.callbacks.clock.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
