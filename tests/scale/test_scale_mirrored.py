"""``strategy=``: build, compile and train under ``tf.distribute``.

The CPU is split into two logical devices, which must happen before
TensorFlow initialises its devices, so the training runs in a subprocess.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

    import numpy as np
    from helpers import TINY, TOY_LABELS, TOY_TEXTS

    import nlptoolkit

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    report = {"replicas": strategy.num_replicas_in_sync}


    def replicas_of(variables):
        # Keras variables wrap a tf.Variable; mirrored ones hold one
        # component per device.
        return sorted(
            {len(getattr(v.value, "values", [v.value])) for v in variables}
        )


    clf = nlptoolkit.TextClassifier("lstm", seed=1, strategy=strategy, **TINY)
    history = clf.fit(
        TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0,
        early_stopping=False,
    )
    report["clf_loss"] = history.history["loss"]
    report["clf_model_replicas"] = replicas_of(clf.model.variables)
    report["clf_optimizer_replicas"] = replicas_of(
        clf.model.optimizer.variables
    )
    report["clf_strategy"] = type(clf.model.distribute_strategy).__name__
    probabilities = clf.predict(TOY_TEXTS[:6])
    direct = clf.model(clf.encode(TOY_TEXTS[:6])).numpy()
    report["clf_predict_matches_model"] = bool(
        np.allclose(probabilities, direct, atol=1e-6)
    )
    clf.save(sys.argv[1] + "/clf.keras")
    again = nlptoolkit.load(sys.argv[1] + "/clf.keras")
    report["clf_reload_matches"] = bool(
        np.allclose(again.predict(TOY_TEXTS[:6]), probabilities, atol=1e-6)
    )
    served = tf.saved_model.load(clf.export(sys.argv[1] + "/served"))
    labels = served.signatures["serving_default"](
        texts=tf.constant(TOY_TEXTS[:6])
    )["labels"]
    report["clf_export_matches"] = [
        label.decode() for label in labels.numpy()
    ] == clf.classify(TOY_TEXTS[:6])

    gen = nlptoolkit.TextGenerator(
        "transformer", seed=0, strategy=strategy, sequence_length=8, **TINY
    )
    history = gen.fit(
        "to be or not to be " * 12, epochs=1, batch_size=8, verbose=0
    )
    report["gen_loss"] = history.history["loss"]
    report["gen_optimizer_replicas"] = replicas_of(
        gen.model.optimizer.variables
    )
    report["gen_text"] = gen.generate(["to be"], max_length=4)
    print("RESULT " + json.dumps(report))
    """
)


def run_script(script, args, timeout=300):
    """Run ``script`` in a new process group; kill it on timeout."""
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=os.pathsep.join(
            [TESTS_DIR] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        ),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(
            f"Training subprocess timed out after {timeout}s:\n{output}"
        )
    assert process.returncode == 0, output
    line = [x for x in output.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def test_mirrored_strategy_over_two_cpu_devices(tmp_path):
    report = run_script(SCRIPT, [str(tmp_path)])
    assert report["replicas"] == 2
    # Model variables and the optimizer's (built by fit) are mirrored.
    assert report["clf_model_replicas"] == [2]
    assert report["clf_optimizer_replicas"] == [2]
    assert report["gen_optimizer_replicas"] == [2]
    assert report["clf_strategy"] == "MirroredStrategy"
    assert all(loss > 0 for loss in report["clf_loss"] + report["gen_loss"])
    assert report["clf_predict_matches_model"]
    assert report["clf_reload_matches"]
    assert report["clf_export_matches"]
    assert report["gen_text"][0].startswith("to be")


def test_strategy_argument_and_make_strategy(monkeypatch):
    from nlptoolkit import cli

    parser = argparse.ArgumentParser()
    cli.add_common_train_arguments(parser, "trec")
    assert parser.parse_args([]).strategy == "default"
    assert parser.parse_args(["--strategy", "mirrored"]).strategy == (
        "mirrored"
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["--strategy", "tpu"])
    assert cli.make_strategy("default") is None
    assert cli.is_chief(None)
    with pytest.raises(ValueError, match="Unknown strategy"):
        cli.make_strategy("tpu")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(cli.UserError, match="TF_CONFIG"):
        cli.make_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(cli.UserError, match="worker"):
        cli.make_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(cli.UserError, match="not valid JSON"):
        cli.make_strategy("multiworker")
