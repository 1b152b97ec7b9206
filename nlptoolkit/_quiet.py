"""Keep TensorFlow's C++ log lines off the terminal.

TensorFlow's native libraries print absl/CUDA-stub/oneDNN lines straight to
file descriptor 2, before and after import (``E0000 ... failed call to
cuInit`` when the first op runs, ``NodeDef mentions attribute ...`` when a
``tf.data`` pipeline starts), where no Python logging can filter them.

- `quiet_import` captures fd 2 while TensorFlow and keras-hub import; if
  the import fails, what it wrote is shown with the error.
- `filter_native_logs` (the command-line programs call it first thing)
  passes fd 2 through a filter for the rest of the process; Python's own
  ``sys.stderr`` writes straight to the terminal.

Which of TensorFlow's lines pass: by default none but fatal ones. A
``TF_CPP_MIN_LOG_LEVEL`` the user set before ``import nlptoolkit`` is
honoured as TensorFlow means it (0 all, 1 no info, 2 errors only, 3 none:
even the lines absl prints before TensorFlow reads the variable), and
``NLPTOOLKIT_VERBOSE_IMPORT=1`` or the CLIs' ``--verbose`` shows them all.

Example:
>>> from nlptoolkit._quiet import is_native_log_line
>>> is_native_log_line(
...     "E0000 00:00:1796289582.552689    4427 cuda_platform.cc:52] "
...     "failed call to cuInit: INTERNAL: CUDA error")
True
>>> is_native_log_line("Trained a word tokenizer: 9 tokens")
False
"""

import atexit
import importlib
import os
import re
import sys
import tempfile
import threading

# Recorded before nlptoolkit sets its own default (nlptoolkit/__init__.py).
USER_TF_LOG_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")

_NATIVE_LINES = (  # (pattern, severity: 0 info, 1 warning, 2 error)
    # absl: E0000 00:00:1796289582.552689    4427 cuda_platform.cc:52] ...
    re.compile(rb"^([IWE])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+\s+\S+:\d+\] "),
    # older TensorFlow: 2024-01-01 12:00:00.123456: W tensorflow/x.cc:1] ...
    re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWE]) \S+:\d+\] "),
)
_OTHER_NATIVE_LINES = (
    (re.compile(rb"^WARNING: All log messages before absl::InitializeLog"), 1),
    # the second line of cpu_feature_guard's message
    (re.compile(rb"^To enable the following instructions: .* rebuild "), 0),
)
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2}
_installed = []


def shown_level():
    """The lowest severity of TensorFlow's C++ lines that reach the
    terminal: 0 (all) with ``NLPTOOLKIT_VERBOSE_IMPORT=1``, the user's own
    ``TF_CPP_MIN_LOG_LEVEL`` when they set one, else 3 (fatal only)."""
    if os.environ.get("NLPTOOLKIT_VERBOSE_IMPORT") == "1":
        return 0
    try:
        return min(3, max(0, int(USER_TF_LOG_LEVEL)))
    except (TypeError, ValueError):
        return 3


def native_severity(line):
    """The severity (0 info, 1 warning, 2 error) of one of TensorFlow's
    C++ log lines (str or bytes), or ``None`` for any other line (fatal
    ones included)."""
    if isinstance(line, str):
        line = line.encode("utf-8", "replace")
    for pattern in _NATIVE_LINES:
        match = pattern.match(line)
        if match:
            return _SEVERITY[match.group(1)]
    for pattern, severity in _OTHER_NATIVE_LINES:
        if pattern.match(line):
            return severity
    return None


def is_native_log_line(line):
    """Whether ``line`` (str or bytes) is one of TensorFlow's C++ info,
    warning or error log lines (fatal ones are not)."""
    return native_severity(line) is not None


def _kept(data, level):
    """The lines of ``data`` (bytes) that pass at ``level``."""
    lines = data.split(b"\n")
    kept = [
        line
        for line in lines
        if (severity := native_severity(line)) is None or severity >= level
    ]
    return b"\n".join(kept)


def quiet_import(*modules):
    """Import ``modules`` with fd 2 captured; what TensorFlow printed is
    shown at `shown_level` (all of it if the import fails)."""
    level = shown_level()
    if level == 0:
        for name in modules:
            importlib.import_module(name)
        return
    pending = [name for name in modules if name not in sys.modules]
    if not pending:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            for name in pending:
                importlib.import_module(name)
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        kept = _kept(capture.read(), level)
        if kept.strip():
            sys.stderr.write(kept.decode("utf-8", "replace"))


def filter_native_logs():
    """Drop TensorFlow's C++ log lines below `shown_level` from fd 2 for
    the rest of the process (once; a no-op at level 0). Python's
    ``sys.stderr`` then writes to the terminal directly. For programs
    (the CLIs), not for libraries: it rewires the process's stderr.
    Returns whether the filter is on."""
    if _installed:
        return True
    level = shown_level()
    if level == 0:
        return False
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr = open(  # lives as long as the process
        terminal,
        "w",
        buffering=1,
        encoding=encoding,
        errors="backslashreplace",
        closefd=False,
    )
    thread = threading.Thread(
        target=_forward,
        args=(read_end, terminal, level),
        name="nlptoolkit-native-log-filter",
        daemon=True,
    )
    thread.start()
    _installed.append((thread, terminal))
    atexit.register(_drain)
    return True


def _forward(read_end, terminal, level):
    pending = b""
    while True:
        try:
            chunk = os.read(read_end, 65536)
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        _write_kept(terminal, lines, level, newline=True)
    if pending:
        _write_kept(terminal, [pending], level, newline=False)
    os.close(read_end)


def _write_kept(terminal, lines, level, newline):
    kept = b"".join(
        line + (b"\n" if newline else b"")
        for line in lines
        if (severity := native_severity(line)) is None or severity >= level
    )
    if kept:
        try:
            os.write(terminal, kept)
        except OSError:
            pass


def _drain():
    """At exit: close fd 2's pipe end and let the filter pass on what is
    left (briefly; a child process may still hold the pipe)."""
    for thread, terminal in _installed:
        try:
            sys.stderr.flush()
            os.dup2(terminal, 2)
        except (OSError, ValueError):
            pass
        thread.join(timeout=0.5)
