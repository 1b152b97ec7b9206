"""The registry: names, aliases, splits and the metadata every entry has."""

import pytest

import nlptoolkit.datasets as ds
from nlptoolkit.datasets import parsers
from nlptoolkit.datasets import registry

NAMES = [
    "dialogsum",
    "imdb",
    "ptb",
    "sst2",
    "sst2_glue",
    "tiny_shakespeare",
    "trec",
]


def test_list_datasets():
    assert ds.list_datasets() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_complete(name):
    info = ds.get_info(name)
    assert info.name == name
    assert name in parsers.PARSERS
    assert info.task in (
        "text-classification",
        "summarization",
        "language-modeling",
    )
    assert info.licence and info.citation and info.homepage
    assert set(info.splits) <= set(registry.SPLITS)
    assert "train" in info.splits and "test" in info.splits
    file_names = {f.name for f in info.files}
    assert set(info.splits.values()) <= file_names
    for data_file in info.files:
        assert data_file.url.startswith("https://")
        assert data_file.sha256 is None or len(data_file.sha256) == 64
    assert info.urls.keys() == info.sha256.keys() == file_names


def test_unverifiable_files_are_the_documented_ones():
    missing = sorted(
        (info.name, f.name)
        for info in ds.REGISTRY.values()
        for f in info.files
        if f.sha256 is None
    )
    assert missing == [("dialogsum", "dialogsum.train.jsonl")]


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("SST-2", "sst2"),
        ("sst2-glue", "sst2_glue"),
        ("Tiny-Shakespeare", "tiny_shakespeare"),
        ("penn_treebank", "ptb"),
        (" IMDB ", "imdb"),
    ],
)
def test_aliases(alias, name):
    assert ds.get_info(alias).name == name


def test_every_alias_points_at_an_entry():
    assert set(ds.ALIASES.values()) <= set(ds.REGISTRY)
    assert not set(ds.ALIASES) & set(ds.REGISTRY)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as error:
        ds.load("imbd")
    message = str(error.value)
    assert "name='imbd'" in message
    for name in NAMES:
        assert repr(name) in message


def test_non_string_name():
    with pytest.raises(ValueError, match="Received: name=3"):
        ds.get_info(3)


def test_unknown_split_lists_valid_splits():
    with pytest.raises(ValueError) as error:
        ds.load("sst2", "training")
    message = str(error.value)
    assert "split='training'" in message
    assert "['train', 'validation', 'test']" in message


def test_missing_validation_split_suggests_carving():
    with pytest.raises(ValueError, match="TREC has no validation split"):
        ds.load("trec", "dev")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_bad_max_examples(bad):
    with pytest.raises(ValueError, match="max_examples"):
        ds.load("sst2", max_examples=bad)
