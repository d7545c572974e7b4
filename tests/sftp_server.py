"""A real OpenSSH server on loopback for the remote-inbox tests: its own host key, a user key and a wrong one, a
dedicated system user (when root), ``internal-sftp``, no passwords, no PAM. Also a TCP proxy that cuts
connections mid-transfer, the network failure the retry tests need."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
TEST_USER = "planadmin-sftp-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def ensure_user() -> pwd.struct_passwd:
    """The dedicated test user (created once, kept: creating users is slow and needs root). Its password field
    is ``*`` (no password, not locked): with UsePAM no, sshd refuses key logins to a locked ``!`` account."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--create-home", "--shell", "/bin/sh", TEST_USER], check=True)
        subprocess.run(["usermod", "-p", "*", TEST_USER], check=True)
        return pwd.getpwnam(TEST_USER)


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path


def give(path: Path, user: pwd.struct_passwd | None) -> None:
    """Hand a tree to the test user (the tests write as root, the server acts as that user)."""
    if user is None:
        return
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, user.pw_uid, user.pw_gid)


@dataclass
class SftpServer:
    port: int
    user: str
    account: pwd.struct_passwd | None  # None: logged in as the current user (not root)
    home: Path          # a folder the login user can write, for inbox roots
    key_file: Path
    wrong_key_file: Path
    host_public_key: str  # "ssh-ed25519 AAAA..."
    workdir: Path
    proc: subprocess.Popen

    def url(self, path: Path, port: int | None = None) -> str:
        return f"sftp://{self.user}@127.0.0.1:{port or self.port}{path}"

    def known_hosts_line(self, port: int | None = None) -> str:
        return f"[127.0.0.1]:{port or self.port} {self.host_public_key}\n"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def start_sshd() -> SftpServer:
    """Keys, config and a foreground sshd (``-D -e``) on a free loopback port, ready when the port accepts."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege-separation folder
    root = os.geteuid() == 0
    account = ensure_user() if root else None
    user = account.pw_name if account else pwd.getpwuid(os.getuid()).pw_name
    workdir = Path(tempfile.mkdtemp(prefix="planadmin-sshd-"))
    workdir.chmod(0o755)  # the user reads authorized_keys through it
    host_key = keygen(workdir / "host_ed25519")
    key_file, wrong = keygen(workdir / "user_ed25519"), keygen(workdir / "wrong_ed25519")
    (workdir / "authorized_keys").write_text(key_file.with_suffix(".pub").read_text())
    (workdir / "authorized_keys").chmod(0o644)
    home = Path(account.pw_dir) if account else workdir
    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nAuthorizedKeysFile {workdir}/authorized_keys\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n"
        f"StrictModes no\nPidFile {workdir}/sshd.pid\nSubsystem sftp internal-sftp\nAllowUsers {user}\n"
        "MaxStartups 50\n"
    )
    log = open(workdir / "sshd.log", "wb")
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}: {(workdir / 'sshd.log').read_text()}") from None
    host_public = " ".join(host_key.with_suffix(".pub").read_text().split()[:2])
    return SftpServer(port, user, account, home, key_file, wrong, host_public, workdir, proc)


def remove(server: SftpServer) -> None:
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


class CuttingProxy:
    """A TCP relay from a loopback port to ``upstream_port``. While armed, it resets every connection once the
    server has sent ``cut_after`` bytes on it: the client sees its peer vanish mid-transfer, as on a real
    network failure (SO_LINGER 0 sends RST, not a polite FIN)."""

    def __init__(self, upstream_port: int, cut_after: int):
        self.upstream_port, self.cut_after, self.armed, self.cuts = upstream_port, cut_after, True, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if downstream and self.armed and sent + len(data) > self.cut_after:
                    self.cuts += 1
                    for s in (source, sink):
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        s.shutdown(socket.SHUT_RD)  # wakes the other direction's recv without sending FIN
                        s.close()
                    return
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def running_sshd():  # noqa: ANN201 - a generator for a fixture
    """sshd for a test fixture (``yield from running_sshd()``), removed afterwards. The SFTP inbox is tested against
    a real server or not at all: without sshd the tests fail, saying what to install (``.ci/run`` installs it)."""
    import pytest

    if not SSHD.exists():
        pytest.fail(f"{SSHD} is missing: the SFTP inbox tests need Debian's openssh-server "
                    "(apt-get install openssh-server; .ci/run installs it)")
    server = start_sshd()
    try:
        yield server
    finally:
        remove(server)

