"""The remote inbox: an ``--inbox`` given as an fsspec URL (``sftp://``, ``s3://``, ``file://``) is copied into a
local staging folder, which the existing local discovery then reads as a plain inbox.

Contract (the nightly flow wraps :func:`stage` and :func:`archive` in Prefect tasks with retries):

- :func:`stage` lists every file under the inbox root, recursively, except anything inside a folder named
  ``processed`` or ``rejected`` (the archive folders) and hidden names (``.x``, file or folder, at any depth).
  It does not filter by kind or suffix: discovery on the staging folder decides what is recognised and reports
  the rest. The staging folder is emptied first (it must be empty, missing, or one made by this module: it
  carries a hidden marker file ``.planadmin-staging``; anything else is refused rather than wiped).
- A file still being written is left for the next run, with its reason: two looks ``look_interval_seconds``
  apart; a size, modification time or (S3) ETag that changed, a file that appeared between the looks, or a
  modification time less than ``quiet_seconds`` before ``now()`` leaves it. SFTP and local files give an
  mtime (SFTP to the second); S3 gives ``LastModified``, the time the object's upload *finished* (an S3 object
  is never visible half-written, so there the quiet period guards against a sender still replacing it). A
  filesystem with no time at all is judged by the two looks only. A server clock ahead of ours makes a file
  look younger (never older), so skew can only delay a file. ``quiet_seconds=0`` and
  ``look_interval_seconds=0`` skip the second look (a drop the admin trusts to be complete).
- Each accepted file is streamed to ``staging/<relative path>``, hashed on the way, then the local copy is hashed
  again: its sha256 is what :class:`StagedFile` records. A copy whose size differs from the listing's was still
  growing: it is removed and the file left for the next run.
- :func:`archive` moves a staged remote file to ``<its folder>/processed/`` or ``rejected/`` as
  ``<stem>.<batch_id><suffix>`` (S3: copy then delete). It first checks the remote file still has the staged
  sha256 (a file replaced during the run is left in place for the next). Idempotent: a file already gone whose
  archive copy exists returns that path; an archive copy equal to the staged bytes next to the original (an
  S3 move interrupted between copy and delete) completes the move.
- Errors: transient ones (connection reset or lost, timeouts, EOF mid-transfer, S3 5xx and throttling) are
  raised as they are, so :func:`is_transient` classifies them and the task retries; permanent ones (authentication,
  unknown host key, missing path, permission denied, bad URL) are raised as :class:`InboxError`, whose message
  names the inbox by :func:`masked` URL and never holds a secret.

Credentials never come from the command line:

- SFTP: user, host and port from the URL (``sftp://user@host:2222/abs/path``, port 22 by default; the path is
  absolute). A password in the URL is refused. Authentication by the ``key_file`` argument (the flow fills it
  from ``PLANADMIN_SFTP_KEY_FILE`` or the settings file) and/or the password in ``PLANADMIN_SFTP_PASSWORD``;
  no SSH agent and no ``~/.ssh/id_*`` guessing, so the run authenticates the way it was configured to.
- SFTP host keys: the server's key must be listed, for ``host`` (port 22) or ``[host]:port``, in
  ``~/.ssh/known_hosts`` or in the file named by ``PLANADMIN_SFTP_KNOWN_HOSTS`` (hashed entries work). An
  unknown key is refused, with its fingerprint, and so is a key that differs from the listed one. There is
  deliberately no "accept new" mode: a nightly job that trusts the first key it sees would trust an attacker
  as readily; add the key once, after checking its fingerprint (``ssh-keyscan -p PORT HOST``).
- S3: the standard AWS chain (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, profiles);
  ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for a non-AWS endpoint. ``AWS_MAX_ATTEMPTS`` bounds botocore's
  own retries.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import paramiko

SCHEMES = ("sftp", "s3", "file")
ARCHIVE_FOLDERS = frozenset({"processed", "rejected"})
STAGING_MARKER = ".planadmin-staging"
CHUNK_BYTES = 1 << 20
SFTP_TIMEOUT_SECONDS = 30.0  # connect, banner, auth and each read: a hung server becomes a (transient) timeout
SECRET_VARIABLES = ("PLANADMIN_SFTP_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class InboxError(Exception):
    """A permanent inbox failure (retrying will not help); the message names the masked inbox URL."""


@dataclass(frozen=True)
class StagedFile:
    relative_path: str
    remote_path: str
    local_path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class StagedInbox:
    url: str
    local_root: Path
    files: tuple[StagedFile, ...]
    left_for_next_run: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Seen:
    """One listing's view of a file: what two looks compare."""
    remote_path: str
    size: int
    mtime: float | None
    etag: str | None


# --- URLs -------------------------------------------------------------------------------------------------


def is_remote(inbox: str) -> bool:
    """True for a URL (``scheme://...``), which goes through staging; False for a plain local path, read in place.
    Any scheme counts, so an unsupported one (``ftp://``) gets :func:`stage`'s clear refusal rather than
    "no such folder".

    >>> is_remote("sftp://planadmin@sftp.example.com:2222/inbox")
    True
    >>> is_remote("s3://acme-drops/inbox"), is_remote("file:///srv/inbox")
    (True, True)
    >>> is_remote("/srv/inbox"), is_remote("inbox"), is_remote("C:\\\\inbox"), is_remote("")
    (False, False, False, False)
    """
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", inbox) is not None


def masked(url: str) -> str:
    """The URL safe for logs: a password becomes ``***`` and so does every query value (a query may carry
    tokens; which ones cannot be known here). User, host, port and path stay: they say which inbox.

    >>> masked("sftp://planadmin@sftp.example.com:22/inbox")
    'sftp://planadmin@sftp.example.com:22/inbox'
    >>> masked("sftp://planadmin:hunter2@sftp.example.com/inbox")
    'sftp://planadmin:***@sftp.example.com/inbox'
    >>> masked("s3://acme-drops/inbox?region=us-east-1&token=abc")
    's3://acme-drops/inbox?region=***&token=***'
    >>> masked("/srv/inbox")
    '/srv/inbox'
    """
    head, sep, rest = url.partition("://")
    if not sep:
        return url
    if has_password(url):
        # Up to the last "@" whatever it holds: an unencoded "/" in a password must not end the masking early.
        userinfo, _, rest = rest.rpartition("@")
        rest = f"{userinfo.split(':', 1)[0].split('/', 1)[0]}:***@{rest}"
    netloc, slash, path = rest.partition("/")
    path, q, query = path.partition("?")
    if q:
        query, hashmark, fragment = query.partition("#")
        query = "&".join(f"{p.split('=', 1)[0]}=***" if "=" in p else p for p in query.split("&"))
        path = f"{path}?{query}{hashmark}{fragment}"
    return f"{head}://{netloc}{slash}{path}"


def has_password(url: str) -> bool:
    """Whether a URL carries a password (``user:secret@``), even one with an unencoded ``/`` in it.

    >>> has_password("sftp://planadmin@host:22/inbox"), has_password("sftp://u:hunter2@host/inbox")
    (False, True)
    >>> has_password("sftp://u:Ab/cd@host/drop"), has_password("s3://bucket/a:b@c")
    (True, True)
    """
    _head, sep, rest = url.partition("://")
    userinfo, at, _ = rest.rpartition("@")
    return bool(sep and at and ":" in userinfo)


def _scrub(text: str) -> str:
    """Text from a library, minus any secret this process was given (belt and braces: none is expected)."""
    for name in SECRET_VARIABLES:
        secret = os.environ.get(name)
        if secret:
            text = text.replace(secret, "***")
    return text


# --- errors -----------------------------------------------------------------------------------------------

_TRANSIENT_NAMES = frozenset({
    # botocore / urllib3 / aiohttp, matched by name so that none of them has to be importable
    "EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError",
    "ResponseStreamingError", "IncompleteReadError", "IncompleteRead", "ProtocolError", "ClientPayloadError",
    "ServerDisconnectedError", "ClientConnectionError", "ClientOSError", "ServerTimeoutError",
    "FSTimeoutError", "ClientConnectorError",
})
_TRANSIENT_S3_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeoutException",
    "InternalError", "ServiceUnavailable", "RequestLimitExceeded", "TooManyRequestsException",
})
_AUTH_S3_CODES = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId",
    "AuthorizationHeaderMalformed",
})
_TRANSIENT_ERRNOS = frozenset({
    104, 103, 110, 32, 101, 113, 111,  # ECONNRESET ECONNABORTED ETIMEDOUT EPIPE ENETUNREACH EHOSTUNREACH ECONNREFUSED
    16, 121,  # EBUSY (s3fs: 503 SlowDown), EREMOTEIO (s3fs: 500 InternalError)
})
_TRANSIENT_SSH_TEXT = ("connection dropped", "error reading ssh protocol banner", "session not active",
                       "connection reset", "eof", "timeout", "timed out", "connection lost")


def is_transient(exc: BaseException) -> bool:
    """True when retrying may succeed: the network or the server hiccupped (reset, lost, refused while a server
    restarts, timeout, EOF mid-transfer, S3 5xx or throttling). False for what a retry cannot fix: wrong
    credentials, an unknown host key, a missing path, permission denied, and every :class:`InboxError`.
    Library wrappers are seen through (their ``__cause__``), so s3fs's ``OSError(EBUSY)`` for SlowDown counts."""
    for link in _chain(exc):
        verdict = _verdict(link)
        if verdict is not None:
            return verdict
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes, outermost first (bounded: a cycle cannot loop)."""
    for _ in range(8):
        yield exc
        nxt = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if nxt is None:
            return
        exc = nxt


def _verdict(exc: BaseException) -> bool | None:
    """True/False when this exception alone decides; None to look at its cause."""
    if isinstance(exc, (InboxError, paramiko.AuthenticationException, paramiko.BadHostKeyException,
                        FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                        socket.gaierror)):
        return False
    code = _s3_code(exc)
    if code is not None:
        return code in _TRANSIENT_S3_CODES or code.startswith("5") or _s3_status(exc) >= 500
    if isinstance(exc, (ConnectionError, TimeoutError, EOFError)):
        return True
    if any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__):
        return True
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return True  # refused on every address: the server is down or restarting
    if isinstance(exc, paramiko.SSHException):
        return any(t in str(exc).lower() for t in _TRANSIENT_SSH_TEXT) or None
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    return None


def _s3_code(exc: BaseException) -> str | None:
    """A botocore ClientError's error code, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return str(response["Error"].get("Code", ""))
    return None


def _s3_status(exc: BaseException) -> int:
    return int(getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _is_auth_failure(exc: BaseException) -> bool:
    return any(isinstance(e, paramiko.AuthenticationException) or _s3_code(e) in _AUTH_S3_CODES
               or type(e).__name__ in ("NoCredentialsError", "PartialCredentialsError") for e in _chain(exc))


def _permanent(url: str, doing: str, exc: BaseException) -> InboxError:
    """The InboxError for a failure a retry cannot fix, in words an admin can act on."""
    where = f"inbox {masked(url)}"
    if _is_auth_failure(exc):
        return InboxError(f"{where}: authentication failed ({_credential_hint(url)})")
    if isinstance(exc, socket.gaierror):
        return InboxError(f"{where}: host not found")
    if isinstance(exc, FileNotFoundError):
        return InboxError(f"{where}: {doing}: not found: {_scrub(str(exc.filename or exc))}")
    if isinstance(exc, PermissionError):
        return InboxError(f"{where}: {doing}: permission denied: {_scrub(str(exc.filename or exc))}")
    return InboxError(f"{where}: {doing} failed: {type(exc).__name__}: {_scrub(str(exc))}")


def _credential_hint(url: str) -> str:
    if url.lower().startswith("sftp"):
        return "check the key file and PLANADMIN_SFTP_PASSWORD, and the user in the URL"
    return "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the AWS profile)"


@contextmanager
def _guarded(url: str, doing: str) -> Iterator[None]:
    """Transient errors pass as they are (the task retries them); everything else becomes an InboxError."""
    try:
        yield
    except InboxError:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise _permanent(url, doing, exc) from (None if _is_auth_failure(exc) else exc)


# --- filesystems ------------------------------------------------------------------------------------------


def _connect(url: str, key_file: Path | None) -> tuple[Any, str]:
    """The fsspec filesystem for the URL (a fresh one: never a cached connection a restart has killed) and the
    inbox root as a path on it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InboxError(f"inbox {masked(url)}: unsupported scheme {scheme!r}: use sftp://, s3:// or file://")
    if parts.password is not None:
        raise InboxError(f"inbox {masked(url)}: a password in the URL is refused (it would reach logs and process "
                         "lists); set PLANADMIN_SFTP_PASSWORD or use a key file")
    if scheme == "file":
        return _file_fs(url, parts)
    if scheme == "s3":
        return _s3_fs(url, parts)
    return _sftp_fs(url, parts, key_file)


def _file_fs(url: str, parts: Any) -> tuple[Any, str]:
    from fsspec.implementations.local import LocalFileSystem

    if parts.netloc not in ("", "localhost"):
        raise InboxError(f"inbox {masked(url)}: a file:// URL names no host (file:///abs/path)")
    return LocalFileSystem(), unquote(parts.path).rstrip("/") or "/"


def _s3_fs(url: str, parts: Any) -> tuple[Any, str]:
    import s3fs  # heavy (aiobotocore): only when an S3 inbox is used

    if not parts.netloc:
        raise InboxError(f"inbox {masked(url)}: an s3:// URL names a bucket (s3://bucket/prefix)")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=endpoint)
    return fs, f"{parts.netloc}{unquote(parts.path)}".rstrip("/")


def _sftp_fs(url: str, parts: Any, key_file: Path | None) -> tuple[Any, str]:
    from fsspec.implementations.sftp import SFTPFileSystem

    try:
        port = parts.port or 22
    except ValueError:
        raise InboxError(f"inbox {masked(url)}: the port is not a number") from None
    if not parts.username or not parts.hostname:
        raise InboxError(f"inbox {masked(url)}: an sftp URL names its user and host (sftp://user@host:port/path)")
    password = os.environ.get("PLANADMIN_SFTP_PASSWORD") or None
    if key_file is None and password is None:
        raise InboxError(f"inbox {masked(url)}: no credentials: give a key file (PLANADMIN_SFTP_KEY_FILE) or set "
                         "PLANADMIN_SFTP_PASSWORD")
    if key_file is not None and not Path(key_file).is_file():
        raise InboxError(f"inbox {masked(url)}: key file {key_file} not found")
    fs = SFTPFileSystem(
        parts.hostname, port=port, username=unquote(parts.username), password=password,
        key_filename=str(key_file) if key_file is not None else None, look_for_keys=False, allow_agent=False,
        timeout=SFTP_TIMEOUT_SECONDS, banner_timeout=SFTP_TIMEOUT_SECONDS, auth_timeout=SFTP_TIMEOUT_SECONDS,
        host_key_policy=_KnownHostsOnly(url, _known_hosts_files(url)), skip_instance_cache=True,
    )
    fs.ftp.get_channel().settimeout(SFTP_TIMEOUT_SECONDS)
    return fs, unquote(parts.path).rstrip("/") or "/"


def _known_hosts_files(url: str) -> list[Path]:
    """``~/.ssh/known_hosts`` when it exists, and the file named by PLANADMIN_SFTP_KNOWN_HOSTS, which must."""
    files = [p for p in [Path("~/.ssh/known_hosts").expanduser()] if p.is_file()]
    named = os.environ.get("PLANADMIN_SFTP_KNOWN_HOSTS")
    if named:
        if not Path(named).is_file():
            raise InboxError(f"inbox {masked(url)}: PLANADMIN_SFTP_KNOWN_HOSTS names {named}, which is not a file")
        files.append(Path(named))
    return files


class _KnownHostsOnly(paramiko.MissingHostKeyPolicy):
    """Accept the server only when its key is listed for it: paramiko's client starts with no known keys, so
    every connection comes here and is checked against the loaded known_hosts files."""

    def __init__(self, url: str, files: list[Path]):
        self.url, self.files, self.keys = url, files, paramiko.HostKeys()
        for path in files:
            try:
                self.keys.load(str(path))
            except Exception as exc:  # paramiko's InvalidHostKey quotes the line: name the file only
                raise InboxError(f"inbox {masked(url)}: cannot read known_hosts file {path}: "
                                 f"{type(exc).__name__}") from None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if self.keys.check(hostname, key):
            return
        client.close()  # connect() would leave the refused transport's thread running
        seen = f"{key.get_name()} {key.fingerprint}"
        listed = " or ".join(str(p) for p in self.files) or "~/.ssh/known_hosts (missing)"
        if self.keys.lookup(hostname):
            raise InboxError(f"inbox {masked(self.url)}: the host key of {hostname} ({seen}) differs from the one in "
                             f"{listed}: refused (a changed server, or someone in between)")
        raise InboxError(f"inbox {masked(self.url)}: unknown host key for {hostname} ({seen}): refused; after "
                         f"checking that fingerprint, add the key to {listed} or to the file named by "
                         "PLANADMIN_SFTP_KNOWN_HOSTS")


def _close(fs: Any) -> None:
    """Close an SFTP connection now rather than at garbage collection (the server counts sessions)."""
    client = getattr(fs, "client", None)
    if isinstance(client, paramiko.SSHClient):
        client.close()


def _is_s3(fs: Any) -> bool:
    protocol = fs.protocol
    return "s3" in (protocol if isinstance(protocol, tuple) else (protocol,))


# --- looking ----------------------------------------------------------------------------------------------


def _look(fs: Any, root: str) -> dict[str, _Seen]:
    """Every file under the root, by relative path, pruning archive folders and hidden names (a listing per
    folder, so years of archived files are never listed)."""
    fs.invalidate_cache()  # s3fs caches listings; the second look must see the server again
    found: dict[str, _Seen] = {}
    folders = [root]
    while folders:
        folder = folders.pop()
        for info in _list(fs, folder, root):
            name = info["name"].rstrip("/")
            base = name.rsplit("/", 1)[-1]
            if name == folder or not base or base.startswith("."):
                continue
            if info["type"] == "directory" and base not in ARCHIVE_FOLDERS:
                folders.append(name)
            elif info["type"] == "file":
                found[_relative(root, name)] = _seen(name, info)
    return found


def _list(fs: Any, folder: str, root: str) -> list[dict]:
    """A folder's entries. An S3 prefix with no objects does not exist; for the root it is an empty inbox when
    the bucket exists."""
    try:
        return fs.ls(folder, detail=True)
    except FileNotFoundError:
        if folder == root and _is_s3(fs) and fs.exists(root.split("/", 1)[0]):
            return []
        raise


def _relative(root: str, name: str) -> str:
    prefix = root.rstrip("/") + "/"
    if not name.startswith(prefix):
        raise InboxError(f"listing returned {name}, outside the inbox root {root}")
    return name[len(prefix):]


def _seen(name: str, info: dict) -> _Seen:
    """Size, modification time (epoch seconds: local ``mtime`` float, SFTP ``mtime`` datetime, S3
    ``LastModified``) and ETag where the filesystem gives them."""
    stamp = info.get("mtime", info.get("LastModified"))
    mtime = stamp.timestamp() if hasattr(stamp, "timestamp") else (float(stamp) if stamp is not None else None)
    etag = info.get("ETag")
    return _Seen(name, int(info["size"]), mtime, str(etag) if etag else None)


def _settled(first: dict[str, _Seen], second: dict[str, _Seen], interval: float, quiet: float,
             at: float) -> tuple[dict[str, _Seen], list[tuple[str, str]]]:
    """The files of the second look that are complete, and the reason each other one is left."""
    ready: dict[str, _Seen] = {}
    left: list[tuple[str, str]] = []
    for rel, seen in second.items():
        reason = _unsettled(first.get(rel), seen, interval, quiet, at)
        if reason:
            left.append((rel, reason))
        else:
            ready[rel] = seen
    return ready, left


def _unsettled(before: _Seen | None, now: _Seen, interval: float, quiet: float, at: float) -> str | None:
    """Why a file may still be being written, or None."""
    looks = f"between two looks {_num(interval)} s apart"
    if before is None:
        return f"still being written: appeared {looks}"
    if before.size != now.size:
        return f"still being written: size changed from {before.size} to {now.size} bytes {looks}"
    if before.mtime != now.mtime:
        return f"still being written: modification time changed {looks}"
    if before.etag != now.etag:
        return f"still being written: content (ETag) changed {looks}"
    if quiet > 0 and now.mtime is not None and at - now.mtime < quiet:
        age = at - now.mtime
        when = f"{_num(age)} s ago" if age >= 0 else f"{_num(-age)} s in the future by this machine's clock"
        return f"modified {when}, younger than the {_num(quiet)} s quiet period"
    return None


def _num(seconds: float) -> str:
    """Seconds for a reason: ``2``, ``0.5``, ``86400`` (a tenth at most, never an exponent)."""
    return f"{seconds:.1f}".removesuffix(".0")


# --- staging ----------------------------------------------------------------------------------------------


def stage(url: str, staging_dir: Path, *, quiet_seconds: float, look_interval_seconds: float,
          key_file: Path | None = None, now: Callable[[], float] = time.time,
          sleep: Callable[[float], None] = time.sleep) -> StagedInbox:
    """Copy tonight's complete inbox files to ``staging_dir`` (emptied first) and say which were left and why."""
    with _guarded(url, "staging"):
        local_root = _fresh_staging(url, Path(staging_dir))
        fs, root = _connect(url, key_file)
        try:
            return _stage_from(fs, root, url, local_root, quiet_seconds, look_interval_seconds, now, sleep)
        finally:
            _close(fs)


def _stage_from(fs: Any, root: str, url: str, local_root: Path, quiet: float, interval: float,
                now: Callable[[], float], sleep: Callable[[float], None]) -> StagedInbox:
    first = _look(fs, root)
    if quiet == 0 and interval == 0:
        ready, left = first, []
    else:
        sleep(interval)
        ready, left = _settled(first, _look(fs, root), interval, quiet, now())
    files = []
    for rel in sorted(ready):
        staged = _copy(fs, rel, ready[rel], local_root)
        if staged is None:
            left.append((rel, f"still being written: not {ready[rel].size} bytes any more when copied"))
        else:
            files.append(staged)
    return StagedInbox(url, local_root, tuple(files), tuple(sorted(left)))


def _fresh_staging(url: str, staging_dir: Path) -> Path:
    """An empty staging folder with its marker. A non-empty folder without the marker is refused: a wrong
    setting must not wipe someone's folder."""
    if staging_dir.exists() and any(staging_dir.iterdir()) and not (staging_dir / STAGING_MARKER).is_file():
        raise InboxError(f"inbox {masked(url)}: staging folder {staging_dir} is not empty and was not made by "
                         "planadmin: refusing to empty it")
    staging_dir.mkdir(parents=True, exist_ok=True)
    for child in staging_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (staging_dir / STAGING_MARKER).write_text("planadmin staging folder: emptied at every run\n")
    return staging_dir


_print_thread_exception = threading.excepthook


def _quiet_prefetch_failure(args: threading.ExceptHookArgs) -> None:
    """paramiko's read-ahead thread dies with the connection it reads from (EOFError, a socket error). The copy's
    own read then fails with the same cause, which the staging task classifies and retries; the thread's dying
    traceback would only be noise in an operator's terminal. Every other thread's exception prints as usual."""
    dropped = isinstance(args.exc_value, EOFError | OSError | paramiko.SSHException)
    if dropped and args.thread is not None and "_prefetch_thread" in args.thread.name:
        return
    _print_thread_exception(args)


threading.excepthook = _quiet_prefetch_failure


def _copy(fs: Any, rel: str, seen: _Seen, local_root: Path) -> StagedFile | None:
    """Stream one file to its staging copy; None (copy removed) when its size is no longer the listed one."""
    target = local_root.joinpath(*rel.split("/"))
    if any(p in ("", ".", "..") for p in rel.split("/")):
        raise InboxError(f"unsafe remote name {rel!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with fs.open(seen.remote_path, "rb") as src, open(target, "wb") as dst:
        if hasattr(src, "prefetch"):
            src.prefetch(seen.size)  # paramiko: pipeline the reads instead of one round trip per 32 KiB
        while chunk := src.read(CHUNK_BYTES):
            dst.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    if size != seen.size:
        target.unlink()
        return None
    local = _sha256_file(target)
    if local != digest.hexdigest():
        raise InboxError(f"staging copy {target} differs from the bytes received (local disk?)")
    return StagedFile(rel, seen.remote_path, target, local, size)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_remote(fs: Any, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# --- archiving --------------------------------------------------------------------------------------------


def archive(url: str, staged: StagedFile, outcome: str, batch_id: str, *, key_file: Path | None = None) -> str:
    """Move a staged file out of tonight's way into ``processed/`` or ``rejected/`` beside it, named with the
    batch that read it; return its new remote path."""
    if outcome not in ("processed", "rejected"):
        raise ValueError(f"outcome must be 'processed' or 'rejected', not {outcome!r}")
    if not batch_id or "/" in batch_id or "\\" in batch_id or batch_id.startswith("."):
        raise ValueError(f"batch id {batch_id!r} cannot be part of a file name")
    source = PurePosixPath(staged.remote_path)
    target = str(source.parent / outcome / f"{source.stem}.{batch_id}{source.suffix}")
    with _guarded(url, f"archiving {staged.relative_path}"):
        fs, _root = _connect(url, key_file)
        try:
            return _move_once(fs, url, staged, target)
        finally:
            _close(fs)


def _move_once(fs: Any, url: str, staged: StagedFile, target: str) -> str:
    """The idempotent move: done already, finish an interrupted one, or move now (never a changed file)."""
    where = f"inbox {masked(url)}: {staged.relative_path}"
    if not _exists(fs, staged.remote_path):
        if _exists(fs, target):
            return target
        raise InboxError(f"{where}: gone from the inbox and not archived as {target}")
    if _sha256_remote(fs, staged.remote_path) != staged.sha256:
        raise InboxError(f"{where}: changed since it was staged; left in place for the next run")
    if _exists(fs, target):
        if _sha256_remote(fs, target) != staged.sha256:
            raise InboxError(f"{where}: {target} already exists with other content; not overwritten")
        fs.rm_file(staged.remote_path)  # an earlier move copied but did not delete
        return target
    _move(fs, staged.remote_path, target)
    return target


def _move(fs: Any, source: str, target: str) -> None:
    """S3 has no rename: copy (server side) then delete. Elsewhere a rename, atomic on one filesystem."""
    if _is_s3(fs):
        fs.copy(source, target)
        fs.rm_file(source)
        return
    fs.makedirs(str(PurePosixPath(target).parent), exist_ok=True)
    fs.mv(source, target)


def _exists(fs: Any, path: str) -> bool:
    """fsspec's ``exists`` answers False to *any* error, a dropped connection included; only "not found" is."""
    try:
        fs.info(path)
    except FileNotFoundError:
        return False
    return True
