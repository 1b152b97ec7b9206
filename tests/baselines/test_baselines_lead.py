import json
import os
import pathlib

import pytest

from nlptoolkit.baselines import lead_k
from nlptoolkit.metrics import rouge

DATA = pathlib.Path(os.environ.get("NLPTOOLKIT_DATA", "../shared/data"))
DIALOGUE = (
    "#Person1#: Hi, Mr. Smith. How are you?\n"
    "#Person2#: Fine.\n"
    "#Person1#: Good.\n"
    "#Person2#: Bye."
)


def test_dialogue_utterances_keep_speaker_tags():
    assert lead_k([DIALOGUE], k=2) == [
        "#Person1#: Hi, Mr. Smith. How are you?\n#Person2#: Fine."
    ]


def test_prose_sentences_and_abbreviations():
    document = (
        'Mr. Smith went to Washington. He said "Hi!" Then J. R. Tolkien '
        "wrote e.g. this. So did I. The end"
    )
    assert lead_k([document], k=3) == [
        'Mr. Smith went to Washington. He said "Hi!" Then J. R. Tolkien '
        "wrote e.g. this."
    ]
    assert lead_k([document], k=10) == [document]


def test_unit_forced_and_per_document_auto():
    documents = [DIALOGUE, "One. Two. Three. Four."]
    assert lead_k(documents, k=1) == [
        "#Person1#: Hi, Mr. Smith. How are you?",
        "One.",
    ]
    assert lead_k([DIALOGUE], k=1, unit="sentence") == [
        "#Person1#: Hi, Mr. Smith."
    ]
    assert lead_k(["a. b.\nc. d."], k=1, unit="utterance") == ["a. b."]


def test_untagged_line_continues_utterance():
    dialogue = "#A#: first\npart two\n#B#: second"
    assert lead_k([dialogue], k=1) == ["#A#: first part two"]


def test_errors():
    with pytest.raises(TypeError, match=r"\[text\]"):
        lead_k("One. Two.")
    with pytest.raises(ValueError, match="empty"):
        lead_k([])
    with pytest.raises(ValueError, match=">= 1"):
        lead_k(["x"], k=0)
    with pytest.raises(ValueError, match="utterance"):
        lead_k(["x"], unit="paragraph")


def test_dialogsum_lead3_matches_published_figures():
    path = DATA / "dialogsum" / "dialogsum.test.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    predictions = lead_k([row["dialogue"] for row in rows], k=3)
    scores = rouge(predictions, [row["summary1"] for row in rows])
    assert scores["rouge1"] == pytest.approx(27.48, abs=0.01)
    assert scores["rouge2"] == pytest.approx(7.23, abs=0.01)
    assert scores["rougeL"] == pytest.approx(21.09, abs=0.01)
