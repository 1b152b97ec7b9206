"""Tiny configs, toy data, ``run_task_test`` and ``run_cli_in_process``
shared by the tests."""

import importlib
import importlib.util
import pathlib
import sys

import numpy as np

# Sizes as keras-hub's tests use them: small enough for 2 CPU cores.
TINY = {
    "vocabulary_size": 64,
    "hidden_dim": 8,
    "intermediate_dim": 16,
    "num_layers": 1,
    "num_heads": 2,
}

TOY_TEXTS = [
    "a good film with a great plot",
    "great acting and a good story",
    "I loved this wonderful movie",
    "a bad film with an awful plot",
    "terrible acting and a boring story",
    "I hated this dreadful movie",
] * 4
TOY_LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"] * 4


def run_task_test(task_class, fit_args, predict_inputs, tmp_path, **kwargs):
    """What every registered task must do (DESIGN.md convention 8).

    Config round trip; fit on lists; predict on a list and on tf.data with
    the same result; save -> ``nlptoolkit.load`` -> identical outputs.
    Returns the trained task for further checks.
    """
    import tensorflow as tf

    import nlptoolkit

    task = task_class(seed=1, **kwargs)
    config = task.get_config()
    again = task_class.from_config(config)
    assert again.get_config() == config

    history = task.fit(*fit_args, epochs=1, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 1
    assert np.isfinite(history.history["loss"][0])

    from_list = task.predict(predict_inputs)
    assert isinstance(from_list, np.ndarray)
    assert from_list.shape[0] == len(predict_inputs)
    dataset = tf.data.Dataset.from_tensor_slices(predict_inputs).batch(3)
    from_dataset = task.predict(dataset)
    np.testing.assert_allclose(from_list, from_dataset, rtol=1e-5, atol=1e-6)

    path = tmp_path / "model.keras"
    task.save(path)
    loaded = nlptoolkit.load(path)
    assert type(loaded) is task_class
    np.testing.assert_allclose(
        loaded.predict(predict_inputs), from_list, rtol=1e-5, atol=1e-6
    )
    return task


def run_cli_captured(module, argv, capsys):
    """Run ``python -m nlptoolkit.tasks.<module>`` in this process:
    ``(exit code, stdout, stderr)`` of that call alone."""
    main = importlib.import_module(f"nlptoolkit.tasks.{module}.__main__").main
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_cli_in_process(module, argv, capsys):
    """Run ``python -m nlptoolkit.tasks.<module>`` in this process:
    ``(exit code, non-empty stderr lines)``."""
    code, _, err = run_cli_captured(module, argv, capsys)
    return code, [line for line in err.splitlines() if line]


BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name):
    """``benchmarks/<name>.py`` as a module (its ``main(argv)`` runs a
    benchmark in this process), with ``benchmarks/`` on ``sys.path`` for
    its ``_common``."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        f"benchmarks_{name}", BENCHMARKS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
