"""Real TCP and UDP listeners on loopback addresses, for tests and benchmarks that run nmap.

nmap must scan something real: these listeners bind well-known ports (3389, 23, 21, 3306...) on distinct
loopback addresses (127.0.0.21, 127.0.0.22...) and answer like the service would, just enough for nmap's
version detection to name it (an FTP greeting, Telnet option negotiation, a MySQL handshake, an HTTP
response with a Server header...).  Silent services (RDP answers only its own probe) work too.

Safety: every address is checked to lie inside 127.0.0.0/8 before binding; nothing here ever sends a
packet anywhere else.  When a preferred address:port is taken (another test's server), the next free
loopback address is used, so tests must read `Listener.host` rather than assume the preferred one.

Usage from a test::

    def test_something(listener_pool):
        rdp = listener_pool.start(RDP, host="127.0.0.21")
        ...  # scan rdp.host:rdp.port

or from a script (the benchmark): ``with ListenerPool() as pool: pool.start(...)``.
Fixtures: `listener_pool` (per test) and `listener_pool_module` (shared by a test module, so one nmap
scan can serve many assertions).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import pytest

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@dataclass(frozen=True)
class ServiceSpec:
    """How one emulated service behaves: what it says first, and what it answers to which request."""

    name: str
    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    #: Sent as soon as a TCP client connects (FTP, SSH, Telnet, MySQL and VNC talk first).
    banner: bytes = b""
    #: (request prefix, reply): the first reply whose prefix starts the received data is sent; the
    #: empty prefix matches anything.  For UDP, the reply to every datagram.
    replies: tuple[tuple[bytes, bytes], ...] = ()
    #: Close the connection after the first reply (HTTP/1.0 style), so that a scanner need not wait.
    close_after_reply: bool = False


def _mysql_greeting(version: str) -> bytes:
    """A MySQL protocol v10 handshake packet, as a real server sends on connect."""
    body = (
        b"\x0a" + version.encode() + b"\x00"
        + struct.pack("<I", 42)            # connection id
        + b"abcdefgh\x00"                 # auth-plugin-data part 1 + filler
        + struct.pack("<H", 0xF7FF)        # capability flags (lower)
        + b"\x21"                          # character set utf8
        + struct.pack("<H", 0x0002)        # status flags
        + struct.pack("<H", 0x81FF)        # capability flags (upper)
        + b"\x15" + b"\x00" * 10           # auth data length + reserved
        + b"ijklmnopqrst\x00"             # auth-plugin-data part 2
        + b"mysql_native_password\x00"
    )
    return struct.pack("<I", len(body))[:3] + b"\x00" + body


def _http_reply(server: str, title: str, status: str = "HTTP/1.1 200 OK") -> bytes:
    body = f"<html><head><title>{title}</title></head><body>{title}</body></html>".encode()
    return (
        f"{status}\r\nServer: {server}\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


# A catalogue of services nmap recognises; tests combine them freely.
RDP = ServiceSpec(
    "rdp", 3389,
    # X.224 Connection Confirm with an RDP negotiation response, as Windows answers nmap's RDP probe.
    replies=((b"\x03\x00", b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00"),),
)
TELNET = ServiceSpec("telnet", 23, banner=b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27")
FTP = ServiceSpec("ftp", 21, banner=b"220 (vsFTPd 3.0.3)\r\n",
                  replies=((b"", b"530 Please login with USER and PASS.\r\n"),))
SSH = ServiceSpec("ssh", 22, banner=b"SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1\r\n")
MYSQL = ServiceSpec("mysql", 3306, banner=_mysql_greeting("5.7.42-log"))
VNC = ServiceSpec("vnc", 5900, banner=b"RFB 003.008\n")
_REDIS_INFO = b"# Server\r\nredis_version:6.0.16\r\nredis_mode:standalone\r\nos:Linux 5.10.0-26-amd64 x86_64\r\n"
# An unauthenticated Redis answering INFO (the dangerous, common case).
REDIS = ServiceSpec("redis", 6379, replies=((b"", b"$%d\r\n%s\r\n" % (len(_REDIS_INFO), _REDIS_INFO)),))
# SMB: answers an SMB1 dialect negotiation the way Windows Server 2008 R2-2012 does.
_SMB_NEGOTIATE = (
    b"\xffSMBr\x00\x00\x00\x00\x88\x01@" + b"\x00" * 14 + b"@\x06\x00\x00\x01\x00\x11\x07\x00\x03"
    + b"2\x00\x01\x00\x04A\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\xfc\xe3\x01\x00" + b"\x00" * 24
)
SMB = ServiceSpec("smb", 445, replies=((b"\x00\x00\x00", struct.pack(">I", len(_SMB_NEGOTIATE)) + _SMB_NEGOTIATE),
                                       (b"", b"")), close_after_reply=True)
# Webmin's MiniServ: an administration interface over plain HTTP.
HTTP_ADMIN = ServiceSpec(
    "http-admin", 10000,
    replies=((b"", _http_reply("MiniServ/2.021", "Login to Webmin", "HTTP/1.0 200 Document follows")),),
    close_after_reply=True,
)
HTTP_WEB = ServiceSpec(
    "http", 80, replies=((b"", _http_reply("nginx/1.18.0", "Intranet")),), close_after_reply=True,
)
SNMP = ServiceSpec(
    "snmp", 161, "udp",
    # An SNMPv3 report (unknown engine id), the usual answer to nmap's SNMPv3 discovery payload.
    replies=((b"", bytes.fromhex(
        "30 3a 02 01 03 30 0f 02 02 4a 69 02 03 00 ff e3 04 01 00 02 01 03 04 10 30 0e 04 00 02 01 00 02 01 "
        "00 04 00 04 00 04 00 30 12 04 00 04 00 a8 0c 02 02 37 f0 02 01 00 02 01 00 30 00".replace(" ", ""))),),
)


@dataclass
class Listener:
    """One bound socket serving one `ServiceSpec` from a daemon thread until `close()`."""

    host: str
    spec: ServiceSpec
    sock: socket.socket
    #: Connections accepted (TCP) or datagrams received (UDP): lets a test prove nothing was scanned.
    contacts: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.spec.port

    @property
    def protocol(self) -> str:
        return self.spec.protocol

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.protocol}"

    def serve(self) -> None:
        target = self._serve_tcp if self.spec.protocol == "tcp" else self._serve_udp
        thread = threading.Thread(target=target, name=f"listener-{self}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve_tcp(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.contacts += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                if self.spec.banner:
                    conn.sendall(self.spec.banner)
                if not self.spec.replies:
                    # Stay silent but keep the connection open until the client gives up.
                    while not self._stop.is_set() and conn.recv(4096):
                        pass
                    return
                data = conn.recv(4096)
                while data and not self._stop.is_set():
                    reply = next((r for prefix, r in self.spec.replies if data.startswith(prefix)), None)
                    if reply is not None:
                        conn.sendall(reply)
                        if self.spec.close_after_reply:
                            return
                    data = conn.recv(4096)
            except OSError:
                return

    def _serve_udp(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.contacts += 1
            if ipaddress.ip_address(peer[0]) not in LOOPBACK:  # never answer anything off loopback
                continue
            reply = next((r for prefix, r in self.spec.replies if data.startswith(prefix)), None)
            if reply is not None:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    continue

    def close(self) -> None:
        self._stop.set()
        try:
            self.sock.close()
        finally:
            for thread in self._threads:
                thread.join(timeout=1.0)


def _candidate_hosts(preferred: str) -> Iterator[str]:
    """The preferred loopback address, then the following ones in 127.0.0.0/8 (never leaving it)."""
    address = ipaddress.ip_address(preferred)
    if address not in LOOPBACK:
        raise ValueError(f"{preferred} is not a loopback address: listeners only bind inside 127.0.0.0/8")
    for offset in range(0, 2000):
        candidate = address + offset
        if candidate not in LOOPBACK or candidate == LOOPBACK.broadcast_address:
            break
        if int(candidate) & 0xFF in (0, 255):
            continue
        yield str(candidate)


class ListenerPool:
    """Starts listeners and closes them all at the end (context manager or fixture)."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []
        self._taken: set[str] = set()

    def start(self, spec: ServiceSpec, host: str = "127.0.0.21", *, exclusive_host: bool = True) -> Listener:
        """Bind `spec` on `host` (or the next free loopback address) and serve it.

        With `exclusive_host` (the default) an address already used by this pool is skipped, so that each
        listener gets its own host and tests can reason per host.
        """
        last_error: OSError | None = None
        for candidate in _candidate_hosts(host):
            if exclusive_host and candidate in self._taken and candidate != host:
                continue
            kind = socket.SOCK_STREAM if spec.protocol == "tcp" else socket.SOCK_DGRAM
            sock = socket.socket(socket.AF_INET, kind)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((candidate, spec.port))
            except OSError as exc:
                sock.close()
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    last_error = exc
                    continue
                raise
            if spec.protocol == "tcp":
                sock.listen(64)
            listener = Listener(candidate, spec, sock)
            listener.serve()
            self.listeners.append(listener)
            self._taken.add(candidate)
            return listener
        raise RuntimeError(f"no free loopback address for {spec.name} port {spec.port}: {last_error}")

    def close(self) -> None:
        for listener in self.listeners:
            listener.close()
        self.listeners.clear()

    def __enter__(self) -> ListenerPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@pytest.fixture
def listener_pool() -> Iterator[ListenerPool]:
    """Listeners for one test, closed after it."""
    with ListenerPool() as pool:
        yield pool


@pytest.fixture(scope="module")
def listener_pool_module() -> Iterator[ListenerPool]:
    """Listeners shared by a test module (start them once, scan once, assert many times)."""
    with ListenerPool() as pool:
        yield pool
