"""The remote inbox (``pipelines/inbox.py``) against real servers: OpenSSH's sshd on loopback (its own host key,
a user key, a dedicated system user when run as root), moto's S3 in server mode with IAM signatures checked, and
``file://`` URLs. Nothing of fsspec or paramiko is mocked; the network failure is a TCP relay that resets the
connection mid-transfer (``sftp_server.CuttingProxy``).

Every expectation is built by hand: file bytes are literals (or seeded random bytes), hashes are hashlib over
those bytes, archive names are ``<stem>.<batch id><suffix>`` written out."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import socket
import sys
import uuid
from pathlib import Path

import botocore.exceptions
import paramiko
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the server helpers beside this file

from s3_server import set_aws  # noqa: E402
from sftp_server import CuttingProxy, give, keygen, running_sshd  # noqa: E402
from pipelines.inbox import (  # noqa: E402
    STAGING_MARKER, InboxError, StagedInbox, archive, is_remote, is_transient, masked, stage,
)

BATCH = "acme-3f2a-1"
NOOP = lambda seconds: None  # noqa: E731  a sleep that does not: the tests decide what happens between looks

# The small inbox of test (1): two plans, several kinds, strays, and what must be ignored.
INBOX = {
    "acme/census/2025-01-01.csv": b"employee_id,date_of_birth\nE1,1980-06-15\n",
    "acme/payroll/2025-01-10.csv": b"employee_id,pay_date,gross_pay\nE1,2025-01-10,1000.00\n",
    "acme/payroll/2025-01-24.csv": b"employee_id,pay_date,gross_pay\nE1,2025-01-24,1000.00\n",
    "acme/notes.txt": b"not a kind folder: copied, discovery reports it\n",
    "initech/balances/2024-12-31.csv": b"employee_id,source,balance\nI1,pretax,500.00\n",
    "initech/distributions/2025-01-15.csv": b"employee_id,amount\nI1,100.00\n",
    "README.txt": b"a stray in the root: copied, discovery reports it\n",
}
IGNORED = {
    "acme/payroll/processed/2025-01-03.acme-0000-1.csv": b"archived last week\n",  # archive folder
    "initech/rejected/2024-11-30.initech-0000-1.csv": b"rejected last month\n",   # archive folder
    "acme/payroll/.2025-01-31.csv.part": b"an upload in progress\n",              # hidden file
    "initech/.tmp/balances.csv": b"inside a hidden folder\n",                     # hidden folder
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- backends: one small interface over the three kinds of inbox ------------------------------------------


class FileBackend:
    """``file://`` URLs: a folder of this machine."""

    key_file = None

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True)
        self.url = root.as_uri()

    def local(self, rel: str) -> Path:
        return self.root.joinpath(*rel.split("/"))

    def put(self, rel: str, data: bytes) -> None:
        self.local(rel).parent.mkdir(parents=True, exist_ok=True)
        self.local(rel).write_bytes(data)

    def append(self, rel: str, data: bytes) -> None:
        with open(self.local(rel), "ab") as f:
            f.write(data)

    def read(self, rel: str) -> bytes:
        return self.local(rel).read_bytes()

    def exists(self, rel: str) -> bool:
        return self.local(rel).exists()

    def remote_path(self, rel: str) -> str:
        return f"{self.root.as_posix()}/{rel}"

    def mtime(self, rel: str) -> float:
        return os.stat(self.local(rel)).st_mtime


class SftpBackend(FileBackend):
    """The same folder, read through sshd as the test user (files written here as root, then handed over)."""

    def __init__(self, server, root: Path):
        super().__init__(root)
        give(root, server.account)
        self.server, self.url, self.key_file = server, server.url(root), server.key_file

    def put(self, rel: str, data: bytes) -> None:
        super().put(rel, data)
        give(self.root, self.server.account)

    def mtime(self, rel: str) -> float:
        return float(int(super().mtime(rel)))  # SFTP v3 carries whole seconds


class S3Backend:
    """A prefix of moto's bucket, written with boto3 (an S3 object is replaced whole: "append" rewrites it)."""

    key_file = None

    def __init__(self, server, prefix: str):
        from s3_server import BUCKET

        self.bucket, self.prefix, self.s3 = BUCKET, prefix, server.client()
        self.url = f"s3://{BUCKET}/{prefix}"

    def put(self, rel: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=f"{self.prefix}/{rel}", Body=data)

    def append(self, rel: str, data: bytes) -> None:
        self.put(rel, self.read(rel) + data)

    def read(self, rel: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{rel}")["Body"].read()

    def exists(self, rel: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=f"{self.prefix}/{rel}")
        except botocore.exceptions.ClientError:
            return False
        return True

    def remote_path(self, rel: str) -> str:
        return f"{self.bucket}/{self.prefix}/{rel}"

    def mtime(self, rel: str) -> float:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}/{rel}")["Contents"][0]
        return listed["LastModified"].timestamp()


# --- servers (session) and per-test settings --------------------------------------------------------------


@pytest.fixture(scope="session")
def sshd():
    yield from running_sshd()


@pytest.fixture(scope="session")
def moto_s3():
    from s3_server import start_moto

    server = start_moto()
    yield server
    server.stop()


@pytest.fixture
def sftp_env(sshd, tmp_path, monkeypatch):
    """Known hosts: the server's key in a file of the test's own; HOME elsewhere so ~/.ssh plays no part."""
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PLANADMIN_SFTP_KNOWN_HOSTS", str(known))
    monkeypatch.delenv("PLANADMIN_SFTP_PASSWORD", raising=False)
    return known


@pytest.fixture(params=["file", "sftp", "s3"])
def backend(request, tmp_path, monkeypatch):
    name = f"inbox-{uuid.uuid4().hex[:8]}"
    if request.param == "file":
        return FileBackend(tmp_path / name)
    if request.param == "sftp":
        server = request.getfixturevalue("sshd")
        request.getfixturevalue("sftp_env")
        backend = SftpBackend(server, server.home / name)
        request.addfinalizer(lambda: shutil.rmtree(backend.root, ignore_errors=True))
        return backend
    server = request.getfixturevalue("moto_s3")
    set_aws(monkeypatch, server)
    return S3Backend(server, name)


def stage_now(backend, staging: Path, **kw) -> StagedInbox:
    """Stage with the fast path unless told otherwise."""
    kw = {"quiet_seconds": 0, "look_interval_seconds": 0, "sleep": NOOP, **kw}
    return stage(backend.url, staging, key_file=backend.key_file, **kw)


# --- (1) what is staged -----------------------------------------------------------------------------------


def test_stage_copies_every_plan_file_and_strays_but_not_archives_or_hidden(backend, tmp_path):
    for rel, data in {**INBOX, **IGNORED}.items():
        backend.put(rel, data)
    staging = tmp_path / "staging"
    stage_now(backend, staging)
    (staging / "acme" / "payroll" / "last-night.csv").write_bytes(b"an earlier night's copy\n")

    staged = stage_now(backend, staging)

    # sorted by relative path: "README.txt" sorts first (upper case before lower case)
    assert [f.relative_path for f in staged.files] == sorted(INBOX)
    for f in staged.files:
        data = INBOX[f.relative_path]
        assert f.local_path == staging.joinpath(*f.relative_path.split("/"))
        assert f.local_path.read_bytes() == data
        assert (f.sha256, f.size) == (sha(data), len(data))
        assert f.remote_path == backend.remote_path(f.relative_path)
    assert staged.left_for_next_run == () and staged.local_root == staging and staged.url == backend.url
    copied = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    assert copied == sorted([*INBOX, STAGING_MARKER])  # the earlier night's copy is gone, no archive copied


def test_staging_refuses_to_empty_a_folder_it_did_not_make(tmp_path):
    inbox = FileBackend(tmp_path / "inbox")
    inbox.put("acme/payroll/2025-01-10.csv", b"x\n")
    precious = tmp_path / "somebody" / "thesis.tex"
    precious.parent.mkdir()
    precious.write_text("years of work")
    with pytest.raises(InboxError, match="not made by planadmin: refusing to empty it"):
        stage_now(inbox, precious.parent)
    assert precious.read_text() == "years of work"


# --- (2) growing files and the quiet period --------------------------------------------------------------


def test_a_file_growing_between_looks_waits_for_the_next_run(backend, tmp_path):
    rel = "acme/payroll/2025-01-10.csv"
    backend.put(rel, b"x" * 100)
    slept = []

    def sleep_while_the_sender_writes(seconds: float) -> None:
        slept.append(seconds)
        backend.append(rel, b"y" * 150)  # 100 + 150 = 250 bytes at the second look

    growing = stage_now(backend, tmp_path / "staging", look_interval_seconds=2, sleep=sleep_while_the_sender_writes)

    assert slept == [2]
    assert growing.files == ()
    assert growing.left_for_next_run == (
        (rel, "still being written: size changed from 100 to 250 bytes between two looks 2 s apart"),)
    assert not (tmp_path / "staging" / "acme").exists()

    quiet = stage_now(backend, tmp_path / "staging", look_interval_seconds=2)  # nothing written meanwhile
    assert [(f.relative_path, f.size, f.sha256) for f in quiet.files] == [(rel, 250, sha(b"x" * 100 + b"y" * 150))]
    assert quiet.left_for_next_run == ()


def test_a_file_younger_than_the_quiet_period_waits(backend, tmp_path):
    rel = "acme/payroll/2025-01-10.csv"
    backend.put(rel, b"employee_id\nE1\n")
    written = backend.mtime(rel)  # the modification time the listing reports

    young = stage_now(backend, tmp_path / "staging", quiet_seconds=120, now=lambda: written + 3)
    assert young.files == ()
    assert young.left_for_next_run == ((rel, "modified 3 s ago, younger than the 120 s quiet period"),)

    # 121 s later: past the 120 s quiet period (a whole second past, so float rounding cannot matter)
    settled = stage_now(backend, tmp_path / "staging", quiet_seconds=120, now=lambda: written + 121)
    assert [f.relative_path for f in settled.files] == [rel] and settled.left_for_next_run == ()


# --- (3) a connection lost mid-transfer --------------------------------------------------------------------

BIG = random.Random(20250110).randbytes(4_000_000)  # 4 MB: the relay cuts after 1 MB, well inside this file


def test_sftp_connection_reset_mid_transfer_is_transient_and_a_retry_succeeds(sshd, sftp_env, tmp_path):
    inbox = SftpBackend(sshd, sshd.home / f"inbox-{uuid.uuid4().hex[:8]}")
    try:
        inbox.put("acme/payroll/2025-01-10.csv", BIG)
        relay = CuttingProxy(sshd.port, cut_after=1_000_000)  # the handshake and listings are a few kB
        sftp_env.write_text(sshd.known_hosts_line() + sshd.known_hosts_line(relay.port))
        inbox.url = sshd.url(inbox.root, port=relay.port)

        with pytest.raises(Exception) as lost:
            stage_now(inbox, tmp_path / "staging")
        assert relay.cuts >= 1
        assert not isinstance(lost.value, InboxError) and is_transient(lost.value)

        relay.armed = False  # the network is back: the task's retry
        retried = stage_now(inbox, tmp_path / "staging")
        assert [(f.size, f.sha256) for f in retried.files] == [(4_000_000, sha(BIG))]
        assert retried.files[0].local_path.read_bytes() == BIG
        relay.close()
    finally:
        shutil.rmtree(inbox.root, ignore_errors=True)


def test_s3_connection_reset_mid_transfer_is_transient_and_a_retry_succeeds(moto_s3, tmp_path, monkeypatch):
    inbox = S3Backend(moto_s3, f"inbox-{uuid.uuid4().hex[:8]}")
    set_aws(monkeypatch, moto_s3)
    inbox.put("acme/payroll/2025-01-10.csv", BIG)
    relay = CuttingProxy(int(moto_s3.endpoint.rsplit(":", 1)[1]), cut_after=1_000_000)
    set_aws(monkeypatch, moto_s3, endpoint=f"http://127.0.0.1:{relay.port}")

    with pytest.raises(Exception) as lost:
        stage_now(inbox, tmp_path / "staging")
    assert relay.cuts >= 1  # s3fs retried the read a few times itself, each cut again
    assert not isinstance(lost.value, InboxError) and is_transient(lost.value)

    relay.armed = False
    retried = stage_now(inbox, tmp_path / "staging")
    assert [(f.size, f.sha256) for f in retried.files] == [(4_000_000, sha(BIG))]
    relay.close()


@pytest.mark.parametrize(("exc", "transient"), [
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), True),
    (TimeoutError("timed out"), True),
    (socket.timeout("timed out"), True),
    (EOFError(), True),
    (paramiko.SSHException("Server connection dropped: "), True),
    (OSError(errno.EBUSY, "SlowDown"), True),  # s3fs's translation of a 503 SlowDown
    (botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), True),
    (botocore.exceptions.ClientError({"Error": {"Code": "SlowDown"},
                                      "ResponseMetadata": {"HTTPStatusCode": 503}}, "GetObject"), True),
    (botocore.exceptions.ClientError({"Error": {"Code": "InternalError"},
                                      "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetObject"), True),
    (botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"},
                                      "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject"), False),
    (paramiko.AuthenticationException("Authentication failed."), False),
    (paramiko.SSHException("Incompatible ssh peer (no acceptable kex algorithm)"), False),
    (FileNotFoundError(errno.ENOENT, "No such file"), False),
    (PermissionError(errno.EACCES, "Permission denied"), False),
    (InboxError("inbox s3://b/p: authentication failed"), False),
    (ValueError("a bug"), False),
])
def test_is_transient_classifies(exc, transient):
    assert is_transient(exc) is transient


def test_is_transient_sees_through_a_wrapper():
    try:
        try:
            raise ConnectionResetError(errno.ECONNRESET, "reset")
        except ConnectionResetError as inner:
            raise RuntimeError("read failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


# --- (4) credentials and host keys ------------------------------------------------------------------------


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    text = f"{exc} {exc!r}"
    for secret in secrets:
        for line in secret.splitlines():
            if len(line) >= 8:  # key files: each line of the body; passwords: themselves
                assert line not in text


def test_sftp_wrong_key_fails_authentication_without_showing_the_key(sshd, sftp_env, tmp_path):
    url = sshd.url(sshd.home / "nowhere")
    with pytest.raises(InboxError) as failed:
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0, key_file=sshd.wrong_key_file)
    assert str(failed.value).startswith(f"inbox {url}: authentication failed")
    assert_no_secret(failed.value, sshd.wrong_key_file.read_text(), sshd.key_file.read_text())


def test_sftp_password_from_the_environment_is_never_shown(sshd, sftp_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PLANADMIN_SFTP_PASSWORD", "hunter2-not-on-this-server")  # sshd takes keys only
    url = sshd.url(sshd.home / "nowhere")
    with pytest.raises(InboxError, match="authentication failed") as failed:
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0)
    assert f"inbox {url}" in str(failed.value)
    assert_no_secret(failed.value, "hunter2-not-on-this-server")


def test_a_password_in_the_url_is_refused_unseen(tmp_path):
    url = "sftp://planadmin:s3cret-pw@127.0.0.1:1/inbox"  # port 1: nothing is even tried
    with pytest.raises(InboxError, match="a password in the URL is refused") as refused:
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0)
    assert "inbox sftp://planadmin:***@127.0.0.1:1/inbox" in str(refused.value)
    assert_no_secret(refused.value, "s3cret-pw")


def test_sftp_unknown_or_changed_host_key_is_refused(sshd, sftp_env, tmp_path):
    url = sshd.url(sshd.home / "nowhere")
    sftp_env.write_text("")  # knows nobody
    with pytest.raises(InboxError, match=r"unknown host key for \[127.0.0.1\]:\d+ \(ssh-ed25519 SHA256:"):
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0, key_file=sshd.key_file)

    impostor = keygen(tmp_path / "impostor_host")  # the same host, listed with another key
    impostor_key = " ".join(impostor.with_suffix(".pub").read_text().split()[:2])
    sftp_env.write_text(f"[127.0.0.1]:{sshd.port} {impostor_key}\n")
    with pytest.raises(InboxError, match="differs from the one in"):
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0, key_file=sshd.key_file)


def test_s3_wrong_secret_fails_authentication_without_showing_it(moto_s3, tmp_path, monkeypatch):
    wrong = "wJalrXUtnFEMI-not-the-secret-EXAMPLEKEY"
    set_aws(monkeypatch, moto_s3, secret=wrong)
    url = "s3://planadmin-drops/inbox"
    with pytest.raises(InboxError) as failed:
        stage(url, tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0)
    assert str(failed.value).startswith(f"inbox {url}: authentication failed")
    assert_no_secret(failed.value, wrong, moto_s3.secret_access_key)


# --- (5) archive ------------------------------------------------------------------------------------------


def test_archive_moves_processed_and_rejected_files_with_the_batch_id(backend, tmp_path):
    payroll, census, late = "acme/payroll/2025-01-10.csv", "acme/census/2025-01-01.csv", "acme/payroll/2025-01-24.csv"
    for rel in (payroll, census, late):
        backend.put(rel, INBOX[rel])
    staged = {f.relative_path: f for f in stage_now(backend, tmp_path / "staging").files}

    moved = archive(backend.url, staged[payroll], "processed", BATCH, key_file=backend.key_file)
    assert moved == backend.remote_path(f"acme/payroll/processed/2025-01-10.{BATCH}.csv")
    rejected = archive(backend.url, staged[census], "rejected", BATCH, key_file=backend.key_file)
    assert rejected == backend.remote_path(f"acme/census/rejected/2025-01-01.{BATCH}.csv")
    assert backend.read(f"acme/payroll/processed/2025-01-10.{BATCH}.csv") == INBOX[payroll]
    assert backend.read(f"acme/census/rejected/2025-01-01.{BATCH}.csv") == INBOX[census]
    assert not backend.exists(payroll) and not backend.exists(census)

    # idempotent: a retried task finds the file already archived and says where
    assert archive(backend.url, staged[payroll], "processed", BATCH, key_file=backend.key_file) == moved

    # a file replaced after staging is not archived: its new content waits for the next run
    backend.put(late, b"employee_id,pay_date,gross_pay\nE1,2025-01-24,1234.00\n")
    with pytest.raises(InboxError, match="changed since it was staged; left in place"):
        archive(backend.url, staged[late], "processed", BATCH, key_file=backend.key_file)

    again = stage_now(backend, tmp_path / "staging")
    assert [f.relative_path for f in again.files] == [late]  # the archived two are out of sight


# --- URLs -------------------------------------------------------------------------------------------------


def test_urls_local_paths_and_unsupported_schemes(tmp_path):
    assert is_remote(tmp_path.as_uri()) and not is_remote(str(tmp_path))
    assert masked("sftp://u:pw@h:2222/p?key=abc") == "sftp://u:***@h:2222/p?key=***"
    with pytest.raises(InboxError, match="unsupported scheme 'ftp'"):
        stage("ftp://h/inbox", tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0)
    with pytest.raises(InboxError, match="not found"):
        stage((tmp_path / "missing").as_uri(), tmp_path / "staging", quiet_seconds=0, look_interval_seconds=0)
