"""Every notebook runs top to bottom in SMOKE mode and draws a figure.

Each notebook is executed with nbclient in a fresh kernel: ``SMOKE=1``
(tiny data, sizes and epochs), ``NLPTOOLKIT_DATA`` pointing at the real
datasets, no downloads, and a temporary working directory so the files a
notebook saves land there. The kernel is ipykernel's own ``python3`` spec
for the interpreter running the tests, so no user-level kernel
registration is needed.

The committed notebooks must also be exactly what
``notebooks/build_notebooks.py`` writes: stored clean, without outputs.
"""

import importlib.util
import os
import pathlib
import time

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
NAMES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 300
SHARED_DATA = REPO / ".." / "shared" / "data"
SMOKE_LINE = 'SMOKE = os.environ.get("SMOKE", "0") == "1"'


def _data_root():
    if "NLPTOOLKIT_DATA" not in os.environ and SHARED_DATA.is_dir():
        os.environ["NLPTOOLKIT_DATA"] = str(SHARED_DATA.resolve())
    root = os.environ.get("NLPTOOLKIT_DATA")
    if not root or not pathlib.Path(root).is_dir():
        pytest.skip("NLPTOOLKIT_DATA does not point at the real datasets")
    return root


def _kernel_manager():
    """A manager for the ``python3`` kernel of this very interpreter.

    With no kernel directories, jupyter_client falls back to ipykernel's
    built-in spec, which launches ``sys.executable``: a registration in
    the user's Jupyter folders can neither break nor redirect the test.
    """
    specs = KernelSpecManager(kernel_dirs=[])
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", NOTEBOOKS / "build_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_is_listed():
    expected = [
        "01_sentiment.ipynb",
        "02_classification.ipynb",
        "03_summarization.ipynb",
        "04_generation.ipynb",
        "05_inference_clock.ipynb",
    ]
    assert NAMES == expected
    assert sorted(_load_builder().NOTEBOOKS) == expected


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_generated_and_clean(name):
    stored = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in stored.cells if cell.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [], f"{name}: stored with outputs"
        assert cell.execution_count is None, f"{name}: stored executed"
        # Notebooks call the public API; library logic lives in the package.
        for line in cell.source.splitlines():
            assert not line.startswith(("def ", "class ")), (
                f"{name} defines {line!r}: move it into nlptoolkit"
            )
    assert any(SMOKE_LINE in cell.source for cell in code), (
        f"{name} does not read SMOKE from the environment"
    )
    builder = _load_builder()
    built = builder.build(name, builder.NOTEBOOKS[name])
    assert nbformat.writes(built) == nbformat.writes(stored), (
        f"{name} differs from what notebooks/build_notebooks.py writes; "
        "edit the generator and run `python notebooks/build_notebooks.py`."
    )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_smoke_mode(name, tmp_path, monkeypatch):
    data = _data_root()
    monkeypatch.setenv("NLPTOOLKIT_DATA", data)
    monkeypatch.setenv("SMOKE", "1")
    monkeypatch.setenv("NLPTOOLKIT_OFFLINE", "1")
    monkeypatch.setenv("NLPTOOLKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        km=_kernel_manager(),
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failure
    seconds = time.perf_counter() - start
    print(f"{name}: executed in {seconds:.1f} s")

    outputs = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0].get('ename')}"
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name} displayed no figure (no image/png output)"
