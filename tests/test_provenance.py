"""`nlptoolkit.provenance`: the one home of seeds, op determinism and
manifests (the CLI's and the benchmarks')."""

import hashlib
import json
import os
import platform
import random

import keras
import numpy as np
import pytest
from helpers import load_script

import nlptoolkit
from nlptoolkit import cli
from nlptoolkit import provenance
from nlptoolkit.tasks import task as task_module

# `cli.manifest`'s keys, in its order.
MANIFEST_KEYS = [
    "python",
    "tensorflow",
    "keras",
    "keras_hub",
    "scikit_learn",
    "machine",
    "processor",
    "cpu_count",
    "seed",
    "op_determinism",
    "dataset",
    "dataset_sha256",
    "vocabulary_sha256",
]
# `benchmarks/_common.manifest`'s keys before it was built on provenance.
BENCHMARK_KEYS = [
    "date",
    "python",
    "platform",
    "machine",
    "cpu_model",
    "cpu_count",
    "cpus_usable",
    "threads",
    "gpus",
    "load_average_at_start",
    "seed",
    "quick",
    "versions",
    "keras_backend",
]


@pytest.fixture(scope="module")
def tokenizer():
    tok = nlptoolkit.preprocessing.Tokenizer(level="word")
    tok.train(["a good film", "a bad film"])
    return tok


def test_manifest_equals_the_cli_manifest(tokenizer):
    texts = ["é ☃", "line\nbreak", ""]
    info = provenance.manifest(7, "mine", texts=texts, tokenizer=tokenizer)
    assert info == cli.manifest(7, "mine", texts=texts, tokenizer=tokenizer)
    assert list(info) == MANIFEST_KEYS
    bare = provenance.manifest(None, "sst2")
    assert bare == cli.manifest(None, "sst2")
    assert bare["dataset_sha256"] is None and bare["vocabulary_sha256"] is None


def test_manifest_values(tokenizer):
    import keras_hub
    import sklearn
    import tensorflow as tf

    texts = ["a", "b c"]
    info = provenance.manifest(3, "corpus.txt", texts, tokenizer)
    assert (info["seed"], info["dataset"]) == (3, "corpus.txt")
    expected = json.dumps(texts, ensure_ascii=False).encode("utf-8")
    assert info["dataset_sha256"] == hashlib.sha256(expected).hexdigest()
    vocabulary = json.dumps(list(tokenizer.vocabulary), ensure_ascii=False)
    assert (
        info["vocabulary_sha256"]
        == hashlib.sha256(vocabulary.encode("utf-8")).hexdigest()
    )
    assert info["tensorflow"] == tf.__version__
    assert info["keras"] == keras.__version__
    assert info["keras_hub"] == keras_hub.__version__
    assert info["scikit_learn"] == sklearn.__version__
    assert info["python"] == platform.python_version()
    assert info["cpu_count"] == os.cpu_count()
    assert info["op_determinism"] is provenance.op_determinism_enabled()


def test_set_seed_repeats_draws_and_turns_on_op_determinism():
    provenance.set_seed(11)
    first = (random.random(), np.random.rand(), keras.random.uniform(()))
    provenance.set_seed(11)
    second = (random.random(), np.random.rand(), keras.random.uniform(()))
    assert first[:2] == second[:2]
    assert float(first[2]) == float(second[2])
    assert provenance.op_determinism_enabled() is True


def test_set_seed_none_leaves_the_generators_alone():
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    provenance.set_seed(None)
    assert np.random.rand() == expected


def test_task_module_keeps_its_names():
    assert task_module.set_seed is provenance.set_seed
    assert (
        task_module.op_determinism_enabled is provenance.op_determinism_enabled
    )
    from nlptoolkit.tasks.model import TaskModel

    assert task_module.TaskModel is TaskModel


def test_package_versions_and_host_pieces():
    versions = provenance.package_versions(["keras", "no-such-package"])
    assert versions == {"keras": keras.__version__, "no-such-package": None}
    assert provenance.usable_cpus() >= 1
    assert provenance.machine_info()["cpu_count"] == os.cpu_count()
    stamp = provenance.utc_timestamp()
    assert stamp.endswith("+00:00") and len(stamp) == 25


def test_benchmark_manifest_keeps_its_keys():
    common = load_script("_common")
    info = common.manifest(4, True, dataset={"name": "x"})
    assert list(info) == BENCHMARK_KEYS + ["dataset"]
    assert (info["seed"], info["quick"], info["dataset"]) == (
        4,
        True,
        {"name": "x"},
    )
    assert info["versions"]["keras"] == keras.__version__
    assert set(info["versions"]) == {
        "nlptoolkit",
        "keras",
        "keras-hub",
        "tensorflow",
        "numpy",
        "pandas",
        "matplotlib",
    }
    assert info["cpu_model"] == provenance.cpu_model()
    assert info["cpus_usable"] == provenance.usable_cpus()
