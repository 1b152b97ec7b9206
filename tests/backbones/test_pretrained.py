"""Pretrained backbones: resolving handles, loading both folder formats,
numerical parity with an independent BERT, and every bad input."""

import json
import os

import numpy as np
import pytest
from presets import VOCABULARY
from presets import reference_bert
from presets import write_hf_bert
from presets import write_keras_hub_bert

import nlptoolkit
from nlptoolkit.backbones import preset as preset_lib
from nlptoolkit.training.bucketing import length_batches
from nlptoolkit.training.bucketing import padded_width


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    return write_hf_bert(tmp_path_factory.mktemp("hf") / "bert")


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    return write_keras_hub_bert(tmp_path_factory.mktemp("hub") / "bert")


def test_resolve_both_folder_formats(hf_folder, hub_folder):
    folder, _, _ = hf_folder
    info = nlptoolkit.backbones.resolve_preset(folder)
    assert (info.source, info.architecture) == ("huggingface", "bert")
    hub = nlptoolkit.backbones.resolve_preset(hub_folder)
    assert (hub.source, hub.architecture) == ("keras_hub", "BertBackbone")
    manifest = info.manifest()
    assert manifest["weights_file"] == "model.safetensors"
    assert manifest["weights_sha256"] == preset_lib.sha256_file(
        os.path.join(folder, "model.safetensors")
    )


def test_remote_handles_are_not_fetched_when_resolved():
    for handle in ("bert_tiny_en_uncased", "hf://org/name", "kaggle://a/b"):
        info = nlptoolkit.backbones.resolve_preset(handle)
        assert (info.source, info.path) == ("remote", None)


def test_hugging_face_bert_matches_an_independent_reference(hf_folder):
    folder, weights, config = hf_folder
    info = nlptoolkit.backbones.resolve_preset(folder)
    backbone = nlptoolkit.backbones.PretrainedBackbone.from_preset(
        info, pad_token_id=0
    )
    ids = np.array([[2, 5, 9, 11, 3, 0, 0], [2, 7, 3, 0, 0, 0, 0]])
    out = backbone(ids)
    sequence, pooled = reference_bert(weights, config, ids)
    real = ids != 0
    np.testing.assert_allclose(
        np.asarray(out["sequence_output"])[real], sequence[real], atol=2e-5
    )
    np.testing.assert_allclose(
        np.asarray(out["pooled_output"]), pooled, atol=2e-5
    )
    assert np.asarray(out["padding_mask"]).tolist() == real.tolist()


def test_mean_pooling_averages_real_tokens(hub_folder):
    info = nlptoolkit.backbones.resolve_preset(hub_folder)
    backbone = nlptoolkit.backbones.PretrainedBackbone.from_preset(
        info, pad_token_id=0, pooling="mean"
    )
    ids = np.array([[2, 5, 6, 3, 0, 0]])
    out = backbone(ids)
    expected = np.asarray(out["sequence_output"])[0, :4].mean(axis=0)
    np.testing.assert_allclose(
        np.asarray(out["pooled_output"])[0], expected, rtol=1e-5
    )


def test_offline_handle_gives_one_clear_error(monkeypatch):
    import keras_hub

    def offline(*args, **kwargs):
        raise ConnectionError("Max retries exceeded with url")

    monkeypatch.setattr(keras_hub.models.Backbone, "from_preset", offline)
    info = nlptoolkit.backbones.resolve_preset("bert_tiny_en_uncased")
    with pytest.raises(nlptoolkit.backbones.PresetUnavailableError) as error:
        preset_lib.load_hub_backbone(info)
    message = str(error.value)
    assert "'bert_tiny_en_uncased'" in message
    assert "backbone='/path/to/folder'" in message
    assert isinstance(error.value, ConnectionError)
    assert isinstance(error.value, ValueError)


def test_offline_error_reaches_the_task(monkeypatch):
    import keras_hub

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(
        keras_hub.models.TextClassifierPreprocessor, "from_preset", offline
    )
    clf = nlptoolkit.TextClassifier("bert_tiny_en_uncased")
    with pytest.raises(
        nlptoolkit.backbones.PresetUnavailableError, match="local"
    ):
        clf.fit(["a", "b"] * 4, [0, 1] * 4, epochs=1, verbose=0)


def test_folder_of_neither_format(tmp_path):
    with pytest.raises(ValueError, match="no `config.json`"):
        nlptoolkit.TextClassifier(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"hidden": 8}))
    with pytest.raises(ValueError, match="neither `registered_name`"):
        nlptoolkit.TextClassifier(str(tmp_path))


def test_unsupported_architecture_names_the_supported_ones(tmp_path):
    folder, _, _ = write_hf_bert(tmp_path / "gpt", model_type="gpt2")
    clf = nlptoolkit.TextClassifier(folder)
    with pytest.raises(ValueError, match="'gpt2'") as error:
        clf.fit(["a", "b"] * 4, [0, 1] * 4, epochs=1, verbose=0)
    assert "distilbert" in str(error.value) and "roberta" in str(error.value)


def test_unknown_name_and_missing_folder():
    with pytest.raises(ValueError, match="keras-hub preset name"):
        nlptoolkit.TextClassifier("no_such_model_en")
    with pytest.raises(ValueError, match="does not exist"):
        nlptoolkit.TextClassifier("./no/such/folder")


def test_weights_hash_mismatch(hf_folder):
    folder, _, _ = hf_folder
    with pytest.raises(ValueError, match="does not match the recorded sha256"):
        preset_lib.check_weights_sha256(folder, "0" * 64)


def test_sizes_and_freeze_rules(hub_folder):
    with pytest.raises(ValueError, match=r"Received: \['hidden_dim'\]"):
        nlptoolkit.TextClassifier(hub_folder, hidden_dim=8)
    with pytest.raises(ValueError, match="freeze_backbone=True"):
        nlptoolkit.TextClassifier("lstm", freeze_backbone=True)
    clf = nlptoolkit.TextClassifier(hub_folder, sequence_length=64)
    with pytest.raises(ValueError, match="at most 32 positions"):
        clf.fit(["good", "bad"] * 4, [1, 0] * 4, epochs=1, verbose=0)


def test_a_generator_refuses_an_encoder_preset(hub_folder):
    with pytest.raises(
        ValueError, match="Unsupported architecture for a text generator"
    ):
        nlptoolkit.TextGenerator(hub_folder)


def test_preset_tokenizer_pads_with_the_preset_pad_id():
    import keras_hub

    vocabulary = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "a", "Ġgood"]
    vocabulary += ["Ġ", "g", "o", "d", "Ġg", "oo", "Ġgoo"]
    merges = ["Ġ g", "o o", "Ġg oo", "Ġgoo d"]
    hub = keras_hub.models.RobertaTextClassifierPreprocessor(
        keras_hub.models.RobertaTokenizer(
            vocabulary={t: i for i, t in enumerate(vocabulary)},
            merges=merges,
        ),
        sequence_length=6,
    )
    tokenizer = nlptoolkit.preprocessing.PresetTokenizer(hub, 6)
    assert tokenizer.pad_token_id == 1
    ids = tokenizer.tokenize(["a good"]).numpy().tolist()
    assert ids == [[0, 5, 6, 2, 1, 1]]
    assert tokenizer.token_counts(["a good", "a"]).tolist() == [4, 3]


def test_length_batches_cover_every_row_once():
    lengths = np.random.default_rng(0).integers(1, 60, size=103)
    for shuffle in (False, True):
        batches = length_batches(lengths, 8, shuffle=shuffle, seed=3)
        rows = np.concatenate(batches)
        assert sorted(rows.tolist()) == list(range(103))
        assert [len(b) for b in batches].count(8) == 12
    one = length_batches(lengths, 8, shuffle=True, seed=1)
    two = length_batches(lengths, 8, shuffle=True, seed=2)
    assert [b.tolist() for b in one] != [b.tolist() for b in two]
    # Sorted batches are far narrower than the longest row.
    widths = [padded_width(lengths[b], 64) for b in length_batches(lengths, 8)]
    assert np.mean(widths) < 0.7 * 64
    assert padded_width(np.array([3, 9]), 64) == 16
    assert padded_width(np.array([63]), 60) == 60
    assert padded_width(np.array([70]), 512) == 96
    assert padded_width(np.array([300]), 512) == 320


def test_vocabulary_is_the_presets(hub_folder):
    clf = nlptoolkit.TextClassifier(hub_folder, seed=0)
    clf.fit(["good", "bad"] * 4, [1, 0] * 4, epochs=1, verbose=0)
    assert clf.tokenizer.vocabulary == VOCABULARY
