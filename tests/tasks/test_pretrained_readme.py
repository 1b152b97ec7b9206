"""The README's five-line pretrained example runs as written: the same
code, with the bundled MiniLM swapped for a tiny preset the test writes and
SST-2 cut to a few rows (the full run is in BENCHMARKS.md)."""

import pathlib
import re

from presets import write_keras_hub_bert

import nlptoolkit

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def pretrained_example():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    [block] = [b for b in blocks if '"all-minilm-l6-v2"' in b]
    return block


def test_readme_pretrained_example_runs(tmp_path, monkeypatch, capsys):
    code = pretrained_example()
    assert len(code.strip().splitlines()) <= 5
    folder = write_keras_hub_bert(tmp_path / "bert")
    load = nlptoolkit.datasets.load

    def small(name, split="train", **kwargs):
        return load(name, split, max_examples=40 if split == "train" else 8)

    monkeypatch.setattr(nlptoolkit.datasets, "load", small)
    exec(code.replace('"all-minilm-l6-v2"', repr(folder)), {})
    printed = capsys.readouterr().out
    assert "['negative']" in printed or "['positive']" in printed
