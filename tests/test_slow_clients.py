"""Slow clients cannot stall the site: the real server, as production runs it, with slow sockets.

gunicorn with studygroup/gunicorn.conf.py (threaded workers), DEBUG=0, on a free local port,
against the test database (on SQLite, a file copy of the in-memory test database). With the old
two sync workers, two clients sending their headers a byte a second held both workers, and a
page took 31.8 s; here four of them and four slow readers are connected while ordinary requests
are made. The bound is a socket timeout of 5 s that only a stall reaches; nothing is timed finer.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import free_port, stop_server

ROOT = Path(__file__).resolve().parent.parent
OLD_WORKERS = 2
STALL_BOUND_S = 5


def get(port, path, timeout=STALL_BOUND_S):
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def database_url(tmp_path):
    """The test database, for another process: its committed rows are what the server sees."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        host = settings["HOST"] or "127.0.0.1"
        return f"postgres://{settings['USER']}{password}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
    # SQLite's test database lives in this process's memory: the server gets a copy on disk.
    copy = tmp_path / "test.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    # DEBUG=0 serves hashed static names from a manifest, which only collectstatic writes.
    folder = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "slow-clients-test", "STATIC_ROOT": str(folder)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    return folder


@pytest.fixture
def server(transactional_db, seeded, static_root, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "slow-clients-test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(tmp_path),
        "STATIC_ROOT": str(static_root),
        "SECURE_COOKIES": "0",
        # Plain HTTP on loopback: in production a TLS proxy sits in front (docs/operations.md).
        "SECURE_SSL_REDIRECT": "0",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "studygroup.wsgi",
            "--config", str(ROOT / "studygroup" / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log),
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{log.read_text()}")
            try:
                if get(port, "/", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within 30 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield port
    finally:
        stop_server(process)


class SlowClients:
    """Sockets that send a request's headers a byte a second, and sockets that read a page slowly."""

    def __init__(self, port, path):
        self.port, self.path = port, path
        self.stop = threading.Event()
        self.sockets, self.threads = [], []

    def _connect(self, receive_buffer=None):
        sock = socket.socket()
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect(("127.0.0.1", self.port))
        self.sockets.append(sock)
        return sock

    def send_headers_slowly(self):
        sock = self._connect()
        request = f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n".encode()
        for byte in request[:-1]:  # never quite done
            if self.stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return  # the server closed it: it may
            self.stop.wait(1)

    def read_slowly(self):
        sock = self._connect(receive_buffer=4096)
        sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while not self.stop.is_set():
            try:
                if not sock.recv(64):
                    return
            except OSError:
                return
            self.stop.wait(1)

    def start(self, senders, readers):
        for target in [self.send_headers_slowly] * senders + [self.read_slowly] * readers:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=2)
        for sock in self.sockets:
            sock.close()


def test_pages_answer_while_slow_clients_are_connected(server, seeded):
    slow = SlowClients(server, seeded.get_absolute_url())
    slow.start(senders=2 * OLD_WORKERS, readers=2 * OLD_WORKERS)
    try:
        time.sleep(1)  # every slow client connected, and a first byte sent
        for number in range(10):
            path = seeded.get_absolute_url() if number % 2 else "/"
            status, body = get(server, path)  # a stall raises TimeoutError after 5 s
            assert status == 200 and b"Language Models are Few-Shot Learners" in body
    finally:
        slow.close()


def test_a_body_too_large_is_refused_by_the_real_server_without_waiting_for_it(server):
    # Headers only: the body announced is never sent, so a server that read it would hang.
    with socket.create_connection(("127.0.0.1", server), timeout=STALL_BOUND_S) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 104857600\r\n\r\n"
        )
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
