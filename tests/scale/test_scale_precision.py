"""``mixed_precision=True``: bfloat16 compute on the CPU, float32 outputs.

The policy is set only while the model is built (and loaded); the global
policy is float32 again afterwards. Saved models load under the policy
they were trained with and give the same outputs.
"""

import keras
import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit

CORPUS = "to be or not to be that is the question " * 8


def test_mixed_precision_classifier_trains_saves_and_loads(tmp_path):
    clf = nlptoolkit.TextClassifier(
        "lstm", seed=1, mixed_precision=True, **TINY
    )
    assert clf.get_config()["mixed_precision"] is True
    history = clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        epochs=1,
        batch_size=8,
        verbose=0,
        early_stopping=False,
    )
    assert np.isfinite(history.history["loss"][0])
    assert keras.config.dtype_policy().name == "float32"
    model = clf.model
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.backbone.token_embedding.compute_dtype == "bfloat16"
    assert model.backbone.lstm_layers[0].compute_dtype == "bfloat16"
    assert model.head.dense.compute_dtype == "float32"
    probabilities = clf.predict(TOY_TEXTS[:6])
    assert probabilities.dtype == np.float32

    path = tmp_path / "clf.keras"
    clf.save(path)
    loaded = nlptoolkit.load(path)
    assert keras.config.dtype_policy().name == "float32"
    assert loaded.mixed_precision is True
    assert loaded.model.backbone.token_embedding.compute_dtype == "bfloat16"
    np.testing.assert_array_equal(loaded.predict(TOY_TEXTS[:6]), probabilities)


@pytest.mark.parametrize("backbone", ["transformer", "lstm"])
def test_mixed_precision_generator_decodes_saves_and_exports(
    backbone, tmp_path
):
    import tensorflow as tf

    gen = nlptoolkit.TextGenerator(
        backbone, seed=0, sequence_length=12, mixed_precision=True, **TINY
    )
    history = gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert keras.config.dtype_policy().name == "float32"
    assert gen.model.head.dense.compute_dtype == "float32"
    assert gen.predict(["to be"]).dtype == np.float32
    prompts = ["to be", ""]  # "" starts from [BOS] alone (an empty cache)
    fused = gen.generate(prompts, max_length=4)

    path = tmp_path / "gen.keras"
    gen.save(path)
    assert nlptoolkit.load(path).generate(prompts, max_length=4) == fused
    exported = gen.export(tmp_path / "served", max_length=4)
    serve = tf.saved_model.load(exported).signatures["serving_default"]
    text = serve(prompts=tf.constant(prompts))["text"].numpy()
    assert [t.decode("utf-8") for t in text] == fused


def test_mixed_precision_summarizer_trains_and_loads(tmp_path):
    documents = ["alice met bob at the cafe", "the cat sat on the mat"] * 3
    summaries = ["alice met bob", "cat sat"] * 3
    model = nlptoolkit.Summarizer(
        "lstm",
        seed=0,
        sequence_length=8,
        summary_length=4,
        mixed_precision=True,
        **TINY,
    )
    history = model.fit(documents, summaries, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.model.head.dense.compute_dtype == "float32"
    assert model.model.backbone.lstm_layers[0].compute_dtype == "bfloat16"
    summary = model.summarize(documents[:2], sampler="greedy")
    model.save(tmp_path / "sum.keras")
    loaded = nlptoolkit.load(tmp_path / "sum.keras")
    assert loaded.summarize(documents[:2], sampler="greedy") == summary
    assert keras.config.dtype_policy().name == "float32"


def test_mixed_precision_argument_is_checked():
    with pytest.raises(ValueError, match="mixed_precision"):
        nlptoolkit.TextClassifier("lstm", mixed_precision="float16")
    from nlptoolkit.tasks.scale import resolve_precision

    assert resolve_precision(False) is None
    import tensorflow as tf

    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    expected = "mixed_float16" if on_gpu else "mixed_bfloat16"
    assert resolve_precision(True) == expected
    assert resolve_precision("mixed_float16") == "mixed_float16"
