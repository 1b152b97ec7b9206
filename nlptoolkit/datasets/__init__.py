"""Named public datasets and readers for your own data.

`load` returns one split of a named dataset as a `pandas.DataFrame`; the
registry (`get_info`, `list_datasets`) says where each dataset comes from,
its licence, citation and checksums. `read_file`, `from_dataframe` and
`read_folder` bring your own CSV/TSV/JSONL files, DataFrames and
folder-per-class data into the same column names.

Files are found through ``path=``, then ``$NLPTOOLKIT_DATA/<folder>``, then
the cache (``$NLPTOOLKIT_CACHE`` or ``~/.cache/nlptoolkit``), and only then
downloaded from their canonical URL (never on import).

Example:

>>> import pathlib, tempfile
>>> import nlptoolkit.datasets
>>> folder = pathlib.Path(tempfile.mkdtemp())  # a folder holding TREC.test
>>> _ = (folder / "TREC.test").write_text("NUM:date When did it end ?\\n")
>>> df = nlptoolkit.datasets.load("trec", split="test", path=folder)
>>> df.iloc[0].to_dict()
{'text': 'When did it end ?', 'label': 'NUM', 'fine_label': 'NUM:date'}
"""

from nlptoolkit.datasets.download import check_archive
from nlptoolkit.datasets.download import download_file
from nlptoolkit.datasets.download import file_sha256
from nlptoolkit.datasets.errors import ChecksumMismatchError
from nlptoolkit.datasets.errors import DatasetNotFoundError
from nlptoolkit.datasets.errors import UnsafeArchiveError
from nlptoolkit.datasets.loader import cache_dir
from nlptoolkit.datasets.loader import data_root
from nlptoolkit.datasets.loader import load
from nlptoolkit.datasets.loader import resolve
from nlptoolkit.datasets.readers import from_dataframe
from nlptoolkit.datasets.readers import read_file
from nlptoolkit.datasets.readers import read_folder
from nlptoolkit.datasets.registry import ALIASES
from nlptoolkit.datasets.registry import REGISTRY
from nlptoolkit.datasets.registry import DataFile
from nlptoolkit.datasets.registry import DatasetInfo
from nlptoolkit.datasets.registry import get_info
from nlptoolkit.datasets.registry import list_datasets

__all__ = [
    "ALIASES",
    "REGISTRY",
    "ChecksumMismatchError",
    "DataFile",
    "DatasetInfo",
    "DatasetNotFoundError",
    "UnsafeArchiveError",
    "cache_dir",
    "data_root",
    "check_archive",
    "download_file",
    "file_sha256",
    "from_dataframe",
    "get_info",
    "list_datasets",
    "load",
    "read_file",
    "read_folder",
    "resolve",
]
