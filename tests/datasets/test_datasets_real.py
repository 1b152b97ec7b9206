"""Each named dataset loads from the real files in $NLPTOOLKIT_DATA."""

import pytest

import nlptoolkit.datasets as ds

# (name, split, rows, columns), measured on the files in /work/shared/data.
EXPECTED = [
    ("sst2", "train", 6920, ["text", "label"]),
    ("sst2", "validation", 872, ["text", "label"]),
    ("sst2", "test", 1821, ["text", "label"]),
    ("sst2_glue", "train", 67349, ["text", "label"]),
    ("sst2_glue", "validation", 872, ["text", "label"]),
    ("sst2_glue", "test", 1821, ["text", "label"]),
    ("trec", "train", 5452, ["text", "label", "fine_label"]),
    ("trec", "test", 500, ["text", "label", "fine_label"]),
    ("dialogsum", "train", 12460, ["document", "summary"]),
    ("dialogsum", "validation", 500, ["document", "summary"]),
    ("dialogsum", "test", 500, ["document", "summary", "references"]),
    ("tiny_shakespeare", "train", 1, ["text"]),
    ("tiny_shakespeare", "validation", 1, ["text"]),
    ("tiny_shakespeare", "test", 1, ["text"]),
    ("ptb", "train", 42068, ["text"]),
    ("ptb", "validation", 3370, ["text"]),
    ("ptb", "test", 3761, ["text"]),
]


@pytest.mark.parametrize(("name", "split", "rows", "columns"), EXPECTED)
def test_split_rows_and_columns(shared_data, name, split, rows, columns):
    df = ds.load(name, split)
    assert list(df.columns) == columns
    assert len(df) == rows
    assert list(df.index[:3]) == list(range(min(3, rows)))
    first = columns[0]
    assert df[first].map(lambda v: isinstance(v, str) and v != "").all()


def test_imdb_train_full(shared_data):
    df = ds.load("imdb", "train")
    assert list(df.columns) == ["text", "label"]
    assert len(df) == 25000
    assert df["label"].dtype == "int64"
    assert df["label"].value_counts().to_dict() == {0: 12500, 1: 12500}
    assert df["text"].str.len().min() > 0


def test_imdb_test_subset_has_both_labels(shared_data):
    df = ds.load("imdb", "test", max_examples=64)
    assert len(df) == 64
    assert set(df["label"]) == {0, 1}


def test_imdb_has_no_validation_split(shared_data):
    with pytest.raises(ValueError, match="IMDB has no validation split") as e:
        ds.load("imdb", "validation")
    assert "train_test_split" in str(e.value)
    assert "validation" in str(e.value)


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("sst2", {0: 3310, 1: 3610}),
        ("sst2_glue", {0: 29780, 1: 37569}),
    ],
)
def test_binary_label_counts(shared_data, name, counts):
    df = ds.load(name)
    assert df["label"].dtype == "int64"
    assert df["label"].value_counts().to_dict() == counts


def test_sst2_dev_is_validation(shared_data):
    dev = ds.load("sst2", "dev")
    validation = ds.load("SST-2", "validation")
    assert dev.equals(validation)
    assert dev["text"].iloc[0] == "one long string of cliches ."


def test_trec_labels(shared_data):
    df = ds.load("trec", "train")
    assert sorted(df["label"].unique()) == list(ds.get_info("trec").labels)
    assert (df["fine_label"].str.split(":").str[0] == df["label"]).all()
    assert df["fine_label"].nunique() == 50
    first = df.iloc[0].to_dict()
    assert first == {
        "text": "How did serfdom develop in and then leave Russia ?",
        "label": "DESC",
        "fine_label": "DESC:manner",
    }


def test_dialogsum_test_references(shared_data):
    df = ds.load("dialogsum", "test")
    assert df["references"].map(len).eq(3).all()
    assert (df["summary"] == df["references"].str[0]).all()
    assert df["document"].iloc[0].startswith("#Person1#:")


def test_tiny_shakespeare_split_90_10(shared_data):
    train = ds.load("tiny_shakespeare", "train")["text"].iloc[0]
    validation = ds.load("tiny_shakespeare", "validation")["text"].iloc[0]
    test = ds.load("tiny_shakespeare", "test")["text"].iloc[0]
    assert len(train) == int(1115394 * 0.9) == 1003854
    assert validation == test
    assert len(train) + len(validation) == 1115394
    assert train.startswith("First Citizen:")


def test_ptb_lines_are_stripped(shared_data):
    df = ds.load("ptb", "validation", max_examples=5)
    assert len(df) == 5
    full = ds.load("ptb", "validation")
    assert df.equals(full.iloc[:5])
    assert not df["text"].str.startswith(" ").any()
    assert (df["text"] == df["text"].str.strip()).all()


def test_subset_is_deterministic_and_mixed(shared_data):
    a = ds.load("sst2", "train", max_examples=10)
    b = ds.load("sst2", "train", max_examples=10)
    assert a.equals(b)
    assert set(a["label"]) == {0, 1}
    # A shuffled subset, not the file's first rows.
    assert not a.equals(ds.load("sst2", "train").iloc[:10])


def test_max_examples_larger_than_split(shared_data):
    assert len(ds.load("trec", "test", max_examples=10_000)) == 500


def test_registry_sha256_matches_local_copies(shared_data):
    """Where a local copy carries the file's own name, it is byte-identical
    to the canonical download, so the registry's sha256 must match it."""
    checked = 0
    for info in ds.REGISTRY.values():
        for data_file in info.files:
            local = shared_data / info.folder / data_file.name
            if data_file.sha256 is None or not local.is_file():
                continue
            assert ds.file_sha256(local) == data_file.sha256, local
            checked += 1
    assert checked == 14
