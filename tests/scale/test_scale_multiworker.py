"""``MultiWorkerMirroredStrategy``: two local worker processes, TF_CONFIG.

Each worker builds its strategy with ``cli.make_strategy("multiworker")``
(cluster from TF_CONFIG on 127.0.0.1), trains a tiny classifier (stopped
after its first batch by a ``TimeLimit`` that runs out on one worker
only) and saves through ``cli.atomic_output_dir`` (only the chief writes). Both
workers must stop after the same batch and end with the same weights. A
worker that fails or hangs is killed and the test fails with both
workers' logs.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_SECONDS = 300

WORKER = textwrap.dedent(
    """
    import json
    import os
    import sys

    from nlptoolkit import cli

    # First: the multi-worker runtime is configured before TF runs anything.
    strategy = cli.make_strategy("multiworker")

    import numpy as np
    import tensorflow as tf
    from helpers import TINY, TOY_LABELS, TOY_TEXTS

    import nlptoolkit

    from nlptoolkit.callbacks import TimeLimit

    # Worker 0's budget runs out at once, worker 1's never: both must stop
    # after the same batch (else worker 1 waits in the next all-reduce).
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    limit = TimeLimit(1e-3 if index == 0 else 3600)
    clf = nlptoolkit.TextClassifier("lstm", seed=1, strategy=strategy, **TINY)
    history = clf.fit(
        TOY_TEXTS, TOY_LABELS, epochs=2, batch_size=8, verbose=0,
        early_stopping=False, callbacks=[limit],
    )
    weights = np.concatenate(
        [np.ravel(w).astype("float64") for w in clf.model.get_weights()]
    )
    probabilities = clf.predict(TOY_TEXTS[:6])
    direct = clf.model(clf.encode(TOY_TEXTS[:6])).numpy()
    with cli.atomic_output_dir(sys.argv[1], strategy) as tmp:
        clf.save(os.path.join(tmp, "model.keras"))
    # A last collective, so that no worker leaves while another still
    # needs the cluster.
    total = strategy.reduce(
        "SUM", strategy.run(lambda: tf.constant(1.0)), axis=None
    )
    report = {
        "replicas": strategy.num_replicas_in_sync,
        "chief": cli.is_chief(strategy),
        "loss": history.history["loss"],
        "stopped_early": limit.stopped_early,
        "weights_sum": float(weights.sum()),
        "weights_abs_sum": float(np.abs(weights).sum()),
        "predict_matches_model": bool(
            np.allclose(probabilities, direct, atol=1e-6)
        ),
        "barrier": float(total),
    }
    print("RESULT " + json.dumps(report), flush=True)
    """
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait()


def logs(paths):
    return "\n".join(
        f"--- worker {i} ---\n{path.read_text(errors='replace')[-6000:]}"
        for i, path in enumerate(paths)
    )


def test_two_workers_train_one_epoch_in_sync(tmp_path):
    workers = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    output = tmp_path / "run"
    processes, paths = [], []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONPATH=os.pathsep.join(
                [TESTS_DIR] + [p for p in [os.environ.get("PYTHONPATH")] if p]
            ),
            TF_CONFIG=json.dumps(
                {
                    "cluster": {"worker": workers},
                    "task": {"type": "worker", "index": index},
                }
            ),
        )
        path = tmp_path / f"worker{index}.log"
        paths.append(path)
        with open(path, "w") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, str(output)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while any(p.poll() is None for p in processes):
            failed = [p.returncode for p in processes if p.returncode]
            if failed:
                time.sleep(2)  # Let the other worker log its view.
                stop(processes)
                pytest.fail(f"A worker failed (exit {failed}):\n{logs(paths)}")
            if time.monotonic() > deadline:
                stop(processes)
                pytest.fail(
                    f"Workers still running after {TIMEOUT_SECONDS}s; "
                    f"killed.\n{logs(paths)}"
                )
            time.sleep(0.5)
    finally:
        stop(processes)
    codes = [p.returncode for p in processes]
    assert codes == [0, 0], logs(paths)

    reports = []
    for path in paths:
        lines = [
            line
            for line in path.read_text().splitlines()
            if line.startswith("RESULT ")
        ]
        assert lines, logs(paths)
        reports.append(json.loads(lines[-1][len("RESULT ") :]))
    chief, other = reports
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["barrier"] == other["barrier"] == 2.0
    assert (chief["chief"], other["chief"]) == (True, False)
    # Gradients were all-reduced: the same loss, the same weights.
    assert chief["loss"] == other["loss"]
    assert len(chief["loss"]) == 1  # Stopped in the first of 2 epochs.
    assert chief["stopped_early"] and other["stopped_early"]
    assert chief["weights_sum"] == pytest.approx(other["weights_sum"])
    assert chief["weights_abs_sum"] == pytest.approx(other["weights_abs_sum"])
    assert chief["predict_matches_model"] and other["predict_matches_model"]
    # Only the chief wrote the output directory, and it loads.
    assert sorted(os.listdir(output)) == ["model.keras"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".run")]
    import nlptoolkit

    loaded = nlptoolkit.load(output / "model.keras")
    assert loaded.predict(["a good film"]).shape == (1, 2)
