"""A real OpenSSH server (Debian's `openssh-server`) on a loopback port, for banner-to-check tests.

The patch-level plugin judges exposed services by the version their banner shows; the only honest test is
a real sshd whose real banner goes through real nmap service detection.  This fixture starts
``/usr/sbin/sshd -D`` from a temporary directory: its own config, its own throwaway host key, listening
only on 127.0.0.1 and a free port.  Nothing touches /etc/ssh or the system's sshd; no account can log in
(no passwords, no keys, PAM off) -- it exists to show its banner.

When the suite runs as root, sshd would need the privilege-separation directory /run/sshd and chroot;
instead it is started as ``nobody`` through ``setpriv`` (unprivileged sshd runs without privsep chroot),
so the system is left exactly as it was.

Fixture API:
``openssh_server`` (module scope) -> :class:`OpenSshServer` with ``host`` ("127.0.0.1"), ``port``,
``banner`` (the identification string read from the socket, e.g. "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7")
and ``version`` (the package version from ``sshd -V``).  Skips when openssh-server is not installed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
LOOPBACK = "127.0.0.1"


@dataclass
class OpenSshServer:
    host: str
    port: int
    banner: str
    process: subprocess.Popen[bytes]
    workdir: Path


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _read_banner(host: str, port: int, deadline: float) -> str:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=2) as connection:
                data = connection.recv(256)
            if data.startswith(b"SSH-"):
                return data.split(b"\r\n", 1)[0].decode("ascii", "replace")
        except OSError as exc:
            last_error = exc
        time.sleep(0.1)
    raise RuntimeError(f"sshd on {host}:{port} did not answer with a banner ({last_error})")


def start_openssh(workdir: Path, host: str = LOOPBACK) -> OpenSshServer:
    """Start sshd on `host` (must be loopback) and a free port; the caller stops `process`."""
    if not host.startswith("127."):
        raise ValueError("the OpenSSH fixture only listens on 127.0.0.0/8")
    key = workdir / "ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "auditor-test", "-f", str(key)],
                   check=True, capture_output=True)
    port = _free_port(host)
    config = workdir / "sshd_config"
    config.write_text("\n".join([
        f"ListenAddress {host}",
        f"Port {port}",
        f"HostKey {key}",
        f"PidFile {workdir / 'sshd.pid'}",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication no",
        "AuthorizedKeysFile none",
        "PermitRootLogin no",
        "StrictModes no",
        "LogLevel ERROR",
        "",
    ]), encoding="utf-8")
    command = [SSHD, "-D", "-e", "-f", str(config), "-h", str(key), "-p", str(port), "-o", f"ListenAddress={host}"]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in (workdir, key, key.with_suffix(".pub"), config):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        banner = _read_banner(host, port, time.monotonic() + 15)
    except RuntimeError:
        process.kill()
        _out, err = process.communicate(timeout=5)
        raise RuntimeError(f"sshd failed to start: {err.decode(errors='replace')[-500:]}") from None
    return OpenSshServer(host=host, port=port, banner=banner, process=process, workdir=workdir)


@pytest.fixture(scope="module")
def openssh_server() -> Iterator[OpenSshServer]:
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-server is not installed (Debian package openssh-server)")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root needs setpriv to start sshd unprivileged")
    with tempfile.TemporaryDirectory(prefix="auditor-sshd-") as scratch:
        workdir = Path(scratch)
        os.chmod(workdir, 0o755)
        server = start_openssh(workdir)
        try:
            yield server
        finally:
            server.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.process.wait(timeout=5)
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait(timeout=5)
