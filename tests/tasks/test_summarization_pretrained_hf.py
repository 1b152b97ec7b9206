"""Summarizer(backbone=<Hugging Face BART folder>): the folder written by
``transformers`` from a tiny random config (no network) loads through
keras-hub's converter, its logits match the original PyTorch model's, and
it fine-tunes, decodes the same on every path and reloads from one file.
Skipped where ``transformers``/``torch`` are not installed (they run in
a child process: torch and TensorFlow in one process crash)."""

import importlib.util

import numpy as np
import pytest
from presets import summary_data
from presets import write_hf_bart

import nlptoolkit
from nlptoolkit.backbones import preset as preset_lib
from nlptoolkit.backbones.seq2seq_preset import load_hub_seq2seq

for _name in ("torch", "transformers", "safetensors"):
    if importlib.util.find_spec(_name) is None:  # Not imported here: see
        pytest.skip(f"needs {_name}", allow_module_level=True)  # presets.

DOCUMENTS, SUMMARIES = summary_data()


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    return write_hf_bart(tmp_path_factory.mktemp("hf") / "bart")


def test_logits_match_the_pytorch_original(hf_folder):
    """keras-hub's BART on the converted weights against
    ``transformers.BartForConditionalGeneration``'s own logits (computed
    when the folder was written): within 1e-4 (float32; both use the
    exact GELU)."""
    folder, reference = hf_folder
    info = preset_lib.resolve_preset(folder)
    assert (info.source, info.architecture) == ("huggingface", "bart")
    hub = load_hub_seq2seq(info)
    encoder, decoder = reference["encoder"], reference["decoder"]
    ours = hub(
        {
            "encoder_token_ids": encoder,
            "encoder_padding_mask": encoder != 1,
            "decoder_token_ids": decoder,
            "decoder_padding_mask": decoder != 1,
        }
    )
    real = decoder != 1
    np.testing.assert_allclose(
        np.asarray(ours)[real], reference["logits"][real], atol=1e-4
    )


@pytest.mark.slow  # About 55 s on the shared 2-core CPU.
def test_fine_tunes_decodes_and_reloads(hf_folder, tmp_path):
    folder, _ = hf_folder
    model = nlptoolkit.Summarizer(
        folder, seed=0, learning_rate=1e-2, sequence_length=24,
        summary_length=10,
    )  # fmt: skip
    history = model.fit(DOCUMENTS, SUMMARIES, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.model.task_config["pretrained"]["weights_file"] == (
        "model.safetensors"
    )
    outputs = {
        decode: model.summarize(
            DOCUMENTS[:3], max_length=6, sampler="greedy", decode=decode
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert outputs["fused"] == outputs["stepwise"] == outputs["uncached"]
    path = tmp_path / "hf_bart.keras"
    model.save(path)
    loaded = nlptoolkit.load(path)
    assert (
        loaded.summarize(DOCUMENTS[:3], max_length=6, sampler="greedy")
        == outputs["fused"]
    )
