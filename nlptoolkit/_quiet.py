"""Import TensorFlow and keras-hub without their C++ start-up chatter.

TensorFlow's native libraries print absl/CUDA-stub/oneDNN lines straight to
file descriptor 2 on import, before any Python logging can filter them, so
every CLI message would follow half a dozen lines of noise. We silence fd 2
for the import only; if the import fails, what it wrote is shown with the
error. Set ``NLPTOOLKIT_VERBOSE_IMPORT=1`` to see the lines anyway.
"""

import importlib
import os
import sys
import tempfile


def quiet_import(*modules):
    if os.environ.get("NLPTOOLKIT_VERBOSE_IMPORT") == "1":
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
