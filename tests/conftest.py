import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_SHARED = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
if "NLPTOOLKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["NLPTOOLKIT_DATA"] = str(_SHARED.resolve())
