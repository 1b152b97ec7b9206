"""What a user sees on the terminal (issue 22, items 2 and 4): Ctrl-C
during ``train`` prints one line and exits 130; TensorFlow's C++ log lines
stay off stderr unless asked for; a relative ``NLPTOOLKIT_DATA`` works
from any folder."""

import os
import pathlib
import selectors
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

QUIET = pathlib.Path(__file__).resolve().parents[2] / "nlptoolkit" / "_quiet.py"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(extra)
    return env


def _read_until(process, needle, count, timeout):
    """stdout lines until ``count`` of them hold ``needle`` (or timeout)."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if not selector.select(timeout=1):
            continue
        line = process.stdout.readline()
        lines.append(line)
        if sum(needle in seen for seen in lines) >= count:
            return lines
    return None


def test_ctrl_c_during_train_prints_one_line_and_exits_130(tmp_path):
    from nlptoolkit._quiet import is_native_log_line

    csv = tmp_path / "toy.csv"
    rows = zip(TOY_TEXTS * 3, TOY_LABELS * 3, strict=True)
    csv.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    out, checkpoints = tmp_path / "run", tmp_path / "checkpoints"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nlptoolkit.tasks.classification",
            "train",
            *("--train-file", str(csv), "--test-file", str(csv)),
            *("--epochs", "1000", "--no-early-stopping"),
            *("--hidden-dim", "8", "--vocabulary-size", "64"),
            *("--output", str(out), "--checkpoint-dir", str(checkpoints)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        # TF_CPP_MIN_LOG_LEVEL unset, as in a user's shell: the default
        # filter must keep TensorFlow's C++ lines off stderr.
        env=_env(PYTHONUNBUFFERED="1"),
    )
    try:
        # Keras prints one line per epoch ("... loss: ..."): two epochs
        # done, so a checkpoint exists.
        started = _read_until(process, "loss", count=2, timeout=180)
        assert started is not None, process.stderr.read()[-2000:]
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("interrupted: train stopped by Ctrl-C")
    assert str(checkpoints) in lines[-1] and "resume" in lines[-1]
    assert not out.exists()
    assert not [line for line in lines if is_native_log_line(line)]


def _filter_script():
    """A child that installs the fd-2 filter (``_quiet.py`` loaded alone:
    no TensorFlow import) and writes TensorFlow-style lines to fd 2."""
    return textwrap.dedent(
        f"""
        import importlib.util, os, sys
        spec = importlib.util.spec_from_file_location("q", {str(QUIET)!r})
        quiet = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(quiet)
        quiet.filter_native_logs()
        os.write(2, b"E0000 00:00:1796289582.552689    4427 "
                    b"cuda_platform.cc:52] failed call to cuInit\\n")
        os.write(2, b"W0000 00:00:1796289582.6    4427 x.cc:1] a warning\\n")
        os.write(2, b"native but not a log line\\n")
        print("python's own line", file=sys.stderr)
        """
    )


@pytest.mark.parametrize(
    "env, kept",
    [
        ({}, ["native but not", "python's own"]),
        (
            {"TF_CPP_MIN_LOG_LEVEL": "2"},
            ["cuInit", "native but not", "python's own"],
        ),
        (
            {"TF_CPP_MIN_LOG_LEVEL": "0"},
            ["cuInit", "a warning", "native but not", "python's own"],
        ),
    ],
)
def test_native_log_lines_are_filtered_unless_asked_for(env, kept):
    result = subprocess.run(
        [sys.executable, "-c", _filter_script()],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    # The filter's thread may pass its lines on after Python's own.
    found = sorted(n for n in kept for line in lines if n in line)
    assert len(lines) == len(kept) and found == sorted(kept), lines


def test_relative_nlptoolkit_data_works_from_another_folder(
    tmp_path, monkeypatch
):
    import nlptoolkit.datasets

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "data" / "trec").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "data" / "trec" / "TREC.test").write_text("NUM:date When ?\n")
    expected = project / "data" / "trec" / "TREC.test"
    monkeypatch.setenv("NLPTOOLKIT_OFFLINE", "1")
    # Read from the folder it is relative to: made absolute for good
    # (and in os.environ, so child processes inherit the absolute path).
    monkeypatch.chdir(project)
    monkeypatch.setenv("NLPTOOLKIT_DATA", "data")
    assert nlptoolkit.datasets.resolve("trec", "test") == expected
    assert os.environ["NLPTOOLKIT_DATA"] == str(project / "data")
    monkeypatch.chdir(elsewhere)
    assert nlptoolkit.datasets.resolve("trec", "test") == expected
    # A process started in another folder (a notebook kernel) with the
    # relative value: found through the launching shell's $PWD.
    monkeypatch.setenv("NLPTOOLKIT_DATA", "data")
    monkeypatch.setenv("PWD", str(project))
    frame = nlptoolkit.datasets.load("trec", "test")
    assert frame["text"].tolist() == ["When ?"]
