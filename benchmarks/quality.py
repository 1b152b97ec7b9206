"""Model quality of every recipe in `tasks/`, beside its baseline and the
published figures for its dataset.

Each recipe runs as a user runs it, through the task's CLI in a
subprocess (`python -m nlptoolkit.tasks.<task> train --recipe R --output
<tmp>`); the `metrics.json` it writes gives the row. Rows are merged into
`benchmarks/results/quality.json`, one per recipe (a re-run replaces its
row), so they can be produced one at a time.

    python benchmarks/quality.py              # every recipe, full size
    python benchmarks/quality.py --recipes a,b # files in tasks/, no .json
    python benchmarks/quality.py --quick      # minutes: subsets, 1 epoch
    python benchmarks/quality.py --recipes sentiment-sst2-lstm --import-run DIR

`--import-run DIR` takes a run already made by hand with
`python -m nlptoolkit.tasks.<task> train --recipe tasks/R.json --output DIR`
(a long one, say) instead of training again: its `metrics.json` must record
that same recipe, unchanged, and no option given beside it on the command
line (other than where the run writes). A `--quick` row never replaces a
full-size one unless `--force` is given.
"""

import argparse
import json
import logging
import math
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.quality")

RECIPES_DIR = _common.REPO_ROOT / "tasks"
DEFAULT_OUTPUT = _common.RESULTS_DIR / "quality.json"

# What --quick adds to each recipe's command: a few minutes per recipe on a
# 2-core CPU (small subsets, one epoch or a short time budget).
QUICK = {
    "sentiment": "--max-examples 300 --epochs 1".split(),
    "classification": "--max-examples 300 --epochs 1".split(),
    "summarization": "--max-examples 64 --epochs 1 --max-minutes 1".split(),
    "generation": "--max-examples 500 --epochs 1 --max-minutes 0.5".split(),
}

# Published figures, in the units of each row's metric (accuracy as a
# fraction, ROUGE F1 in percent, loss in nats per character, perplexity per
# word). Source: the "Reference figures" of shared/data/README.md (the
# README of the datasets held locally), which names each paper.
_DATA_README = "shared/data/README.md"
REFERENCES = {
    "imdb": [
        ("TF-IDF 1-2 grams + LR (data README)", 0.906, _DATA_README),
        ("Maas et al. 2011", 0.8889, _DATA_README),
        ("NBSVM-bi (Wang & Manning 2012)", 0.9122, _DATA_README),
        ("random-init LSTM (Dai & Le 2015)", 0.865, _DATA_README),
        ("Keras Transformer example", 0.868, _DATA_README),
    ],
    "sst2": [
        ("TF-IDF + LR (data README)", 0.813, _DATA_README),
        ("CNN-rand (Kim 2014)", 0.827, _DATA_README),
        ("CNN-non-static (Kim 2014)", 0.872, _DATA_README),
        ("RNTN (Socher et al. 2013)", 0.854, _DATA_README),
    ],
    "trec": [
        ("TF-IDF + linear SVM (data README)", 0.886, _DATA_README),
        ("CNN-rand (Kim 2014)", 0.912, _DATA_README),
        ("CNN-non-static (Kim 2014)", 0.936, _DATA_README),
    ],
    "dialogsum": [
        ("first 3 utterances, vs summary1 only", 21.09, _DATA_README),
        ("BART-large (DialogSum paper), vs summary1 only", 38.72, _DATA_README),
    ],
    "tiny_shakespeare": [
        ("nanoGPT CPU (4x128, ctx 64, 2k iters)", 1.88, _DATA_README),
        ("nanoGPT GPU (6x384)", 1.4697, _DATA_README),
    ],
    "ptb": [
        ("KN 5-gram, test (Mikolov & Zweig 2012)", 141.2, _DATA_README),
        ("small LSTM, test (Zaremba et al. 2014)", 114.5, _DATA_README),
        ("medium LSTM, test (Zaremba et al. 2014)", 82.7, _DATA_README),
        ("AWD-LSTM, test (Merity et al. 2017)", 57.3, _DATA_README),
    ],
}

DEFINITIONS = {
    "accuracy": "test accuracy (fraction) of the weights training keeps",
    "rougeL": "mean ROUGE-L F1 (%) on the test split, each example "
    "scored against the best of its references (DialogSum: 3; the "
    "published figures use summary1 only, which scores lower)",
    "loss": "validation cross-entropy in nats per character (char tokenizer)",
    "word_perplexity": "validation perplexity per whitespace word, one end "
    "of line counted per line, as PTB figures count it (published PTB "
    "figures are on the test split)",
    "baseline": "trained and scored in the same run, on the same splits: "
    "TF-IDF + logistic regression, Lead-3, or an n-gram Kneser-Ney model",
    "train_seconds": "wall seconds of the model's fit on a shared machine",
    "num_parameters": "the model's parameter count",
}


class QualityError(Exception):
    """A request this script refuses (exit 2, one line on stderr)."""


# ----------------------------------------------------------------------
# Recipes.


def list_recipes():
    return sorted(p.stem for p in RECIPES_DIR.glob("*.json"))


def resolve_recipes(text):
    """`a,b` (names, file names or paths under tasks/) -> recipe names."""
    available = list_recipes()
    if not text:
        return available
    names = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name = pathlib.Path(item).name.removesuffix(".json")
        if name not in available:
            raise QualityError(
                f"unknown recipe {item!r}. Expected names of files in "
                f"{RECIPES_DIR}: {', '.join(available)}."
            )
        if name not in names:
            names.append(name)
    if not names:
        raise QualityError("--recipes is empty; name at least one recipe.")
    return names


def recipe_path(name):
    return RECIPES_DIR / f"{name}.json"


def relative(path):
    try:
        return pathlib.Path(path).resolve().relative_to(_common.REPO_ROOT)
    except ValueError:
        return pathlib.Path(path)


def load_recipe(name):
    """The recipe's JSON, checked against its task's train parser."""
    from nlptoolkit import cli

    path = str(relative(recipe_path(name)))
    try:
        recipe, _ = cli.check_recipe(str(recipe_path(name)))
    except cli.UserError as error:
        message = str(error).replace(str(recipe_path(name)), path)
        raise QualityError(message) from None
    return recipe


def cli_command(task, name, extra=()):
    """The command as a user types it from the project root."""
    return " ".join(
        [
            "python",
            "-m",
            f"nlptoolkit.tasks.{task}",
            "train",
            "--recipe",
            shlex.quote(str(relative(recipe_path(name)))),
            *map(shlex.quote, extra),
        ]
    )


# ----------------------------------------------------------------------
# Running and reading a run.


def run_cli(argv, cwd):
    """Run one CLI command (`argv`, without the interpreter); its output
    goes to this process's stdout/stderr. Returns the exit code."""
    return subprocess.run([sys.executable, *argv], cwd=cwd).returncode


def train(name, recipe, extra):
    """Train one recipe through its CLI; the metrics.json it wrote."""
    task = recipe["task"]
    scratch = tempfile.mkdtemp(prefix=f"quality-{name}-")
    output = os.path.join(scratch, "run")
    argv = [
        "-m",
        f"nlptoolkit.tasks.{task}",
        "train",
        "--recipe",
        str(relative(recipe_path(name))),
        "--output",
        output,
        *extra,
    ]
    logger.info("%s: %s", name, cli_command(task, name, extra))
    try:
        code = run_cli(argv, cwd=str(_common.REPO_ROOT))
        if code != 0:
            raise RuntimeError(f"{name}: the CLI exited with code {code}")
        return read_metrics(output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_metrics(directory):
    path = pathlib.Path(directory) / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QualityError(
            f"no metrics.json in {directory}: expected the --output folder "
            "of a `python -m nlptoolkit.tasks.<task> train` run."
        ) from None
    except ValueError as error:
        raise QualityError(f"{path} is not valid JSON: {error}") from None


def check_imported(metrics, recipe, name, directory):
    """Refuse a run that was not trained from this recipe, unchanged."""
    record = metrics.get("recipe")
    command = cli_command(recipe["task"], name)
    if not isinstance(record, dict):
        raise QualityError(
            f"{directory}/metrics.json was not trained with --recipe (it has "
            f"no 'recipe' record). Train it with: {command} --output "
            f"{directory}"
        )
    if record.get("contents") != recipe:
        theirs = record.get("contents") or {}
        changed = sorted(
            key
            for key in set(theirs.get("train", {})) | set(recipe["train"])
            if theirs.get("train", {}).get(key) != recipe["train"].get(key)
        )
        if theirs.get("task") != recipe["task"]:
            changed.insert(0, "task")
        what = f"train options {changed}" if changed else "its description"
        raise QualityError(
            f"{directory} was trained from recipe {record.get('path')!r}, "
            f"which differs from {relative(recipe_path(name))} in {what}. "
            f"Import a run of this recipe, or re-train: {command}"
        )
    overrides = record.get("overrides") or {}
    if overrides:
        given = " ".join(f"--{k} {v}" for k, v in sorted(overrides.items()))
        raise QualityError(
            f"{directory} was trained from {record.get('path')} with options "
            f"that change it ({given}); only a run of the recipe as it is "
            f"counts. Re-train: {command}"
        )


def read_decodings(directory, metrics):
    """``summarization evaluate`` results beside an imported run: its
    ``evaluation-NAME.json`` files on the same test rows, as
    ``{NAME: {rouge1, rouge2, rougeL, baseline_rougeL, decode_seconds}}``
    (the run's own test decoding under its sampler's name too)."""
    out = {}
    own = metrics.get("sampler")
    if metrics.get("num_beams") and own == "beam":
        own = f"beam{metrics['num_beams']}"
    keys = ("rouge1", "rouge2", "rougeL", "baseline_rougeL")
    if own:
        out[own] = {k: metrics.get(k) for k in keys}
    for path in sorted(pathlib.Path(directory).glob("evaluation-*.json")):
        scores = json.loads(path.read_text(encoding="utf-8"))
        if scores.get("examples") != metrics.get("test_examples"):
            logger.warning(
                "%s: %s test rows, the run has %s; left out",
                path,
                scores.get("examples"),
                metrics.get("test_examples"),
            )
            continue
        name = path.stem[len("evaluation-") :]
        out[name] = {
            **{k: scores.get(k) for k in keys},
            "decode_seconds": scores.get("decode_seconds"),
            "length_penalty": scores.get("length_penalty"),
            "no_repeat_ngram_size": scores.get("no_repeat_ngram_size"),
        }
    return out


def _metric(task, metrics):
    """(metric key, baseline key, higher is better, split)."""
    if task in ("sentiment", "classification"):
        return "accuracy", "baseline_accuracy", True, "test"
    if task == "summarization":
        return "rougeL", "baseline_rougeL", True, "test"
    if metrics.get("tokenizer", "char") == "char":
        return "loss", "baseline_loss", False, "validation"
    return "word_perplexity", "baseline_perplexity", False, "validation"


_EXTRA = {
    "sentiment": ("macro_f1", "baseline_macro_f1"),
    "classification": ("macro_f1", "baseline_macro_f1"),
    "summarization": ("rouge1", "rouge2", "baseline_rouge1", "baseline_rouge2"),
    "generation": ("perplexity", "bits_per_char", "tokens_per_word"),
}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def make_row(name, recipe, metrics, command, quick, info, imported=None):
    task = recipe["task"]
    key, baseline_key, higher, split = _metric(task, metrics)
    dataset = metrics.get("dataset") or recipe["train"].get("dataset")
    references = [
        {"name": ref, "score": score, "source": source}
        for ref, score, source in REFERENCES.get(dataset, [])
    ]
    row = {
        "recipe": name,
        "task": task,
        "dataset": dataset,
        "backbone": metrics.get("backbone") or recipe["train"].get("backbone"),
        "split": split,
        "metric": key,
        "higher_is_better": higher,
        "model": metrics.get(key),
        "baseline": metrics.get("baseline"),
        "baseline_score": metrics.get(baseline_key),
        "references": references,
        "train_seconds": metrics.get("train_seconds"),
        "num_parameters": metrics.get(
            "num_parameters", metrics.get("parameters")
        ),
        "epochs_run": metrics.get("epochs_run"),
        "other_metrics": {
            k: metrics[k] for k in _EXTRA.get(task, ()) if k in metrics
        },
        "command": command,
        "quick": bool(quick),
        "imported_from": imported,
        "manifest": info,
    }
    return _finite(row)


# ----------------------------------------------------------------------
# Results file.


def read_rows(path):
    path = pathlib.Path(path)
    if not path.exists():
        return []
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise QualityError(
            f"{path} is not valid JSON ({error}); fix or remove it."
        ) from None
    return list(payload.get("rows") or [])


def merge(rows, row, force=False):
    """Rows with `row` in place of the one for the same recipe. A quick
    row does not replace a full-size one unless `force`."""
    old = next((r for r in rows if r["recipe"] == row["recipe"]), None)
    if old is not None and row["quick"] and not old["quick"] and not force:
        logger.warning(
            "%s: kept the full-size row; a --quick row replaces it only "
            "with --force",
            row["recipe"],
        )
        return rows
    rows = [r for r in rows if r["recipe"] != row["recipe"]] + [row]
    return sorted(rows, key=lambda r: r["recipe"])


def write_results(path, rows, info):
    quick = any(r.get("quick") for r in rows)
    payload = {
        "benchmark": "quality",
        "title": "Model quality: every recipe in tasks/ beside its baseline",
        "command": "python benchmarks/quality.py",
        "manifest": {**info, "quick": quick},
        "rows": rows,
        "notes": [
            "One row per recipe in tasks/, each from its own run (the "
            "command column; `--import-run` rows come from a run made by "
            "hand with that command). The date, machine and versions above "
            "are the latest row's; each row keeps its own manifest.",
            "Rows marked (quick) come from `--quick` (small subsets, one "
            "epoch or a short budget): re-run them in full.",
            "References: the figures listed in shared/data/README.md "
            "(papers, and baselines measured by whoever prepared the data), "
            "not from these runs; compare with care where the split or the "
            "references differ (see the definitions).",
        ],
        "definitions": DEFINITIONS,
    }
    _common.write_json(path, payload)


# ----------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--recipes",
        default=None,
        help="comma-separated recipe names (files in tasks/); default all",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a minutes-long version of each recipe (recorded as quick)",
    )
    parser.add_argument(
        "--import-run",
        default=None,
        metavar="DIR",
        help="take the row from DIR/metrics.json (trained with --recipe "
        "from the one recipe given by --recipes) instead of training",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="let a --quick row replace a full-size one",
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    _common.setup_environment()
    try:
        return _run(args, argv)
    except QualityError as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


def _run(args, argv):
    names = resolve_recipes(args.recipes)
    if args.import_run and (len(names) != 1 or args.quick):
        raise QualityError(
            "--import-run takes one run of one recipe: pass --recipes NAME "
            "(one name) and no --quick."
        )
    recipes = {name: load_recipe(name) for name in names}
    rows = read_rows(args.output)
    script = _common.command_line(__file__, argv)
    failed = []
    for name, recipe in recipes.items():
        started = time.perf_counter()
        seed = recipe["train"].get("seed", 0)
        if args.import_run:
            metrics = read_metrics(args.import_run)
            check_imported(metrics, recipe, name, args.import_run)
            command = cli_command(recipe["task"], name)
            imported = str(args.import_run)
        else:
            extra = QUICK[recipe["task"]] if args.quick else []
            command = cli_command(recipe["task"], name, extra)
            imported = None
            try:
                metrics = train(name, recipe, extra)
            except (RuntimeError, QualityError) as error:
                logger.error("%s", error)
                failed.append(name)
                continue
        info = _common.manifest(
            seed,
            args.quick,
            recipe=str(relative(recipe_path(name))),
            produced_by=script,
            imported=bool(imported),
            run=metrics.get("manifest"),
        )
        info = _common.finish_manifest(info, started)
        row = make_row(
            name, recipe, metrics, command, args.quick, info, imported
        )
        if imported and recipe["task"] == "summarization":
            row["decodings"] = _finite(read_decodings(imported, metrics))
        rows = merge(rows, row, force=args.force)
        write_results(args.output, rows, _finite(info))
        logger.info(
            "%s: %s %s = %s (baseline %s %s)",
            name,
            row["split"],
            row["metric"],
            row["model"],
            row["baseline"],
            row["baseline_score"],
        )
    if failed:
        logger.error("failed: %s", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
