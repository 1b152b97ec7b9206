"""Fine-tuning pretrained encoders through TextClassifier and
SentimentClassifier: the shared task test, freezing, the verbs that work
on from-scratch backbones, the CLI, and the real bundled MiniLM."""

import json
import os

import numpy as np
import pytest
from helpers import run_cli_in_process
from presets import sentiment_data
from presets import write_hf_bert
from presets import write_keras_hub_bert

import nlptoolkit


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    return write_keras_hub_bert(tmp_path_factory.mktemp("hub") / "bert")


@pytest.fixture(scope="module")
def trained(hub_folder):
    # A random tiny BERT learns with mean pooling (its untrained tanh
    # pooler stays at chance on this data).
    texts, labels = sentiment_data()
    clf = nlptoolkit.SentimentClassifier(
        hub_folder, seed=0, learning_rate=1e-2, pooling="mean"
    )
    clf.fit(
        texts, labels, epochs=6, batch_size=8, verbose=0, early_stopping=False
    )
    return clf


def test_sentiment_task_test_on_a_keras_hub_preset(hub_folder, tmp_path):
    texts, labels = sentiment_data(repeat=2)
    task = run_task_test_preset(hub_folder, tmp_path, texts, labels)
    assert (
        task.model.task_config["pretrained"]["architecture"] == "BertBackbone"
    )


def run_task_test_preset(folder, tmp_path, texts, labels):
    from helpers import run_task_test

    return run_task_test(
        nlptoolkit.SentimentClassifier,
        (texts, labels),
        ["good film", "the movie was very dull", ""],
        tmp_path,
        backbone=folder,
    )


def test_classifier_task_test_on_a_hugging_face_folder(tmp_path):
    from helpers import run_task_test

    # One encoder layer: the test checks the Hugging Face route (weights
    # read and mapped, manifest), which a second layer only repeats.
    folder, _, _ = write_hf_bert(tmp_path / "hf", layers=1)
    texts, labels = sentiment_data(repeat=2)
    names = ["pos" if y else "neg" for y in labels]
    task = run_task_test(
        nlptoolkit.TextClassifier,
        (texts, names),
        ["good film", "awful plot"],
        tmp_path,
        backbone=folder,
    )
    manifest = task.model.task_config["pretrained"]
    assert manifest["source"] == "huggingface"
    assert len(manifest["weights_sha256"]) == 64


def test_fine_tuning_learns_and_loads_without_the_preset(
    trained, hub_folder, tmp_path
):
    texts, labels = sentiment_data(repeat=1)
    assert trained.evaluate(texts, labels)["accuracy"] >= 0.75
    assert trained.training_config["length_bucketing"] is True
    path = tmp_path / "clf.keras"
    trained.save(path)
    moved = hub_folder + "-moved"
    os.rename(hub_folder, moved)
    try:
        loaded = nlptoolkit.load(path)
        np.testing.assert_allclose(
            loaded.predict(texts), trained.predict(texts), rtol=1e-5, atol=1e-6
        )
        assert loaded.classify(["good film"]) == trained.classify(["good film"])
    finally:
        os.rename(moved, hub_folder)


def test_bucketed_predict_equals_one_padded_batch(trained):
    texts = ["good", "the movie was very very dull", "a fine plot", "bad"]
    bucketed = trained.predict(texts, batch_size=2)
    padded = trained.model.predict(trained.encode(texts), verbose=0)
    np.testing.assert_allclose(bucketed, padded, rtol=1e-5, atol=1e-6)


def test_verbs_of_the_from_scratch_backbones_work(
    trained, hub_folder, tmp_path
):
    import tensorflow as tf

    texts, labels = sentiment_data(repeat=2)
    frame = trained.top_losses(texts, labels, k=3)
    assert len(frame) == 3
    clock = nlptoolkit.callbacks.InferenceClock()
    trained.predict(texts, batch_size=8, callbacks=[clock])
    rows = clock.to_dataframe()
    assert len(rows) == 2 and rows["batch_size"].sum() == len(texts)
    served = tf.saved_model.load(trained.export(str(tmp_path / "1")))
    out = served.signatures["serving_default"](texts=tf.constant(texts[:3]))
    np.testing.assert_allclose(
        out["probabilities"].numpy(), trained.predict(texts[:3]), atol=1e-5
    )
    before = trained.predict(texts)
    result = trained.find_learning_rate(
        texts, labels, num_steps=6, batch_size=8
    )
    assert result.suggestion > 0
    np.testing.assert_allclose(trained.predict(texts), before, atol=1e-6)
    trained.fit(
        texts,
        labels,
        epochs=1,
        batch_size=8,
        verbose=0,
        class_weight="balanced",
    )
    assert trained.training_config["class_weight"] == {
        "negative": 1.0,
        "positive": 1.0,
    }


def test_mixed_precision_and_strategy(hub_folder):
    import tensorflow as tf

    texts, labels = sentiment_data(repeat=2)
    clf = nlptoolkit.SentimentClassifier(
        hub_folder,
        seed=0,
        mixed_precision=True,
        strategy=tf.distribute.OneDeviceStrategy("/cpu:0"),
    )
    history = clf.fit(texts, labels, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert clf.predict(["good film"]).dtype == np.float32


def test_cli_train_with_a_frozen_preset_folder(hub_folder, tmp_path, capsys):
    """``--freeze-backbone`` trains the head alone: the saved backbone's
    weights are the preset's, the head's have moved."""
    import pandas as pd

    texts, labels = sentiment_data(repeat=3)
    csv = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(csv, index=False)
    out = tmp_path / "run"
    code, errors = run_cli_in_process(
        "sentiment",
        [
            "train",
            "--train-file",
            str(csv),
            "--test-file",
            str(csv),
            "--backbone",
            hub_folder,
            "--freeze-backbone",
            "--epochs",
            "1",
            "--output",
            str(out),
        ],
        capsys,
    )
    assert code == 0, errors
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["pretrained"]["source"] == "keras_hub"
    assert metrics["pretrained"]["weights_sha256"]
    assert metrics["training"]["learning_rate"] == pytest.approx(1e-3)
    loaded = nlptoolkit.load(out / "model.keras")
    assert loaded.classify(["good film"])
    reference = nlptoolkit.backbones.PretrainedBackbone.from_preset(
        nlptoolkit.backbones.resolve_preset(hub_folder), pad_token_id=0
    ).hub_backbone
    hub = loaded.model.backbone.hub_backbone
    for mine, original in zip(hub.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(original))
    assert not hub.trainable and loaded.model.head.trainable_weights


def test_real_minilm_checkpoint_fine_tunes():
    """The bundled all-MiniLM-L6-v2 (22.7M parameters): hash, load, and a
    few fine-tuning steps. Kept short: 1 step of 8 sentences."""
    folder = nlptoolkit.backbones.bundled_checkpoint_path("all-minilm-l6-v2")
    assert nlptoolkit.backbones.preset.sha256_file(
        os.path.join(folder, "model.safetensors")
    ) == ("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
    texts, labels = sentiment_data(repeat=1)
    clf = nlptoolkit.SentimentClassifier("all-minilm-l6-v2", seed=0)
    history = clf.fit(
        texts,
        labels,
        epochs=1,
        batch_size=8,
        verbose=0,
        early_stopping=False,
    )
    assert np.isfinite(history.history["loss"][0])
    assert 22_000_000 < clf.count_params < 23_000_000
    assert clf.backbone_label == "all-minilm-l6-v2"
    info = clf.model.task_config["pretrained"]
    assert info["architecture"] == "bert"
    assert info["weights_sha256"].startswith("53aa5117")
    assert clf.model.backbone.pooling == "mean"  # Its 1_Pooling config.
