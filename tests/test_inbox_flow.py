"""The whole ``planadmin run`` against remote inboxes on real servers (OpenSSH's sshd on loopback, moto's S3 server
with IAM signatures checked), as an operator runs it: ``--inbox`` a URL, ``--settings`` a ``planadmin.toml`` whose
``[inbox]`` table sets the quiet period, the looks and the staging folder, credentials from the environment only.

(1) SFTP with ``--archive``: two payroll files posted and one rejected whole, each moved to ``processed/`` or
``rejected/`` with its batch id, and a second run finds nothing. (2) A connection reset mid-transfer: the
``stage-inbox`` task's retry stages the file again and it posts once. (3) S3: a file younger than the quiet period
is left for the next run (summary and morning report), and posted by the next. (4) Wrong SSH key and wrong AWS
secret: one ``run failed:`` line, no traceback, no secret, nothing written.

The servers are this module's own (module scope): sshd by ``sftp_server.running_sshd``, moto by a variant of
``s3_server.start_moto`` that can run beside test_inbox_remote's in one session.
Every expected number is worked out by hand in a comment."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import boto3
import botocore.exceptions
import duckdb
import pytest
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))  # the server helpers beside this file

from sftp_server import CuttingProxy, free_port, give, running_sshd, wait_for_port  # noqa: E402
from s3_server import BUCKET, REGION, S3_ALL, S3Server, set_aws  # noqa: E402
from pipelines.cli import app  # noqa: E402
from tests.conftest import ACME_TOML, make_csv, row  # noqa: E402

AS_OF = "2025-02-01"
runner = CliRunner()


# --- servers (this module's) and per-test settings ---------------------------------------------------------


@pytest.fixture(scope="module")
def sshd():
    yield from running_sshd()


def start_moto() -> S3Server:
    """``s3_server.start_moto`` made safe beside another moto server of this process (test_inbox_remote's, in a
    whole-suite session): moto's accounts and its authentication switch are per process, not per server, so
    this one turns authentication off only while it sets up, creates an IAM user of its own name and takes the
    bucket as it finds it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_for_port(port)
    endpoint = f"http://127.0.0.1:{port}"
    saved = (moto_settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")  # off while setting up
    setup = dict(region_name=REGION, endpoint_url=endpoint, aws_access_key_id="setup", aws_secret_access_key="setup")
    iam = boto3.client("iam", **setup)
    user = f"planadmin-inbox-flow-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(S3_ALL))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    try:
        boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = 0, 0  # on
    return S3Server(server, endpoint, key["AccessKeyId"], key["SecretAccessKey"], saved)  # stop() restores


@pytest.fixture(scope="module")
def moto_s3():
    # moto's werkzeug logs each request at INFO, from its own threads, through Prefect's console handler: noise
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)
    server = start_moto()
    yield server
    server.stop()
    werkzeug.setLevel(level)


class _CurrentStderr:
    """A stream that is whatever ``sys.stderr`` is when written to."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def _prefect_logs_to_the_current_stderr(monkeypatch):
    """Prefect's console handler keeps the ``sys.stderr`` of the moment it was made, in a session the stream of
    an earlier CliRunner invocation, closed since: its lines would then come out as "--- Logging error ---" with a
    traceback of their own. Pointed at the current stderr, a run's output holds what a terminal would show."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(v for v in logging.root.manager.loggerDict.values()
                                      if isinstance(v, logging.Logger))]
    for handler in {h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}:
        monkeypatch.setattr(handler, "stream", _CurrentStderr())
        monkeypatch.setattr(handler.console, "file", handler.stream)


@pytest.fixture
def sftp_env(sshd, tmp_path, monkeypatch):
    """The key file and known hosts from the environment (the only way credentials reach a run); HOME elsewhere
    so ~/.ssh plays no part. Returns the known_hosts file (a test behind a relay adds the relay's port)."""
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PLANADMIN_SFTP_KNOWN_HOSTS", str(known))
    monkeypatch.setenv("PLANADMIN_SFTP_KEY_FILE", str(sshd.key_file))
    monkeypatch.delenv("PLANADMIN_SFTP_PASSWORD", raising=False)
    return known


@pytest.fixture
def sftp_inbox(sshd):
    """A fresh inbox folder in the test user's home (written here as root, handed to that user), removed after."""
    root = sshd.home / f"inbox-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def put_local(root: Path, files: dict[str, bytes], server) -> None:
    for rel, data in files.items():
        path = root.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    give(root, server.account)


def write_settings(tmp_path: Path, name: str = "planadmin.toml", *, quiet: int = 0, interval: int = 0) -> Path:
    """A settings file whose [inbox] table trusts tonight's drop (quiet 0, one look) unless told otherwise, with
    the staging folder in tmp_path."""
    path = tmp_path / name
    path.write_text(f'[inbox]\nquiet_seconds = {quiet}\nlook_interval_seconds = {interval}\n'
                    f'staging_dir = "{(tmp_path / "staging").as_posix()}"\n')
    return path


def plans_dir(tmp_path: Path) -> Path:
    plans = tmp_path / "PLANS"
    plans.mkdir(exist_ok=True)
    (plans / "acme.toml").write_text(ACME_TOML)
    return plans


def run(url: str, tmp_path: Path, settings: Path, *extra: str, report_dir: str = "reports"):
    return runner.invoke(app, ["run", "--inbox", url, "--plans", str(plans_dir(tmp_path)),
                               "--db", str(tmp_path / "p.duckdb"), "--as-of", AS_OF,
                               "--report-dir", str(tmp_path / report_dir), "--settings", str(settings), *extra])


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def csvs_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.csv"))


# --- (1) SFTP with --archive --------------------------------------------------------------------------------

NO_PAY_DATE = ("employee_id", "date_of_birth", "hire_date", "gross_pay", "pretax_deferral_pct")


@pytest.mark.usefixtures("prefect_harness")
def test_sftp_run_posts_archives_and_a_second_run_finds_nothing(sshd, sftp_env, sftp_inbox, tmp_path):
    put_local(sftp_inbox, {
        "acme/payroll/2025-01-10.csv": make_csv([row(pay_date="2025-01-10")]),
        # named between the two: a file rejected whole does not stop the plan's later files
        "acme/payroll/2025-01-17.csv": make_csv([row(pay_date="2025-01-17")], columns=NO_PAY_DATE),
        "acme/payroll/2025-01-24.csv": make_csv([row(pay_date="2025-01-24")]),
    }, sshd)
    url = sshd.url(sftp_inbox)
    settings = write_settings(tmp_path)
    db = tmp_path / "p.duckdb"

    first = run(url, tmp_path, settings, "--archive")

    assert first.exit_code == 1, first.output  # a file rejected whole fails the night (exit 1)
    assert "act on: acme/payroll/2025-01-17.csv: rejected whole:" in first.output
    assert "pay_date" in first.output
    # Per line: 5% pre-tax of $1,000.00 = $50.00; match on the 5% = 3% at 100% ($30.00) + the next 2% at 50%
    # ($10.00) = $40.00. Two lines (10 and 24 January): pretax $100.00, match $80.00.
    assert "Posted by source: match 80.00, pretax 100.00" in first.output
    assert query(db, "SELECT effective_date::VARCHAR, source, amount::VARCHAR FROM ledger ORDER BY 1, 2") == [
        ("2025-01-10", "match", "40.00"), ("2025-01-10", "pretax", "50.00"),
        ("2025-01-24", "match", "40.00"), ("2025-01-24", "pretax", "50.00")]
    batches = dict(query(db, "SELECT file_name, batch_id FROM batches"))
    assert query(db, "SELECT file_name, status FROM batches ORDER BY 1") == [
        ("acme/payroll/2025-01-10.csv", "posted"), ("acme/payroll/2025-01-17.csv", "rejected"),
        ("acme/payroll/2025-01-24.csv", "posted")]

    payroll = sftp_inbox / "acme" / "payroll"
    assert csvs_in(payroll) == []  # every CSV moved out of the inbox folder
    assert csvs_in(payroll / "processed") == sorted([
        f"2025-01-10.{batches['acme/payroll/2025-01-10.csv']}.csv",
        f"2025-01-24.{batches['acme/payroll/2025-01-24.csv']}.csv"])
    assert csvs_in(payroll / "rejected") == [f"2025-01-17.{batches['acme/payroll/2025-01-17.csv']}.csv"]
    assert (payroll / "processed" / f"2025-01-10.{batches['acme/payroll/2025-01-10.csv']}.csv").read_bytes() == \
        make_csv([row(pay_date="2025-01-10")])

    second = run(url, tmp_path, settings, "--archive", report_dir="reports-2")

    assert second.exit_code == 0, second.output
    assert "Files: 0 posted, 0 rejected whole, 0 skipped (already posted)" in second.output
    assert query(db, "SELECT count(*) FROM batches") == [(3,)]  # the first run's three, no more
    assert query(db, "SELECT count(*) FROM ledger") == [(4,)]
    assert query(db, "SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1") == [("completed", 2)]
    assert len(csvs_in(payroll / "processed")) == 2 and len(csvs_in(payroll / "rejected")) == 1


# --- (2) a connection lost mid-transfer --------------------------------------------------------------------


class CutsFirstConnectionOnly(CuttingProxy):
    """``CuttingProxy`` resets *every* connection while armed, so each of the task's retries would be cut too.
    This one disarms itself at its first cut: the network fails once, then is back for the retry."""

    def _pump(self, source, sink, downstream):
        super()._pump(source, sink, downstream)
        if self.cuts:
            self.armed = False


BIG_ROWS = 30_000  # E00001..E30000, one line each: "E00001,1980-06-15,2020-01-01,2025-01-10,1000.00,5,,,,\n"
CUT_AFTER = 1_000_000


@pytest.mark.usefixtures("prefect_harness")
def test_a_connection_reset_mid_transfer_is_retried_and_the_file_posts_once(sshd, sftp_env, sftp_inbox, tmp_path):
    data = make_csv([row(employee_id=f"E{i:05d}") for i in range(1, BIG_ROWS + 1)])
    # a line: 6 (id) + 3 × 10 (dates) + 7 (gross) + 1 (pct) + 9 commas + a newline = 54 bytes; 30,000 lines =
    # 1,620,000 bytes (+ the header): well past the cut at 1,000,000
    assert len(data) > 1_620_000
    put_local(sftp_inbox, {"acme/payroll/2025-01-10.csv": data}, sshd)
    relay = CutsFirstConnectionOnly(sshd.port, cut_after=CUT_AFTER)  # the handshake and listing are a few kB
    try:
        sftp_env.write_text(sshd.known_hosts_line() + sshd.known_hosts_line(relay.port))
        result = run(sshd.url(sftp_inbox, port=relay.port), tmp_path, write_settings(tmp_path))
    finally:
        relay.close()

    assert relay.cuts == 1  # the first staging attempt was cut; the task's retry was not
    assert result.exit_code == 0, result.output
    db = tmp_path / "p.duckdb"
    assert query(db, "SELECT count(*), sum(rows_read), sum(rows_posted) FROM batches") == [(1, BIG_ROWS, BIG_ROWS)]
    assert query(db, "SELECT count(*), count(DISTINCT employee_id) FROM payroll_lines") == [(BIG_ROWS, BIG_ROWS)]
    # $50.00 pre-tax and $40.00 match a line (as in test 1), 30,000 lines: $1,500,000.00 and $1,200,000.00
    assert "Posted by source: match 1,200,000.00, pretax 1,500,000.00" in result.output
    assert query(db, "SELECT status FROM runs") == [("completed",)]
    assert (sftp_inbox / "acme" / "payroll" / "2025-01-10.csv").exists()  # no --archive: left in place


# --- (3) S3: a file younger than the quiet period ----------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_s3_file_younger_than_the_quiet_period_waits_for_the_next_run(moto_s3, tmp_path, monkeypatch):
    set_aws(monkeypatch, moto_s3)
    prefix = f"inbox-{uuid.uuid4().hex[:8]}"
    rel = "acme/payroll/2025-01-10.csv"
    moto_s3.client().put_object(Bucket=BUCKET, Key=f"{prefix}/{rel}", Body=make_csv([row()]))
    url = f"s3://{BUCKET}/{prefix}"
    db = tmp_path / "p.duckdb"

    # just uploaded: seconds old, younger than an hour's quiet period (look_interval 0: one pause of 0 s)
    young = run(url, tmp_path, write_settings(tmp_path, "young.toml", quiet=3600), report_dir="reports-1")

    assert young.exit_code == 0, young.output
    assert re.search(rf"Left for the next run: {re.escape(rel)}: modified \d+(\.\d)? s ago, younger than the 3600 s "
                     "quiet period", young.output), young.output
    assert "Files: 0 posted, 0 rejected whole, 0 skipped" in young.output
    assert query(db, "SELECT count(*) FROM batches") == [(0,)]
    report = json.loads((tmp_path / "reports-1" / f"{AS_OF}.json").read_text())
    assert [e["path"] for e in report["left_for_next_run"]] == [rel]
    assert report["left_for_next_run"][0]["reason"].endswith("younger than the 3600 s quiet period")

    settled = run(url, tmp_path, write_settings(tmp_path, "settled.toml"), report_dir="reports-2")

    assert settled.exit_code == 0, settled.output
    assert "Left for the next run" not in settled.output
    # one line: $50.00 pre-tax, $40.00 match (as in test 1)
    assert "Posted by source: match 40.00, pretax 50.00" in settled.output
    assert query(db, "SELECT file_name, status, rows_posted FROM batches") == [(rel, "posted", 1)]
    assert json.loads((tmp_path / "reports-2" / f"{AS_OF}.json").read_text())["left_for_next_run"] == []


# --- (4) wrong credentials ---------------------------------------------------------------------------------

def assert_failed_in_one_line(result, url: str, db: Path, *secrets: str) -> None:
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("run failed:")]
    assert len(failed) == 1, result.output
    assert failed[0].startswith(f"run failed: inbox {url}: authentication failed"), result.output
    for secret in secrets:  # in the whole output, Prefect's and the servers' log lines included
        for line in secret.splitlines():
            if len(line) >= 8:  # each line of a key file's body; a secret itself
                assert line not in result.output
    assert not db.exists() or query(db, "SELECT count(*) FROM runs") == [(0,)]  # staging fails before the db


def run_with_wrong_sftp_key(sshd, sftp_inbox, tmp_path, monkeypatch):
    put_local(sftp_inbox, {"acme/payroll/2025-01-10.csv": make_csv([row()])}, sshd)
    monkeypatch.setenv("PLANADMIN_SFTP_KEY_FILE", str(sshd.wrong_key_file))
    url = sshd.url(sftp_inbox)
    return url, run(url, tmp_path, write_settings(tmp_path))


def run_with_wrong_aws_secret(moto_s3, tmp_path, monkeypatch, wrong: str):
    set_aws(monkeypatch, moto_s3, secret=wrong)
    url = f"s3://{BUCKET}/inbox-{uuid.uuid4().hex[:8]}"
    return url, run(url, tmp_path, write_settings(tmp_path))


WRONG_SECRET = "wJalrXUtnFEMI-not-the-secret-EXAMPLEKEY"


@pytest.mark.usefixtures("prefect_harness")
def test_sftp_wrong_key_fails_the_run_in_one_line(sshd, sftp_env, sftp_inbox, tmp_path, monkeypatch):
    url, result = run_with_wrong_sftp_key(sshd, sftp_inbox, tmp_path, monkeypatch)

    assert_failed_in_one_line(result, url, tmp_path / "p.duckdb", sshd.wrong_key_file.read_text(),
                              sshd.key_file.read_text())
    assert not (tmp_path / "p.duckdb").exists()
    assert (sftp_inbox / "acme" / "payroll" / "2025-01-10.csv").exists()  # nothing moved


@pytest.mark.usefixtures("prefect_harness")
def test_s3_wrong_secret_fails_the_run_in_one_line(moto_s3, tmp_path, monkeypatch):
    url, result = run_with_wrong_aws_secret(moto_s3, tmp_path, monkeypatch, WRONG_SECRET)

    assert_failed_in_one_line(result, url, tmp_path / "p.duckdb", WRONG_SECRET, moto_s3.secret_access_key)
    assert not (tmp_path / "p.duckdb").exists()


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("inbox", ["sftp", "s3"])
def test_a_refused_inbox_shows_no_traceback(inbox, request, tmp_path, monkeypatch):
    if inbox == "sftp":
        request.getfixturevalue("sftp_env")
        _url, result = run_with_wrong_sftp_key(request.getfixturevalue("sshd"), request.getfixturevalue("sftp_inbox"),
                                               tmp_path, monkeypatch)
    else:
        _url, result = run_with_wrong_aws_secret(request.getfixturevalue("moto_s3"), tmp_path, monkeypatch,
                                                 WRONG_SECRET)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
