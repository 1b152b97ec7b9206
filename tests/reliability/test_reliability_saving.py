"""Saving and loading: atomic saves survive SIGKILL, bad files give one
clear ValueError, loading runs no code (Keras safe mode), no pickle."""

import json
import pathlib
import random
import signal
import time
import tokenize
import zipfile

import keras
import numpy as np
import pytest

import nlptoolkit

PACKAGE = pathlib.Path(nlptoolkit.__file__).parent
PROBE = ["a good plot", "an awful movie", ""]


@pytest.fixture(scope="module")
def saved(tiny_classifier, tiny_classifier_file):
    """A tiny trained classifier saved once: (path, its predictions)."""
    return tiny_classifier_file, tiny_classifier.predict(PROBE)


# A child that, once given a model file, saves it over and over until it
# is killed.
SAVE_LOOP = """
import sys
import nlptoolkit

print("ready", flush=True)
path = sys.stdin.readline().strip()
task = nlptoolkit.load(path)
index = 0
while True:
    print(f"saving {index}", flush=True)
    task.save(path)
    index += 1
"""


def start_children(folder, spawn):
    """The ``children`` fixture (see conftest) starts these."""
    return {"save": spawn(SAVE_LOOP, folder=folder, name="save")}


def _read_until(child, wanted, folder, name):
    deadline = time.monotonic() + 240
    for line in child.stdout:
        if line.startswith(wanted):
            return
        assert time.monotonic() < deadline, f"no {wanted!r} from the child"
    pytest.fail(
        f"the child exited before {wanted!r}: "
        + (folder / f"{name}.err").read_text()[-2000:]
    )


def test_sigkill_mid_save_leaves_the_previous_file_loadable(
    saved, children, tmp_path
):
    source, expected = saved
    path = tmp_path / "model.keras"
    path.write_bytes(source.read_bytes())
    started, folder = children
    child = started["save"]
    try:
        _read_until(child, "ready", folder, "save")
        child.stdin.write(f"{path}\n")
        child.stdin.flush()
        # After a few complete saves, kill within the next one.
        _read_until(child, "saving 3", folder, "save")
        time.sleep(random.uniform(0.0, 0.03))
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    loaded = nlptoolkit.load(path)
    np.testing.assert_allclose(loaded.predict(PROBE), expected, atol=1e-6)
    # Only the killed save's temp file can be left over, never a
    # half-written model.keras.
    others = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(
        name.startswith(f".{path.name}.") and name.endswith(".keras")
        for name in others
    ), others


def _assert_one_clear_error(path, match):
    with pytest.raises(ValueError, match=match) as error:
        nlptoolkit.load(path)
    message = str(error.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def test_truncated_file(saved, tmp_path):
    data = saved[0].read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut{cut}.keras"
        path.write_bytes(data[:cut])
        _assert_one_clear_error(path, "not a valid nlptoolkit model file")


def test_corrupted_weights(saved, tmp_path):
    path = tmp_path / "corrupt.keras"
    with (
        zipfile.ZipFile(saved[0]) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith(".h5"):
                data = data[:64] + b"\x00" * (len(data) - 64)
            target.writestr(item, data)
    _assert_one_clear_error(path, "Could not load")


@pytest.mark.parametrize(
    "members",
    [
        {"junk.txt": b"junk"},
        {"config.json": b"{not json"},
        {"config.json": b'{"class_name": "Nope", "config": {}}'},
    ],
    ids=["junk", "bad-json", "unknown-class"],
)
def test_zip_that_is_not_a_model(tmp_path, members):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _assert_one_clear_error(path, "Could not load")


def test_text_file_and_plain_keras_model(tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    _assert_one_clear_error(text, "not a valid nlptoolkit model file")
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "plain.keras"
    plain.save(path)
    _assert_one_clear_error(path, "not an nlptoolkit task")


def _lambda_layer_config():
    """The serialized config of a Lambda layer holding Python bytecode."""
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)]
    )
    config = keras.saving.serialize_keras_object(model)
    return config["config"]["layers"][-1]


def test_lambda_layer_is_refused(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)]
    )
    path = tmp_path / "lambda.keras"
    model.save(path)
    message = _assert_one_clear_error(path, "Could not load")
    assert "Lambda" in message and "safe_mode" in message


def test_lambda_inside_an_nlptoolkit_model_is_refused(saved, tmp_path):
    """Safe mode reaches the nested deserialization in TaskModel: a file
    whose head was swapped for a Lambda is refused, even when unsafe
    deserialization was enabled globally (load passes safe_mode=True)."""
    path = tmp_path / "tampered.keras"
    with (
        zipfile.ZipFile(saved[0]) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                assert config["config"]["task_config"]["task"]
                config["config"]["head"] = _lambda_layer_config()
                data = json.dumps(config).encode()
            target.writestr(item, data)
    from keras.src.saving import serialization_lib

    before = serialization_lib.in_safe_mode()
    keras.config.enable_unsafe_deserialization()
    try:
        message = _assert_one_clear_error(path, "Could not load")
    finally:
        from keras.src.backend.common import global_state

        global_state.set_global_attribute("safe_mode_saving", before)
    assert "Lambda" in message


# Names whose use would load or write pickled Python objects.
PICKLE_NAMES = {
    "pickle",
    "cPickle",
    "cloudpickle",
    "dill",
    "joblib",
    "marshal",
    "shelve",
    "allow_pickle",
    "enable_unsafe_deserialization",
}


def test_no_pickle_anywhere_in_the_package():
    """Code only (comments and docstrings may mention pickle): no pickle,
    joblib & co., and no ``safe_mode=False``."""
    found = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for file in files:
        with open(file, "rb") as handle:
            tokens = [
                t
                for t in tokenize.tokenize(handle.readline)
                if t.type in (tokenize.NAME, tokenize.OP)
            ]
        for index, token in enumerate(tokens):
            where = f"{file.relative_to(PACKAGE)}:{token.start[0]}"
            if token.type == tokenize.NAME and token.string in PICKLE_NAMES:
                found.append(f"{where} uses {token.string}")
            window = [t.string for t in tokens[index : index + 3]]
            if window == ["safe_mode", "=", "False"]:
                found.append(f"{where} passes safe_mode=False")
    assert not found, found
