"""Downloads are verified and archives are checked before use.

``tests/datasets/test_datasets_resolve.py`` already covers a checksum
mismatch (``download_file`` and ``load``), and tar members escaping with
``..``, an absolute path or a symlink. These add what it leaves out: a
mismatch never touches an existing good copy, hard links, devices and
fifos, Windows-style names, corrupted archives, and archives downloaded
without a recorded checksum. Nothing here touches the network:
``_open_url`` is replaced by an in-memory response.
"""

import hashlib
import io
import tarfile

import pytest

from nlptoolkit import datasets
from nlptoolkit.datasets import download


def _serve(monkeypatch, payload):
    monkeypatch.setattr(
        download, "_open_url", lambda url, timeout: io.BytesIO(payload)
    )


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _tar(*members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        ok = tarfile.TarInfo("aclImdb/README")
        ok.size = 2
        archive.addfile(ok, io.BytesIO(b"ok"))
        for member in members:
            data = b"evil" if member.isfile() else b""
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _member(name, kind=tarfile.REGTYPE, link=""):
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = link
    return member


def test_mismatch_keeps_the_existing_good_copy(monkeypatch, tmp_path):
    dest = tmp_path / "TREC.test"
    dest.write_bytes(b"good copy")
    _serve(monkeypatch, b"tampered")
    with pytest.raises(datasets.ChecksumMismatchError, match="deleted"):
        datasets.download_file("https://x/TREC.test", dest, _sha(b"good"))
    assert dest.read_bytes() == b"good copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TREC.test"]


def test_checksum_is_compared_case_insensitively(monkeypatch, tmp_path):
    _serve(monkeypatch, b"data")
    dest = tmp_path / "f.txt"
    datasets.download_file("https://x/f.txt", dest, _sha(b"data").upper())
    assert dest.read_bytes() == b"data"


@pytest.mark.parametrize(
    "member",
    [
        _member("aclImdb/hard", tarfile.LNKTYPE, "../../etc/passwd"),
        _member("aclImdb/hard", tarfile.LNKTYPE, "/etc/passwd"),
        _member("aclImdb/dev", tarfile.CHRTYPE),
        _member("aclImdb/fifo", tarfile.FIFOTYPE),
        _member("..\\..\\evil.txt"),
        _member("C:/evil.txt"),
        _member("aclImdb/./../../evil.txt"),
    ],
    ids=[
        "hardlink-out",
        "hardlink-abs",
        "device",
        "fifo",
        "backslash",
        "drive",
        "dot-dotdot",
    ],
)
def test_unsafe_members_are_refused(monkeypatch, tmp_path, member):
    payload = _tar(member)
    _serve(monkeypatch, payload)
    dest = tmp_path / "cache" / "aclImdb_v1.tar.gz"
    with pytest.raises(datasets.UnsafeArchiveError, match="unsafe"):
        datasets.download_file("https://x/a.tar.gz", dest, _sha(payload))
    assert not dest.parent.exists()  # no partial file, no empty folder


def test_unverified_archives_are_still_checked(monkeypatch, tmp_path, caplog):
    payload = _tar(_member("../evil.txt"))
    _serve(monkeypatch, payload)
    dest = tmp_path / "aclImdb_v1.tar.gz"
    with pytest.raises(datasets.UnsafeArchiveError):
        datasets.download_file("https://x/a.tar.gz", dest, sha256=None)
    assert not dest.exists()
    assert "Cannot verify" in caplog.text


def test_corrupted_archive_is_refused(monkeypatch, tmp_path):
    payload = _tar()[:40]  # a truncated gzip stream
    _serve(monkeypatch, payload)
    dest = tmp_path / "aclImdb_v1.tar.gz"
    with pytest.raises(datasets.UnsafeArchiveError, match="not a readable"):
        datasets.download_file("https://x/a.tar.gz", dest, _sha(payload))
    assert list(tmp_path.iterdir()) == []


def test_safe_archive_is_kept(monkeypatch, tmp_path):
    payload = _tar(_member("aclImdb/train/pos/0_9.txt"))
    _serve(monkeypatch, payload)
    dest = tmp_path / "aclImdb_v1.tar.gz"
    datasets.download_file("https://x/a.tar.gz", dest, _sha(payload))
    assert datasets.check_archive(dest) == 2
