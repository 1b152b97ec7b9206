"""Fixtures for the dataset tests: no network, no user cache, a local server.

Every test runs with ``NLPTOOLKIT_OFFLINE=1`` and ``NLPTOOLKIT_CACHE`` in a
temporary folder, so nothing downloads unless a test removes the offline
switch on purpose (and then only from a server on 127.0.0.1).
"""

import functools
import http.server
import os
import pathlib
import threading

import pytest


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("NLPTOOLKIT_OFFLINE", "1")
    monkeypatch.setenv("NLPTOOLKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def shared_data():
    """The folder of real datasets ($NLPTOOLKIT_DATA), or skip."""
    root = os.environ.get("NLPTOOLKIT_DATA")
    if not root or not pathlib.Path(root).is_dir():
        pytest.skip("NLPTOOLKIT_DATA does not point at the real datasets")
    return pathlib.Path(root)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    """A static file server on 127.0.0.1 (random port): (root, base_url)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
