"""The docstring examples of the scale and serving API run."""

import doctest

import pytest


def _objects():
    from nlptoolkit import cli
    from nlptoolkit.decoding import Decoder
    from nlptoolkit.preprocessing import Tokenizer
    from nlptoolkit.tasks import scale
    from nlptoolkit.tasks.task import Task

    return {
        "scale": scale,
        "Task.export": Task.export,
        "Tokenizer.detokenize_tensor": Tokenizer.detokenize_tensor,
        "Decoder.fused_graph": Decoder.fused_graph,
        "cli.make_strategy": cli.make_strategy,
    }


@pytest.mark.parametrize(
    "name",
    [
        "scale",
        "Task.export",
        "Tokenizer.detokenize_tensor",
        "Decoder.fused_graph",
        "cli.make_strategy",
    ],
)
def test_docstring_examples_run(name):
    obj = _objects()[name]
    tests = doctest.DocTestFinder().find(obj, name)
    assert any(test.examples for test in tests), name
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
