"""Writes the notebooks in this folder, without outputs.

The notebooks are generated from the cell sources below so that every edit
is a readable diff of this file. Run from anywhere:

    python notebooks/build_notebooks.py

Each notebook tells one story with nlptoolkit's public API only. A `SMOKE`
variable read from the environment (`SMOKE=1`) shrinks data, sizes and
epochs so the notebook runs in seconds on a CPU; the tests in
`tests/notebooks/` execute every notebook that way.
"""

import pathlib

import nbformat

HERE = pathlib.Path(__file__).resolve().parent

KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}

DATA_NOTE = """\
The datasets are read from `$NLPTOOLKIT_DATA` (e.g.
`export NLPTOOLKIT_DATA=../shared/data` from the project root, before
starting Jupyter), then from the cache `~/.cache/nlptoolkit`, and only then
downloaded. Set `SMOKE=1` in the environment for a run of a few seconds on
tiny data (that is how the tests run this notebook); without it the
notebook trains small real models."""


def md(source):
    return nbformat.v4.new_markdown_cell(source.strip("\n"))


def code(source):
    return nbformat.v4.new_code_cell(source.strip("\n"))


# ---------------------------------------------------------------------------
# 01 sentiment

SENTIMENT = [
    md(
        """
# Sentiment analysis on SST-2

A BiLSTM sentiment classifier trained from raw sentences, shown beside a
TF-IDF + logistic-regression baseline: load the data, look at it, train,
evaluate, inspect the errors, then save the model as one `.keras` file and
load it back.

"""
        + DATA_NOTE
    ),
    code(
        """
%matplotlib inline
import os

import numpy as np
import pandas as pd
from IPython.display import display

import nlptoolkit
from nlptoolkit.baselines import TfidfLogisticRegression
from nlptoolkit.metrics import plot_confusion_matrix
from nlptoolkit.metrics import plot_history

SMOKE = os.environ.get("SMOKE", "0") == "1"
pd.set_option("display.max_colwidth", 120)
"""
    ),
    md(
        """
## Settings

`SMOKE` keeps a few hundred sentences and a tiny model. The full setting
uses every sentence and the default BiLSTM (128 units each way, a
vocabulary of 20,000 words): 15 to 30 s per epoch on 2 CPU cores.
"""
    ),
    code(
        """
if SMOKE:
    LIMITS = {"train": 600, "validation": 200, "test": 300}
    SIZES = {"hidden_dim": 16, "vocabulary_size": 2000}
    EPOCHS = 4
else:
    LIMITS = {"train": None, "validation": None, "test": None}
    SIZES = {}
    EPOCHS = 6
"""
    ),
    md(
        """
## Load the data

`nlptoolkit.datasets.load` returns one split as a pandas DataFrame with
`text` and `label` columns (0 = negative, 1 = positive).
`max_examples` keeps a shuffled subset that holds both classes.
"""
    ),
    code(
        """
splits = {
    split: nlptoolkit.datasets.load("sst2", split, max_examples=limit)
    for split, limit in LIMITS.items()
}
train, validation, test = (
    splits["train"],
    splits["validation"],
    splits["test"],
)
pd.DataFrame(
    {
        name: {"rows": len(df), "positive share": df["label"].mean()}
        for name, df in splits.items()
    }
).T
"""
    ),
    md("## Look at it"),
    code(
        """
display(train.groupby("label").head(3))
train["text"].str.split().str.len().describe().round(1)
"""
    ),
    md(
        """
## The baseline

TF-IDF over word uni- and bigrams with logistic regression: it trains in
well under a second and is the bar the neural model is shown beside.
"""
    ),
    code(
        """
baseline = TfidfLogisticRegression().fit(train["text"], train["label"])
baseline_result = baseline.evaluate(test["text"], test["label"])
print(f"baseline accuracy: {baseline_result['accuracy']:.3f}")
"""
    ),
    md(
        """
## Train a small model

`fit` learns the vocabulary and the labels from the raw sentences; with
`validation_data`, early stopping keeps the best validation epoch.
"""
    ),
    code(
        """
clf = nlptoolkit.SentimentClassifier("lstm", seed=0, **SIZES)
history = clf.fit(
    train["text"],
    train["label"],
    validation_data=(validation["text"], validation["label"]),
    epochs=EPOCHS,
    verbose=2,
)
print(clf, f"{clf.count_params:,} parameters")
"""
    ),
    md("## Evaluate beside the baseline"),
    code(
        """
result = clf.evaluate(test["text"], test["label"])
columns = ["accuracy", "macro_f1"]
pd.DataFrame(
    {
        "BiLSTM": {key: result[key] for key in columns},
        "TF-IDF + LR": {key: baseline_result[key] for key in columns},
    }
).T.round(3)
"""
    ),
    code(
        """
pd.DataFrame(result["per_class"]).T.round(3)
"""
    ),
    md(
        """
## Look at the results

Learning curves (train against validation) and the confusion matrix on the
test split.
"""
    ),
    code(
        """
display(plot_history(history))
display(
    plot_confusion_matrix(result["confusion_matrix"], result["label_names"])
)
"""
    ),
    md("The test sentences the model got wrong with the most confidence:"),
    code(
        """
probabilities = clf.predict(test["text"])
names = dict(enumerate(clf.label_names))
view = test.assign(
    truth=test["label"].map(names),
    predicted=[names[i] for i in probabilities.argmax(axis=-1)],
    confidence=probabilities.max(axis=-1).round(3),
)
wrong = view[view["truth"] != view["predicted"]]
wrong.sort_values("confidence", ascending=False).head(5)
"""
    ),
    md(
        """
`classify` returns label names and `polarity` a score in [-1, 1]. The
verbs take a batch: wrap a single sentence in a list.
"""
    ),
    code(
        """
reviews = [
    "a moving , funny and beautifully acted film",
    "a dull , lifeless mess",
    "not bad at all",
]
pd.DataFrame(
    {
        "text": reviews,
        "label": clf.classify(reviews),
        "polarity": np.round(clf.polarity(reviews), 3),
    }
)
"""
    ),
    md(
        """
## Save and load

One `.keras` file holds the weights, the vocabulary and the label names;
`nlptoolkit.load` gives back a `SentimentClassifier` with the same
outputs.
"""
    ),
    code(
        """
clf.save("sentiment.keras")
loaded = nlptoolkit.load("sentiment.keras")
same = np.allclose(loaded.predict(reviews), clf.predict(reviews), atol=1e-6)
size = os.path.getsize("sentiment.keras") / 1e6
print(f"{loaded!r}: {size:.1f} MB, same predictions: {same}")
loaded.classify(reviews)
"""
    ),
    md(
        """
## Go further

The same story at full size from the command line; each `train` writes
`model.keras`, `metrics.json` (model and baseline side by side),
`history.csv` and the plots into `--output`:

```bash
python -m nlptoolkit.tasks.sentiment train --dataset sst2 --backbone lstm \\
    --epochs 6 --output runs/sst2-lstm
python -m nlptoolkit.tasks.sentiment train --dataset sst2 \\
    --backbone transformer --output runs/sst2-transformer
python -m nlptoolkit.tasks.sentiment train --dataset imdb --backbone lstm \\
    --epochs 3 --output runs/imdb-lstm      # 25k reviews, ~90 s per epoch
python -m nlptoolkit.tasks.sentiment predict \\
    --model runs/sst2-lstm/model.keras "a gripping story" "dull"
```

In Python the full-size model is `SentimentClassifier("lstm", seed=0)`
(defaults: `hidden_dim=128`, `vocabulary_size=20000`, bidirectional), or
`SentimentClassifier("transformer", seed=0)`. Measured figures are in
`BENCHMARKS.md`.
"""
    ),
]

# ---------------------------------------------------------------------------
# 02 classification

CLASSIFICATION = [
    md(
        """
# Text classification: question types (TREC-6)

A small Transformer classifies questions into six types (abbreviation,
description, entity, human, location, number). The data goes through a
CSV file of our own with its own column names, to show the path from any
CSV to a trained, evaluated and saved model, beside a TF-IDF baseline.

"""
        + DATA_NOTE
    ),
    code(
        """
%matplotlib inline
import os

import numpy as np
import pandas as pd
from IPython.display import display

import nlptoolkit
from nlptoolkit.baselines import TfidfLogisticRegression
from nlptoolkit.metrics import plot_confusion_matrix
from nlptoolkit.metrics import plot_history

SMOKE = os.environ.get("SMOKE", "0") == "1"
pd.set_option("display.max_colwidth", 120)
"""
    ),
    md(
        """
## Settings

The full setting trains a one-layer Transformer (64 wide) on all 5,452
training questions: a few seconds per epoch on 2 CPU cores.
"""
    ),
    code(
        """
if SMOKE:
    LIMITS = {"train": 600, "test": 200}
    SIZES = {
        "hidden_dim": 16,
        "intermediate_dim": 32,
        "num_heads": 2,
        "vocabulary_size": 2000,
    }
    EPOCHS = 4
else:
    LIMITS = {"train": None, "test": None}
    SIZES = {"hidden_dim": 64, "intermediate_dim": 128, "num_heads": 4}
    EPOCHS = 15
"""
    ),
    md(
        """
## Load the data

TREC has a train and a test split; each row has the question (`text`),
its coarse class (`label`) and its fine class (`fine_label`).
"""
    ),
    code(
        """
trec_train = nlptoolkit.datasets.load(
    "trec", "train", max_examples=LIMITS["train"]
)
test = nlptoolkit.datasets.load("trec", "test", max_examples=LIMITS["test"])
display(trec_train.groupby("label").head(2).sort_values("label"))
pd.DataFrame(
    {
        "train": trec_train["label"].value_counts(),
        "test": test["label"].value_counts(),
    }
)
"""
    ),
    md(
        """
## Bring your own CSV

Your data usually comes as a file with its own column names.
`nlptoolkit.datasets.read_file` reads CSV, TSV or JSONL and maps your
columns onto `text` and `label`. Here we write the training questions to
`questions.csv` under other names and read them back.
"""
    ),
    code(
        """
trec_train.rename(columns={"text": "question", "label": "category"})[
    ["question", "category"]
].to_csv("questions.csv", index=False)

mine = nlptoolkit.datasets.read_file(
    "questions.csv", columns={"text": "question", "label": "category"}
)
display(mine.head(3))
mine["text"].str.split().str.len().describe().round(1)
"""
    ),
    md("A tenth of the training rows is kept aside for validation."),
    code(
        """
validation = mine.sample(frac=0.1, random_state=0)
train = mine.drop(validation.index)
len(train), len(validation)
"""
    ),
    md("## The baseline: TF-IDF + logistic regression"),
    code(
        """
baseline = TfidfLogisticRegression().fit(train["text"], train["label"])
baseline_result = baseline.evaluate(test["text"], test["label"])
print(f"baseline accuracy: {baseline_result['accuracy']:.3f}")
"""
    ),
    md(
        """
## Train a small Transformer

String labels are fine: `fit` learns the label set and the vocabulary.
"""
    ),
    code(
        """
clf = nlptoolkit.TextClassifier("transformer", seed=0, **SIZES)
history = clf.fit(
    train["text"],
    train["label"],
    validation_data=(validation["text"], validation["label"]),
    epochs=EPOCHS,
    verbose=2,
)
print(clf, clf.label_names, f"{clf.count_params:,} parameters")
"""
    ),
    md("## Evaluate beside the baseline"),
    code(
        """
result = clf.evaluate(test["text"], test["label"])
columns = ["accuracy", "macro_f1"]
pd.DataFrame(
    {
        "Transformer": {key: result[key] for key in columns},
        "TF-IDF + LR": {key: baseline_result[key] for key in columns},
    }
).T.round(3)
"""
    ),
    md("F1 per class, side by side:"),
    code(
        """
pd.DataFrame(
    {
        "Transformer F1": {
            name: scores["f1"] for name, scores in result["per_class"].items()
        },
        "TF-IDF F1": {
            name: scores["f1"]
            for name, scores in baseline_result["per_class"].items()
        },
        "support": {
            name: scores["support"]
            for name, scores in result["per_class"].items()
        },
    }
).round(3)
"""
    ),
    md(
        """
## Look at the results

Learning curves, and the confusion matrix normalised per true class (each
row shows where that class's questions went).
"""
    ),
    code(
        """
display(plot_history(history))
display(
    plot_confusion_matrix(
        result["confusion_matrix"], result["label_names"], normalize=True
    )
)
"""
    ),
    code(
        """
questions = [
    "Who wrote Hamlet ?",
    "How far is the Moon from the Earth ?",
    "What does NASA stand for ?",
    "Where is the Eiffel Tower ?",
]
probabilities = clf.predict(questions)
pd.DataFrame(
    {
        "question": questions,
        "predicted": clf.classify(questions),
        "confidence": probabilities.max(axis=-1).round(3),
        "baseline": baseline.predict(questions),
    }
)
"""
    ),
    md("## Save and load"),
    code(
        """
clf.save("questions.keras")
loaded = nlptoolkit.load("questions.keras")
same = np.allclose(loaded.predict(questions), clf.predict(questions), atol=1e-6)
print(f"{loaded!r}, labels {loaded.label_names}, same predictions: {same}")
"""
    ),
    md(
        """
## Go further

From the command line, on the named dataset or on your own files (the
test file is what the metrics are reported on):

```bash
python -m nlptoolkit.tasks.classification train --dataset trec \\
    --backbone transformer --hidden-dim 64 --epochs 15 \\
    --output runs/trec-transformer
python -m nlptoolkit.tasks.classification train --dataset trec \\
    --backbone lstm --output runs/trec-lstm
python -m nlptoolkit.tasks.classification train \\
    --train-file questions.csv --test-file questions.csv \\
    --text-column question --label-column category --output runs/mine
python -m nlptoolkit.tasks.classification predict \\
    --model runs/trec-lstm/model.keras "Who wrote Hamlet ?"
```

In Python: `TextClassifier("lstm", seed=0)` (BiLSTM, 128 units) or
`TextClassifier("transformer", hidden_dim=128, num_layers=2, seed=0)`;
`tokenizer="wordpiece"` helps with rare words. Measured figures are in
`BENCHMARKS.md`.
"""
    ),
]

# ---------------------------------------------------------------------------
# 03 summarization

SUMMARIZATION = [
    md(
        """
# Dialogue summarisation (DialogSum)

An encoder-decoder Transformer learns to summarise dialogues. It is
scored with ROUGE beside Lead-3 (the first three utterances), the standard
extractive baseline.

An abstractive summariser trained from scratch for a few minutes on a CPU
stays well below Lead-3: the point here is the workflow. The full-size
settings are at the end.

"""
        + DATA_NOTE
    ),
    code(
        """
%matplotlib inline
import os

import pandas as pd
from IPython.display import display

import nlptoolkit
from nlptoolkit.baselines import lead_k
from nlptoolkit.metrics import plot_history
from nlptoolkit.metrics import rouge

SMOKE = os.environ.get("SMOKE", "0") == "1"
pd.set_option("display.max_colwidth", 200)
"""
    ),
    md(
        """
## Settings

The full setting trains a one-layer, 64-wide encoder-decoder on every
training dialogue for at most five minutes (`max_seconds`; three to five
epochs on 2 CPU cores), with documents cut to 256 tokens and summaries to
48.
"""
    ),
    code(
        """
if SMOKE:
    LIMITS = {"train": 200, "validation": 40, "test": 20}
    SIZES = {
        "sequence_length": 96,
        "summary_length": 24,
        "hidden_dim": 32,
        "intermediate_dim": 64,
        "num_layers": 1,
        "num_heads": 2,
        "vocabulary_size": 2000,
    }
    EPOCHS, MAX_SECONDS = 3, None
else:
    LIMITS = {"train": None, "validation": 200, "test": 200}
    SIZES = {
        "sequence_length": 256,
        "summary_length": 48,
        "hidden_dim": 64,
        "intermediate_dim": 128,
        "num_layers": 1,
        "num_heads": 4,
        "vocabulary_size": 6000,
    }
    EPOCHS, MAX_SECONDS = 20, 300
"""
    ),
    md(
        """
## Load the data

Each row has a `document` (a dialogue, one `#PersonN#:` utterance per
line) and its `summary`; the test split adds `references`, its three
human summaries.
"""
    ),
    code(
        """
train, validation, test = (
    nlptoolkit.datasets.load("dialogsum", split, max_examples=limit)
    for split, limit in LIMITS.items()
)
print(test["document"][0])
print("->", test["summary"][0])
"""
    ),
    md("## Look at it: lengths in words"),
    code(
        """
lengths = pd.DataFrame(
    {
        "document words": train["document"].str.split().str.len(),
        "summary words": train["summary"].str.split().str.len(),
        "utterances": train["document"].str.count("\\n") + 1,
    }
)
lengths.describe().round(1)
"""
    ),
    md(
        """
## The baseline: Lead-3

`lead_k` keeps the first three utterances of each dialogue; `rouge` gives
mean ROUGE-1/2/L F1 in percent (against the first reference summary, as
the published figures are).
"""
    ),
    code(
        """
lead3 = lead_k(test["document"], k=3)
baseline_scores = rouge(lead3, test["summary"])
pd.Series(baseline_scores).round(2)
"""
    ),
    md(
        """
## Train a small summariser

Teacher forcing on `(document, summary)` pairs; the vocabulary is learned
from both.
"""
    ),
    code(
        """
summarizer = nlptoolkit.Summarizer("transformer", seed=0, **SIZES)
history = summarizer.fit(
    train["document"],
    train["summary"],
    validation_data=(validation["document"], validation["summary"]),
    epochs=EPOCHS,
    max_seconds=MAX_SECONDS,
    verbose=2,
)
print(summarizer, f"{summarizer.count_params:,} parameters")
"""
    ),
    md(
        """
## Evaluate beside the baseline

`evaluate` generates a summary per document (greedy here) and reports its
ROUGE together with Lead-3's on the same documents.
"""
    ),
    code(
        """
result = summarizer.evaluate(
    test["document"], test["summary"], sampler="greedy"
)
kinds = ["rouge1", "rouge2", "rougeL"]
pd.DataFrame(
    {
        "Transformer": {kind: result[kind] for kind in kinds},
        "Lead-3": {kind: result["baseline_" + kind] for kind in kinds},
    }
).T.round(2)
"""
    ),
    md(
        """
## Look at the results

Learning curves (loss in nats per summary token), then a few summaries
beside the reference and Lead-3.
"""
    ),
    code(
        """
display(plot_history(history))
"""
    ),
    code(
        """
documents = test["document"][:3].tolist()
samples = pd.DataFrame(
    {
        "reference": test["summary"][:3],
        "model (greedy)": summarizer.summarize(documents, sampler="greedy"),
        "lead-3": lead3[:3],
    }
)
samples
"""
    ),
    md(
        """
## Save and load

The tokenizer and the decoding settings travel in the one `.keras` file.
Greedy decoding is deterministic, so the loaded model writes the same
summaries.
"""
    ),
    code(
        """
summarizer.save("summarizer.keras")
loaded = nlptoolkit.load("summarizer.keras")
again = loaded.summarize(documents, sampler="greedy")
same = again == samples["model (greedy)"].tolist()
print(f"{loaded!r}, same summaries: {same}")
"""
    ),
    md(
        """
## Go further

At full size, from the command line (`train` also writes `metrics.json`
with Lead-3 beside the model, and sample summaries):

```bash
python -m nlptoolkit.tasks.summarization train --dataset dialogsum \\
    --backbone transformer --max-minutes 60 --epochs 30 \\
    --output runs/dialogsum-transformer
python -m nlptoolkit.tasks.summarization evaluate \\
    --model runs/dialogsum-transformer/model.keras --sampler beam
python -m nlptoolkit.tasks.summarization summarize \\
    --model runs/dialogsum-transformer/model.keras \\
    "#Person1#: Are you free tonight? #Person2#: Sorry, I have to work."
```

In Python, `summarize(..., sampler="beam", num_beams=4)` (the default)
searches beams on the fused decode path; `Summarizer("lstm", ...)` gives an
attention LSTM encoder-decoder. Measured figures are in `BENCHMARKS.md`.
"""
    ),
]

# ---------------------------------------------------------------------------
# 04 generation

GENERATION = [
    md(
        """
# Text generation: a character-level Transformer on Tiny Shakespeare

A small causal Transformer learns to continue text one character at a
time, beside an interpolated Kneser-Ney character n-gram model. We then
sample from it with keras-hub samplers, stream the tokens as they come,
and save and reload it.

"""
        + DATA_NOTE
    ),
    code(
        """
%matplotlib inline
import os

import pandas as pd
from IPython.display import display

import nlptoolkit
from nlptoolkit.baselines import NGramLanguageModel
from nlptoolkit.metrics import plot_history

SMOKE = os.environ.get("SMOKE", "0") == "1"
pd.set_option("display.max_colwidth", 200)
"""
    ),
    md(
        """
## Settings

The full setting trains a 2-layer, 128-wide Transformer with a context
of 64 characters for three minutes (`max_seconds`) on 2 CPU cores.
"""
    ),
    code(
        """
if SMOKE:
    TRAIN_CHARS, VALID_CHARS = 20_000, 4_000
    SIZES = {
        "sequence_length": 64,
        "hidden_dim": 32,
        "intermediate_dim": 64,
        "num_layers": 1,
        "num_heads": 2,
    }
    EPOCHS, MAX_SECONDS, NGRAM_ORDER = 3, None, 4
else:
    TRAIN_CHARS, VALID_CHARS = None, None
    SIZES = {
        "sequence_length": 64,
        "hidden_dim": 128,
        "intermediate_dim": 512,
        "num_layers": 2,
        "num_heads": 4,
    }
    EPOCHS, MAX_SECONDS, NGRAM_ORDER = 20, 180, 7
"""
    ),
    md(
        """
## Load the data

Tiny Shakespeare is one text of about a million characters; `train` is
its first 90% and `validation` the last 10% (as char-rnn and nanoGPT
split it; `test` returns the same 10%).
"""
    ),
    code(
        """
shakespeare = {
    split: nlptoolkit.datasets.load("tiny_shakespeare", split)["text"][0]
    for split in ("train", "validation")
}
train_text = shakespeare["train"][:TRAIN_CHARS]
valid_text = shakespeare["validation"][:VALID_CHARS]
print(f"{len(train_text):,} training characters, {len(valid_text):,} valid")
print(train_text[:300])
"""
    ),
    md("## Look at it: the most frequent characters"),
    code(
        """
chars = pd.Series(list(train_text)).value_counts()
print(f"{len(chars)} distinct characters")
chars.head(12).rename(repr).to_frame("count").T
"""
    ),
    md(
        """
## The baseline: a character n-gram model

Interpolated modified Kneser-Ney; its loss is in nats per character, as
the Transformer's is.
"""
    ),
    code(
        """
ngram = NGramLanguageModel(order=NGRAM_ORDER, level="char")
ngram.fit([train_text])
baseline_result = ngram.evaluate([valid_text])
{key: round(value, 3) for key, value in baseline_result.items()}
"""
    ),
    md(
        """
## Train a small Transformer

`fit` takes the corpus string and cuts it into windows of
`sequence_length` characters; `max_seconds` stops training after that
long.
"""
    ),
    code(
        """
gen = nlptoolkit.TextGenerator("transformer", tokenizer="char", seed=0, **SIZES)
history = gen.fit(
    train_text,
    validation_data=valid_text,
    epochs=EPOCHS,
    max_seconds=MAX_SECONDS,
    verbose=2,
)
print(gen, f"{gen.count_params:,} parameters")
"""
    ),
    md("## Evaluate beside the baseline"),
    code(
        """
result = gen.evaluate(valid_text)
pd.DataFrame(
    {
        "Transformer": {
            "loss (nats/char)": result["loss"],
            "bits/char": result["bits_per_char"],
            "perplexity": result["perplexity"],
        },
        f"{NGRAM_ORDER}-gram KN": {
            "loss (nats/char)": baseline_result["loss"],
            "bits/char": baseline_result["bits_per_token"],
            "perplexity": baseline_result["perplexity"],
        },
    }
).T.round(3)
"""
    ),
    md("## Look at the results: learning curves and samples"),
    code(
        """
display(plot_history(history))
"""
    ),
    md(
        """
Greedy decoding picks the most likely character each step; `top_k`
samples among the ten likeliest (the same `seed` gives the same text).
"""
    ),
    code(
        """
prompts = ["ROMEO:", "First Citizen:\\n", "The king"]
samples = pd.DataFrame(
    {
        "greedy": gen.generate(prompts, max_length=40),
        "top_k": gen.generate(prompts, max_length=40, sampler="top_k", seed=1),
    },
    index=prompts,
)
samples.apply(lambda column: column.map(repr))  # shows the newlines
"""
    ),
    md(
        """
Streaming: the stepwise decode path calls `on_token` after every step,
with the new token of each sequence.
"""
    ),
    code(
        """
pieces = []
gen.generate(
    ["JULIET:"],
    max_length=40,
    sampler="top_k",
    seed=2,
    decode="stepwise",
    on_token=lambda step, token_ids, texts: pieces.append(texts[0]),
)
print(len(pieces), "steps:", pieces[:12])
"""
    ),
    md("## Save and load"),
    code(
        """
gen.save("generator.keras")
loaded = nlptoolkit.load("generator.keras")
same = loaded.generate(prompts, max_length=40) == samples["greedy"].tolist()
print(f"{loaded!r}, same greedy text: {same}")
"""
    ),
    md(
        """
## Go further

The full-size runs (the Transformer 4 layers, 128 wide; the LSTM one
layer of 256; context 64, about five minutes of training, the 7-gram
baseline beside it, samples in `samples.txt`):

```bash
python -m nlptoolkit.tasks.generation train --dataset tiny_shakespeare \\
    --backbone transformer --max-minutes 5 \\
    --output runs/shakespeare-transformer
python -m nlptoolkit.tasks.generation train --backbone lstm \\
    --output runs/shakespeare-lstm
python -m nlptoolkit.tasks.generation train --dataset ptb --tokenizer word \\
    --output runs/ptb-transformer
python -m nlptoolkit.tasks.generation generate \\
    --model runs/shakespeare-transformer/model.keras --prompt "ROMEO:" \\
    --max-length 200 --sampler top_k --stream
```

In Python, `TextGenerator("transformer", tokenizer="char", seed=0)` has the
full-size defaults (4 layers, 128 wide, context 64). Measured figures are
in `BENCHMARKS.md`.
"""
    ),
]

# ---------------------------------------------------------------------------
# 05 inference clock

CLOCK = [
    md(
        """
# The inference clock

Generation is a sequence of decoding steps, one token further each time.
`InferenceClock` times every step like a CPU clock cycle. Here it
compares, on one plot, step time against position for

- an **LSTM** and a **Transformer** generator, and
- the **cached** path (`decode="stepwise"`: a KV cache or the LSTM state
  carries the past, so each step does the same work) against the
  **uncached** one (`decode="uncached"`: each step recomputes the whole
  prefix, so step time grows with position).

The models are trained only briefly: timing does not depend on what the
weights have learned.

"""
        + DATA_NOTE
    ),
    code(
        """
%matplotlib inline
import os

import keras_hub
import pandas as pd
from IPython.display import display

import nlptoolkit
from nlptoolkit.callbacks import InferenceClock

SMOKE = os.environ.get("SMOKE", "0") == "1"
"""
    ),
    md(
        """
## Settings

A Transformer's context is its `sequence_length`: the prompt plus
`max_length` new tokens must fit in it. The full setting gives both
backbones the generation task's Transformer size (4 layers, 128 wide; the
LSTM's own default is one layer of 256) and a context of 256.
"""
    ),
    code(
        """
if SMOKE:
    TRAIN_CHARS = 10_000
    SIZES = {"hidden_dim": 32, "intermediate_dim": 64, "num_layers": 1}
    CONTEXT, MAX_LENGTH, REPEATS = 64, 40, 2
else:
    TRAIN_CHARS = 200_000
    SIZES = {"hidden_dim": 128, "intermediate_dim": 512, "num_layers": 4}
    CONTEXT, MAX_LENGTH, REPEATS = 256, 200, 3
PROMPTS = ["ROMEO:", "JULIET:"]
"""
    ),
    md(
        """
## Two small generators

An LSTM and a Transformer of the same width, each fit for one short
epoch on a slice of Tiny Shakespeare.
"""
    ),
    code(
        """
text = nlptoolkit.datasets.load("tiny_shakespeare", "train")["text"][0]
text = text[:TRAIN_CHARS]
generators = {}
for backbone in ("lstm", "transformer"):
    generators[backbone] = nlptoolkit.TextGenerator(
        backbone,
        tokenizer="char",
        sequence_length=CONTEXT,
        num_heads=2,
        seed=0,
        **SIZES,
    )
    generators[backbone].fit(text, epochs=1, max_seconds=30, verbose=0)
    print(generators[backbone], f"{generators[backbone].count_params:,}")
"""
    ),
    md(
        """
## Time every step

One clock per (backbone, decode path). The first run of each pays for
tracing and compiling (its cycles are marked as warm-up and kept out of
the statistics), so each is run `REPEATS` times. Greedy output is the same
on both paths.

All runs share one sampler object: the compiled decode step is kept per
sampler object, and a sampler given by name (`sampler="greedy"`) is a new
object at every call, so every run would pay for tracing again and the
clock would find no warm run to report TTFT from.
"""
    ),
    code(
        """
greedy = keras_hub.samplers.GreedySampler()
clocks = []
texts = {}
for backbone, gen in generators.items():
    for decode in ("stepwise", "uncached"):
        clock = InferenceClock(label=f"{backbone} / {decode}")
        for _ in range(REPEATS):
            texts[backbone, decode] = gen.generate(
                PROMPTS,
                max_length=MAX_LENGTH,
                sampler=greedy,
                decode=decode,
                callbacks=[clock],
            )
        clocks.append(clock)
for backbone in generators:
    same = texts[backbone, "stepwise"] == texts[backbone, "uncached"]
    print(f"{backbone}: cached and uncached give the same text: {same}")
"""
    ),
    md(
        """
## One plot

`InferenceClock.combine` puts the runs of all four clocks together; its
`plot` draws step time against position, one line per label (warm-up
cycles as crosses). Step times span two orders of magnitude, so the
y axis is made logarithmic.
"""
    ),
    code(
        """
combined = InferenceClock.combine(clocks)
figure = combined.plot()
figure.axes[0].set_yscale("log")
display(figure)
"""
    ),
    md(
        """
## The figures

Per label, in seconds: time to first token (`ttft`), time per output
token (`tpot`), a run's end-to-end time (`e2e`), inter-token latency
percentiles, then tokens per second, the trace and compile time of the
first run, and the slope of step time against position in ms per position
(near zero with a cache, growing without it for the Transformer).
"""
    ),
    code(
        """
columns = [
    "ttft",
    "tpot",
    "e2e",
    "itl_p50",
    "itl_p90",
    "tokens_per_second",
    "warmup_seconds",
    "slope_ms_per_position",
]
summary = pd.DataFrame(combined.summaries()).T[columns]
summary.astype(float).round(4)
"""
    ),
    md("Every cycle is a row of `to_dataframe()`:"),
    code(
        """
cycles = combined.to_dataframe()
display(cycles.head())
cycles.groupby(["label", "kind"])["seconds"].agg(["count", "mean"])
"""
    ),
    md(
        """
## Save and load

A clock saves its cycles as CSV or JSON; `from_json` / `from_csv` read
them back with the same statistics, e.g. to compare machines.
"""
    ),
    code(
        """
combined.to_csv("clock.csv")
combined.to_json("clock.json")
reloaded = InferenceClock.from_json("clock.json")
same = reloaded.summaries() == combined.summaries()
print(f"{reloaded!r}, same summaries: {same}")
"""
    ),
    md(
        """
## Go further

The command line times any saved generator: `--clock DIR` writes
`clock.csv`, `clock.json`, `clock.png` and prints the summary table.

```bash
python -m nlptoolkit.tasks.generation train --max-minutes 5 \\
    --output runs/shakespeare-transformer
python -m nlptoolkit.tasks.generation generate \\
    --model runs/shakespeare-transformer/model.keras \\
    --prompt "ROMEO:" --prompt "JULIET:" --max-length 60 \\
    --decode stepwise --clock runs/clock-stepwise
python -m nlptoolkit.tasks.generation generate \\
    --model runs/shakespeare-transformer/model.keras \\
    --prompt "ROMEO:" --prompt "JULIET:" --max-length 60 \\
    --decode uncached --clock runs/clock-uncached
python -m nlptoolkit.tasks.sentiment predict --model runs/sst2/model.keras \\
    --clock runs/clock-predict "a gripping story" "dull"
```

`decode="fused"` runs the whole loop in one compiled call (the fastest;
the clock then sees one cycle per run). The clock also times predict
batches: pass it in `callbacks` to any `predict`. Measured figures are in
`BENCHMARKS.md`.
"""
    ),
]

NOTEBOOKS = {
    "01_sentiment.ipynb": SENTIMENT,
    "02_classification.ipynb": CLASSIFICATION,
    "03_summarization.ipynb": SUMMARIZATION,
    "04_generation.ipynb": GENERATION,
    "05_inference_clock.ipynb": CLOCK,
}


def build(name, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        # Stable ids keep regenerated notebooks byte-identical.
        cell["id"] = f"{pathlib.Path(name).stem[:2]}-{index:02d}"
    nbformat.validate(notebook)
    return notebook


def main():
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        nbformat.write(build(name, cells), path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
