"""Safety: no network during processing, no entity resolution or external loads, outputs only in the output folder.

Network: Python-level connects and name lookups are blocked (and recorded, across forked workers, in a file) and a
local TCP listener stands in for every remote URL the pages name, so a fetch from C code (libxml2 loading a DTD)
would show up as an accepted connection even though it bypasses the Python socket module.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cleaner import Config, RunConfig, run
from cleaner import run_dedup as dedup
from tests.conftest import load_make_hostile

CANARY = "CANARY-7f3d2b-LOCAL-FILE-CONTENT"
XINCLUDE = "http://www.w3.org/2001/XInclude"


mh = load_make_hostile()


class Listener:
    """A local TCP server that counts connections: every 'remote' URL in the pages points here."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Block outgoing connections and DNS; each attempt is appended to a file (forked workers share it)."""
    log = tmp_path / "network-attempts.log"

    def blocked(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{name} {args[1:] if name.startswith('socket.') else args}\n")
            raise OSError(f"network access during processing: {name}")

        return refuse

    monkeypatch.setattr(socket.socket, "connect", blocked("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", blocked("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", blocked("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", blocked("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", blocked("gethostbyname"))
    return log


def _canary_files(folder: Path) -> tuple[Path, Path]:
    """A local file with a secret, and a DTD that declares entities pointing at it."""
    secret = folder / "secret.txt"
    secret.write_text(CANARY, encoding="utf-8")
    dtd = folder / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}"><!ENTITY inline "{CANARY}">', encoding="utf-8")
    return secret, dtd


def _write_referencing_pages(folder: Path, base_url: str, secret: Path, dtd: Path) -> int:
    """Pages that reference remote resources and local files every way HTML/XML allows; returns their count."""
    folder.mkdir(parents=True, exist_ok=True)
    paras = mh.paragraphs("safety-dtd")
    pages = {
        "refs.html": mh.external_refs_page("safety-refs", base_url),
        "xxe-http.xhtml": mh.xxe_page("safety-xxe-http", f"{base_url}/evil.dtd"),
        "xxe-file.html": mh.xxe_page("safety-xxe-file", secret.as_uri()),
        "external-dtd.xhtml": mh.page(
            "External DTD",
            [*paras, "Leaked: &leak; &inline;"],
            doctype=f'<?xml version="1.0"?>\n<!DOCTYPE html SYSTEM "{dtd.as_uri()}">',
        ),
        "xinclude.xhtml": mh.page(
            "XInclude",
            [
                *mh.paragraphs("safety-xinclude"),
                f'<xi:include xmlns:xi="{XINCLUDE}" href="{secret.as_uri()}" parse="text"/>',
            ],
        ),
    }
    for name, html in pages.items():
        (folder / name).write_text(html, encoding="utf-8")
    records = [
        {"url": f"{base_url}/story/{i}", "html": mh.external_refs_page(f"safety-jsonl-{i}", base_url)} for i in range(2)
    ]
    (folder / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _write_warc(folder / "pages.warc.gz", base_url)
    return len(pages) + len(records) + 1


def _write_warc(path: Path, base_url: str) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        body = io.BytesIO(mh.external_refs_page("safety-warc", base_url).encode())
        writer.write_record(
            writer.create_warc_record(f"{base_url}/warc", "response", payload=body, http_headers=headers)
        )


def _all_output_text(out: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(out.glob("*.jsonl")))


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_network_and_no_external_loads(tmp_path: Path, listener: Listener, no_network: Path, jobs: int) -> None:
    secret, dtd = _canary_files(tmp_path)
    count = _write_referencing_pages(tmp_path / "in", f"http://127.0.0.1:{listener.port}", secret, dtd)
    out = tmp_path / "out"
    report = run([tmp_path / "in"], out, Config(run=RunConfig(jobs=jobs)))
    assert report.documents == count
    assert not no_network.exists(), no_network.read_text(encoding="utf-8")
    assert listener.accepted == 0, "something fetched a URL named in a page"
    assert report.kept + report.duplicates >= count - 1  # the pages are articles: the safety must not cost them
    assert CANARY not in _all_output_text(out), "an entity or include resolved a local file"


def test_the_blocker_sees_python_connections(listener: Listener, no_network: Path) -> None:
    """The test above proves something only if the blocker really fires."""
    with pytest.raises(OSError, match="network access"):
        socket.create_connection(("127.0.0.1", listener.port))
    assert "create_connection" in no_network.read_text(encoding="utf-8")


def _files_outside(root: Path, inside: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file() and inside not in path.parents}


def test_outputs_stay_in_the_output_folder(tmp_path: Path) -> None:
    """Sources, URLs and ids that look like paths never become output paths."""
    inputs = tmp_path / "work" / "in"
    inputs.mkdir(parents=True)
    escape = "../../../escaped"
    (inputs / "..%2f..%2fname.html").write_text(mh.article_page("confined-1"), encoding="utf-8")
    records = [
        {"url": f"file:///{escape}", "html": mh.article_page("confined-2")},
        {"url": "/etc/passwd", "html": mh.article_page("confined-3")},
    ]
    (inputs / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    texts = [{"id": escape, "text": " ".join(mh.paragraphs("confined-4"))}, {"id": "/tmp/abs", "text": "x " * 80}]
    (inputs / "texts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in texts), encoding="utf-8")
    before = _files_outside(tmp_path, tmp_path / "work" / "out")
    run([inputs / "..%2f..%2fname.html", inputs / "pages.jsonl"], tmp_path / "work" / "out" / "run")
    dedup([inputs / "texts.jsonl"], tmp_path / "work" / "out" / "dedup")
    assert _files_outside(tmp_path, tmp_path / "work" / "out") == before
    for name in ("run", "dedup"):
        folder = tmp_path / "work" / "out" / name
        made = sorted(path.name for path in folder.iterdir())
        assert made and all(path.endswith((".jsonl", ".html", ".json")) and "/" not in path for path in made), made
        assert {"articles.jsonl", "clusters.jsonl", "manifest.jsonl"} <= set(made)
