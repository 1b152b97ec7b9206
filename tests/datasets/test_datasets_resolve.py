"""Where files are found: path=, $NLPTOOLKIT_DATA, the cache, a download."""

import dataclasses
import hashlib
import io
import logging
import socket
import tarfile

import pytest

import nlptoolkit.datasets as ds
from nlptoolkit.datasets import registry

SST_LINES = {
    "path": "1 from the path argument .\n",
    "env": "0 from the environment variable .\n",
    "cache": "1 from the cache .\n",
}


def _write_sst_dev(folder, which):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stsa.binary.dev").write_text(SST_LINES[which])
    return folder


def _first_text(**kwargs):
    return ds.load("sst2", "dev", **kwargs)["text"].iloc[0]


# --- resolution order -------------------------------------------------------


def test_explicit_path_beats_env_and_cache(tmp_path, monkeypatch):
    _write_sst_dev(tmp_path / "data" / "sst2-sentence", "env")
    _write_sst_dev(tmp_path / "cache" / "sst2-sentence", "cache")
    monkeypatch.setenv("NLPTOOLKIT_DATA", str(tmp_path / "data"))
    path = _write_sst_dev(tmp_path / "mine", "path")
    assert _first_text(path=path) == "from the path argument ."
    assert _first_text(path=str(path)) == "from the path argument ."


def test_env_beats_cache(tmp_path, monkeypatch):
    _write_sst_dev(tmp_path / "data" / "sst2-sentence", "env")
    _write_sst_dev(tmp_path / "cache" / "sst2-sentence", "cache")
    monkeypatch.setenv("NLPTOOLKIT_DATA", str(tmp_path / "data"))
    assert _first_text() == "from the environment variable ."


def test_cache_used_when_env_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("NLPTOOLKIT_DATA", raising=False)
    _write_sst_dev(tmp_path / "cache" / "sst2-sentence", "cache")
    assert _first_text() == "from the cache ."


def test_cache_used_when_env_lacks_the_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("NLPTOOLKIT_DATA", str(tmp_path / "data"))
    _write_sst_dev(tmp_path / "cache" / "sst2-sentence", "cache")
    assert _first_text() == "from the cache ."


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("NLPTOOLKIT_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert ds.cache_dir() == tmp_path / ".cache" / "nlptoolkit"


def test_path_missing_file_names_expected_path(tmp_path):
    with pytest.raises(ds.DatasetNotFoundError) as error:
        ds.load("sst2", "test", path=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "stsa.binary.test") in message
    assert "'sst2'" in message


def test_path_at_data_root_gets_a_hint(tmp_path):
    _write_sst_dev(tmp_path / "sst2-sentence", "path")
    with pytest.raises(ds.DatasetNotFoundError) as error:
        ds.load("sst2", "dev", path=tmp_path)
    assert f"path={str(tmp_path / 'sst2-sentence')!r}" in str(error.value)


def test_path_must_be_a_folder(tmp_path):
    file = _write_sst_dev(tmp_path, "path") / "stsa.binary.dev"
    with pytest.raises(ds.DatasetNotFoundError, match="must be a folder"):
        ds.load("sst2", "dev", path=file)
    with pytest.raises(ds.DatasetNotFoundError, match="does not exist"):
        ds.load("sst2", "dev", path=tmp_path / "nowhere")


def test_env_folder_missing_file_is_an_error(tmp_path, monkeypatch):
    _write_sst_dev(tmp_path / "data" / "sst2-sentence", "env")
    _write_sst_dev(tmp_path / "cache" / "sst2-sentence", "cache")
    monkeypatch.setenv("NLPTOOLKIT_DATA", str(tmp_path / "data"))
    with pytest.raises(ds.DatasetNotFoundError) as error:
        ds.load("sst2", "train")
    expected = tmp_path / "data" / "sst2-sentence" / "stsa.binary.train"
    assert str(expected) in str(error.value)
    assert "$NLPTOOLKIT_DATA" in str(error.value)


def test_malformed_line_names_file_and_line(tmp_path):
    folder = tmp_path / "sst"
    folder.mkdir()
    (folder / "stsa.binary.dev").write_text("1 fine .\npositive oops\n")
    with pytest.raises(ValueError, match=r"stsa\.binary\.dev:2"):
        ds.load("sst2", "dev", path=folder)


# --- IMDB layouts -------------------------------------------------------------

IMDB_REVIEWS = {
    "aclImdb/train/pos/0_9.txt": b"A triumph.",
    "aclImdb/train/pos/1_8.txt": b"Lovely<br />film.",
    "aclImdb/train/neg/0_2.txt": b"A bore.",
    "aclImdb/test/neg/0_1.txt": b"Awful.",
    "aclImdb/test/pos/0_10.txt": b"Superb.",
    "aclImdb/README": b"readme",
}


def _imdb_tar(path, members=IMDB_REVIEWS):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "file_name", ["aclImdb_v1.tar.gz", "aclImdb_v1_train_test.tar.gz"]
)
def test_imdb_from_either_archive_name(tmp_path, file_name):
    _imdb_tar(tmp_path / file_name)
    df = ds.load("imdb", "train", path=tmp_path)
    assert df.to_dict("list") == {
        "text": ["A bore.", "A triumph.", "Lovely<br />film."],
        "label": [0, 1, 1],
    }
    assert ds.load("imdb", "test", path=tmp_path)["label"].tolist() == [0, 1]


def test_imdb_from_extracted_folder(tmp_path):
    for name, data in IMDB_REVIEWS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    df = ds.load("imdb", "train", path=tmp_path)
    assert df["label"].tolist() == [0, 1, 1]


def test_imdb_archive_without_the_split(tmp_path):
    _imdb_tar(tmp_path / "aclImdb_v1.tar.gz", {"aclImdb/README": b"x"})
    with pytest.raises(ds.DatasetNotFoundError, match="no reviews found"):
        ds.load("imdb", "train", path=tmp_path)


# --- downloads from a local server ------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _point_registry_at(monkeypatch, name, base_url, sha256=None):
    """Replace a registry entry's URLs (and optionally sha256s)."""
    info = registry.REGISTRY[name]
    files = tuple(
        dataclasses.replace(
            f,
            url=f"{base_url}/{f.name}",
            sha256=(sha256 or {}).get(f.name, f.sha256),
        )
        for f in info.files
    )
    monkeypatch.setitem(
        registry.REGISTRY, name, dataclasses.replace(info, files=files)
    )


def _go_online(monkeypatch):
    monkeypatch.delenv("NLPTOOLKIT_DATA", raising=False)
    monkeypatch.delenv("NLPTOOLKIT_OFFLINE", raising=False)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_file_verifies_and_renames(http_server, tmp_path):
    root, base = http_server
    data = b"NUM:date When did it end ?\n"
    (root / "TREC.test").write_bytes(data)
    dest = tmp_path / "out" / "TREC.test"
    result = ds.download_file(f"{base}/TREC.test", dest, sha256=_sha(data))
    assert result == dest
    assert dest.read_bytes() == data
    assert _leftovers(dest.parent) == ["TREC.test"]


def test_download_file_refuses_checksum_mismatch(http_server, tmp_path):
    root, base = http_server
    (root / "f.txt").write_bytes(b"tampered")
    dest = tmp_path / "out" / "f.txt"
    with pytest.raises(ds.ChecksumMismatchError) as error:
        ds.download_file(f"{base}/f.txt", dest, sha256="0" * 64)
    assert "0" * 64 in str(error.value)
    assert _sha(b"tampered") in str(error.value)
    assert _leftovers(dest.parent) == []


def test_download_file_without_sha256_warns(http_server, tmp_path, caplog):
    root, base = http_server
    (root / "f.txt").write_bytes(b"data")
    dest = tmp_path / "f.txt"
    with caplog.at_level(logging.WARNING, logger="nlptoolkit.datasets"):
        ds.download_file(f"{base}/f.txt", dest, sha256=None)
    assert dest.read_bytes() == b"data"
    assert "Cannot verify" in caplog.text


def test_download_file_rejects_other_schemes(tmp_path):
    with pytest.raises(ValueError, match="http"):
        ds.download_file("file:///etc/hostname", tmp_path / "x")
    assert _leftovers(tmp_path) == []


def _tar_with(member: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        ok = tarfile.TarInfo("aclImdb/README")
        ok.size = 2
        archive.addfile(ok, io.BytesIO(b"ok"))
        member.size = len(data) if member.isfile() else 0
        archive.addfile(member, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _symlink(name, target):
    member = tarfile.TarInfo(name)
    member.type = tarfile.SYMTYPE
    member.linkname = target
    return member


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../escaped.txt"),
        tarfile.TarInfo("aclImdb/../../escaped.txt"),
        tarfile.TarInfo("/tmp/absolute.txt"),
        _symlink("aclImdb/link", "../../etc/passwd"),
        _symlink("aclImdb/link", "/etc/passwd"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "symlink-abs"],
)
def test_download_refuses_archive_escaping_its_folder(
    http_server, tmp_path, member
):
    root, base = http_server
    payload = _tar_with(member, b"evil" if member.isfile() else b"")
    (root / "aclImdb_v1.tar.gz").write_bytes(payload)
    dest = tmp_path / "out" / "aclImdb_v1.tar.gz"
    with pytest.raises(ds.UnsafeArchiveError, match="unsafe"):
        ds.download_file(
            f"{base}/aclImdb_v1.tar.gz", dest, sha256=_sha(payload)
        )
    assert _leftovers(dest.parent) == []
    assert not (tmp_path / "escaped.txt").exists()


def test_check_archive_accepts_safe_links(tmp_path):
    payload = _tar_with(_symlink("aclImdb/link", "README"))
    path = tmp_path / "ok.tar.gz"
    path.write_bytes(payload)
    assert ds.check_archive(path) == 2


def test_load_downloads_into_cache_then_reuses_it(
    http_server, tmp_path, monkeypatch
):
    root, base = http_server
    data = b"NUM:date When did it end ?\nHUM:ind Who wrote it ?\n"
    (root / "TREC.test").write_bytes(data)
    _point_registry_at(monkeypatch, "trec", base, {"TREC.test": _sha(data)})
    _go_online(monkeypatch)
    df = ds.load("trec", "test")
    assert df["label"].tolist() == ["NUM", "HUM"]
    cached = tmp_path / "cache" / "trec" / "TREC.test"
    assert cached.read_bytes() == data
    assert _leftovers(cached.parent) == ["TREC.test"]
    (root / "TREC.test").unlink()  # the server no longer has it
    assert ds.load("trec", "test").equals(df)


def test_load_downloads_imdb_archive(http_server, tmp_path, monkeypatch):
    root, base = http_server
    payload = _imdb_tar(root / "aclImdb_v1.tar.gz").read_bytes()
    sha = {"aclImdb_v1.tar.gz": _sha(payload)}
    _point_registry_at(monkeypatch, "imdb", base, sha)
    _go_online(monkeypatch)
    df = ds.load("imdb", "train")
    assert df["label"].tolist() == [0, 1, 1]
    assert (tmp_path / "cache" / "imdb" / "aclImdb_v1.tar.gz").is_file()


def test_load_refuses_checksum_mismatch(http_server, tmp_path, monkeypatch):
    root, base = http_server
    (root / "TREC.test").write_bytes(b"NUM:date Changed upstream ?\n")
    _point_registry_at(monkeypatch, "trec", base, {"TREC.test": "a" * 64})
    _go_online(monkeypatch)
    with pytest.raises(ds.ChecksumMismatchError, match="Checksum mismatch"):
        ds.load("trec", "test")
    assert _leftovers(tmp_path / "cache" / "trec") == []


# --- offline ------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_offline_message(message, cache_root, url):
    assert "'ptb'" in message
    assert url in message
    assert str(cache_root / "ptb" / "ptb.test.txt") in message
    assert "NLPTOOLKIT_DATA" in message
    assert "path=" in message


def test_offline_error_names_everything(tmp_path, monkeypatch):
    base = f"http://127.0.0.1:{_closed_port()}"
    _point_registry_at(monkeypatch, "ptb", base)
    _go_online(monkeypatch)
    with pytest.raises(ds.DatasetNotFoundError) as error:
        ds.load("ptb", "test")
    assert isinstance(error.value, OSError)
    _assert_offline_message(
        str(error.value), tmp_path / "cache", f"{base}/ptb.test.txt"
    )
    assert not (tmp_path / "cache" / "ptb").exists()


def test_http_404_is_the_same_error(http_server, tmp_path, monkeypatch):
    _, base = http_server
    _point_registry_at(monkeypatch, "ptb", base)
    _go_online(monkeypatch)
    with pytest.raises(ds.DatasetNotFoundError, match="HTTP 404"):
        ds.load("ptb", "test")


def test_offline_switch_skips_the_network(tmp_path, monkeypatch):
    monkeypatch.delenv("NLPTOOLKIT_DATA", raising=False)
    with pytest.raises(ds.DatasetNotFoundError) as error:
        ds.load("ptb", "test")
    message = str(error.value)
    _assert_offline_message(
        message, tmp_path / "cache", ds.get_info("ptb").urls["ptb.test.txt"]
    )
    assert "NLPTOOLKIT_OFFLINE is set" in message
