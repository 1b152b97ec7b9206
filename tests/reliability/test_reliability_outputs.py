"""Output folders (issue 22, item 1): nlptoolkit never deletes or replaces
what it did not write.

A folder holding a user's file survives every command that writes output
(``train --output``, ``evaluate`` outputs, ``--clock DIR``, ``export``,
``save``); such a folder is refused (exit 2, one line) unless
``--overwrite``, which then replaces only nlptoolkit's own file names.
"""

import os
import shutil

import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS
from helpers import run_cli_in_process

from nlptoolkit import atomic

USER_FILE = "notes.txt"
USER_TEXT = "the user's own notes"


def _user_folder(path):
    path.mkdir(parents=True, exist_ok=True)
    (path / USER_FILE).write_text(USER_TEXT)
    return path


def _intact(path):
    return (path / USER_FILE).read_text() == USER_TEXT


@pytest.fixture(scope="module")
def toy_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    lines = ["text,label"] + [
        f"{text},{label}"
        for text, label in zip(TOY_TEXTS, TOY_LABELS, strict=True)
    ]
    path = folder / "toy.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _train_argv(csv, output, *extra):
    return [
        "train",
        "--train-file",
        csv,
        "--test-file",
        csv,
        "--epochs",
        "1",
        "--hidden-dim",
        "8",
        "--vocabulary-size",
        "64",
        "--no-early-stopping",
        "--output",
        str(output),
        *extra,
    ]


# ------------------------------------------------------ nlptoolkit.atomic
def test_output_dir_rules(tmp_path):
    # Absent: created whole.
    fresh = tmp_path / "fresh"
    with atomic.output_dir(fresh) as tmp:
        (open(os.path.join(tmp, "metrics.json"), "w")).close()
    assert sorted(os.listdir(fresh)) == ["metrics.json"]
    # An earlier run (only nlptoolkit's names): its files are replaced.
    with atomic.output_dir(fresh) as tmp:
        with open(os.path.join(tmp, "metrics.json"), "w") as handle:
            handle.write("second")
    assert (fresh / "metrics.json").read_text() == "second"
    # Anything else: refused, naming the file and the fix.
    user = _user_folder(tmp_path / "user")
    (user / "metrics.json").write_text("the user's metrics")
    with pytest.raises(atomic.OutputFolderError, match="notes.txt.*overwrite"):
        with atomic.output_dir(user):
            pytest.fail("the block must not run")
    assert sorted(os.listdir(user)) == ["metrics.json", USER_FILE]
    # overwrite=True: only nlptoolkit's names replaced, the rest untouched.
    with atomic.output_dir(user, overwrite=True) as tmp:
        for name in ("metrics.json", "model.keras"):
            with open(os.path.join(tmp, name), "w") as handle:
                handle.write("new")
    assert _intact(user)
    assert (user / "metrics.json").read_text() == "new"
    assert sorted(os.listdir(user)) == [
        "metrics.json",
        "model.keras",
        USER_FILE,
    ]


def test_output_dir_failure_leaves_the_folder_as_it_was(tmp_path):
    user = _user_folder(tmp_path / "user")
    with pytest.raises(RuntimeError):
        with atomic.output_dir(user, overwrite=True) as tmp:
            (open(os.path.join(tmp, "model.keras"), "w")).close()
            raise RuntimeError("crash mid-run")
    assert os.listdir(user) == [USER_FILE]
    with pytest.raises(RuntimeError):
        with atomic.output_dir(tmp_path / "absent"):
            raise RuntimeError("crash mid-run")
    assert sorted(os.listdir(tmp_path)) == ["user"]


def test_output_dir_refuses_a_name_that_is_not_the_toolkits(tmp_path):
    user = _user_folder(tmp_path / "user")
    with pytest.raises(ValueError, match="not among"):
        with atomic.output_dir(user, overwrite=True) as tmp:
            (open(os.path.join(tmp, USER_FILE), "w")).close()
    assert _intact(user)


def test_own_folders_inside_the_output_are_not_foreign(tmp_path):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "model.keras").write_text("earlier")
    assert atomic.foreign_entries(out) == ["checkpoints"]
    assert atomic.foreign_entries(out, own=[out / "checkpoints"]) == []


def test_ctrl_c_while_the_files_move_names_the_folder(
    tmp_path, monkeypatch, capsys
):
    """A Ctrl-C during the renames into an output folder: exit 130, and the
    one line says which folder may now hold a mix of two runs."""
    from nlptoolkit import cli

    out = tmp_path / "out"

    def stop(*args):
        raise KeyboardInterrupt

    def build_parser():
        parser = cli.ArgumentParser(prog="x")
        parser.add_subparsers(dest="command").add_parser("train")
        return parser

    def train(args):
        with cli.atomic_output_dir(str(out)) as tmp:
            open(os.path.join(tmp, "metrics.json"), "w").close()
            monkeypatch.setattr(os, "replace", stop)  # in the commit
        return 0

    assert cli.make_main(build_parser, {"train": train})(["train"]) == 130
    monkeypatch.undo()
    line = capsys.readouterr().err.strip()
    assert line == (
        f"interrupted: train stopped by Ctrl-C while moving its files into "
        f"{out}; files there may be a mix of this run and an earlier one."
    )
    assert sorted(os.listdir(tmp_path)) == []  # its temp folder is gone


# ------------------------------------------------------------------ CLIs
@pytest.mark.parametrize(
    "module", ["classification", "summarization", "generation"]
)
def test_train_refuses_a_user_folder_before_training(
    module, toy_csv, tmp_path, capsys
):
    user = _user_folder(tmp_path / "user")
    argv = ["train", "--train-file", toy_csv, "--output", str(user)]
    if module == "classification":
        argv = _train_argv(toy_csv, user)
    code, lines = run_cli_in_process(module, argv, capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "notes.txt" in lines[0] and "--overwrite" in lines[0]
    assert os.listdir(user) == [USER_FILE]
    assert _intact(user)


def test_output_dot_is_refused(toy_csv, tmp_path, capsys, monkeypatch):
    user = _user_folder(tmp_path / "project")
    monkeypatch.chdir(user)
    code, lines = run_cli_in_process(
        "classification", _train_argv(toy_csv, "."), capsys
    )
    assert code == 2 and len(lines) == 1
    assert os.listdir(user) == [USER_FILE]


@pytest.fixture(scope="module")
def trained_run(toy_csv, tmp_path_factory):
    """One classification ``train`` run into a fresh folder."""
    from nlptoolkit.tasks.classification.__main__ import main

    out = tmp_path_factory.mktemp("runs") / "run"
    assert main(_train_argv(toy_csv, out)) == 0
    return out


def test_train_replaces_only_an_earlier_run(
    trained_run, toy_csv, tmp_path, capsys, caplog
):
    names = sorted(os.listdir(trained_run))
    assert "model.keras" in names and "metrics.json" in names
    # Again into the same folder: an earlier run, replaced (and logged).
    again = tmp_path / "again"
    shutil.copytree(trained_run, again)
    with caplog.at_level("INFO", logger="nlptoolkit"):
        code, _ = run_cli_in_process(
            "classification", _train_argv(toy_csv, again), capsys
        )
    assert code == 0
    assert sorted(os.listdir(again)) == names
    assert "Replaced" in caplog.text and "model.keras" in caplog.text
    # --overwrite into a user's folder: the user's file is untouched.
    user = _user_folder(tmp_path / "user")
    code, _ = run_cli_in_process(
        "classification",
        _train_argv(toy_csv, user, "--overwrite"),
        capsys,
    )
    assert code == 0
    assert _intact(user)
    assert sorted(os.listdir(user)) == sorted([*names, USER_FILE])


def test_evaluate_and_clock_outputs_respect_user_folders(
    trained_run, toy_csv, tmp_path, capsys
):
    user = _user_folder(tmp_path / "user")
    shutil.copy(trained_run / "model.keras", user / "model.keras")
    model = str(user / "model.keras")
    evaluate = ["evaluate", "--model", model, "--test-file", toy_csv]
    # Default output: the model's folder, which holds the user's file.
    code, lines = run_cli_in_process("classification", evaluate, capsys)
    assert code == 2 and len(lines) == 1 and "model's folder" in lines[0]
    other = _user_folder(tmp_path / "other")
    code, lines = run_cli_in_process(
        "classification", [*evaluate, "--output", str(other)], capsys
    )
    assert code == 2 and len(lines) == 1
    code, _ = run_cli_in_process(
        "classification", [*evaluate, "--overwrite"], capsys
    )
    assert code == 0
    assert sorted(os.listdir(user)) == [
        "model.keras",
        USER_FILE,
        "top_losses.csv",
    ]
    assert _intact(user)
    # --clock DIR
    predict = ["predict", "--model", model, "a good film", "--clock"]
    code, lines = run_cli_in_process(
        "classification", [*predict, str(other)], capsys
    )
    assert code == 2 and len(lines) == 1 and "--clock" in lines[0]
    assert os.listdir(other) == [USER_FILE]
    code, _ = run_cli_in_process(
        "classification", [*predict, str(other), "--overwrite"], capsys
    )
    assert code == 0
    assert sorted(os.listdir(other)) == sorted(
        ["clock.csv", "clock.json", "clock.png", USER_FILE]
    )
    assert _intact(other)


@pytest.mark.parametrize(
    "module, argv",
    [
        (
            "summarization",
            ["evaluate", "--model", "{user}/model.keras", "--dataset", "x"],
        ),
        ("generation", ["generate", "--model", "m.keras", "--clock", "{user}"]),
        (
            "summarization",
            ["summarize", "--model", "m.keras", "a", "--clock", "{user}"],
        ),
    ],
)
def test_other_tasks_refuse_user_folders_before_loading(
    module, argv, tmp_path, capsys
):
    user = _user_folder(tmp_path / "user")
    argv = [arg.replace("{user}", str(user)) for arg in argv]
    code, lines = run_cli_in_process(module, argv, capsys)
    assert code == 2 and len(lines) == 1 and "notes.txt" in lines[0]
    assert os.listdir(user) == [USER_FILE]


# --------------------------------------------------------- export / save
@pytest.fixture(scope="module")
def classifier():
    import nlptoolkit

    clf = nlptoolkit.TextClassifier("lstm", seed=1, **TINY)
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0)
    return clf


def test_export_and_save_never_touch_a_user_folder(classifier, tmp_path):
    user = _user_folder(tmp_path / "user")
    with pytest.raises(ValueError, match="not a SavedModel"):
        classifier.export(user)
    # A SavedModel the user put a file into is not replaced either.
    served = tmp_path / "served"
    classifier.export(served)
    (served / USER_FILE).write_text(USER_TEXT)
    with pytest.raises(ValueError, match="notes.txt"):
        classifier.export(served)
    assert _intact(served)
    # save(path) of an existing folder: refused, the folder untouched.
    folder = _user_folder(tmp_path / "folder.keras")
    with pytest.raises(IsADirectoryError, match="existing folder"):
        classifier.save(folder)
    assert os.listdir(folder) == [USER_FILE] and _intact(folder)
