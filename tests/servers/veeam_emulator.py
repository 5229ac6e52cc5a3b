"""A Veeam Backup & Replication REST API v1 emulator on loopback, for the backup plugin's tests.

It speaks the documented shapes: `POST /api/oauth2/token` (password grant, form body), `x-api-version` on
every request (refused when missing or newer than the emulated build supports), `skip`/`limit` paging
with `{"data": [...], "pagination": {...}}`, the `{"errorCode", "message"}` error envelope, 429 with a
(fractional) Retry-After, both restore-point generations (`objectRestorePoints` up to API 1.1-rev0 /
B&R 12.0, `restorePoints` from 1.1-rev1 / 12.1) and the v13 lower-case job `status`.  Tokens can be made
to expire server-side sooner than advertised to force a 401 mid-collection.

`EstateBuilder` builds consistent estates (jobs -> backups -> objects -> restore points -> repositories)
from a compact description; `demo_estate()` is the demo client of samples/demo-client/ESTATE.md.
Run `python -m tests.servers.veeam_emulator --write-demo PATH` to regenerate the recorded demo sample.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

#: Revisions each emulated build accepts in x-api-version.
SUPPORTED = {
    "12.0": ("1.0-rev1", "1.0-rev2", "1.1-rev0"),
    "12.1": ("1.0-rev1", "1.0-rev2", "1.1-rev0", "1.1-rev1"),
    "12.3": ("1.0-rev2", "1.1-rev0", "1.1-rev1", "1.1-rev2", "1.2-rev0", "1.2-rev1"),
    "13": ("1.1-rev0", "1.1-rev1", "1.1-rev2", "1.2-rev0", "1.2-rev1", "1.3-rev0", "1.3-rev1"),
}
BUILDS = {"12.0": "12.0.0.1420", "12.1": "12.1.2.172", "12.3": "12.3.1.1139", "13": "13.0.0.4967"}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "veeam-emulator:" + ":".join(parts)))


@dataclass
class VeeamEstate:
    """What the emulated server holds, already in API shape (capitalised status as B&R 12 answers)."""

    version: str = "12.1"
    server_name: str = "VBR01"
    jobs: list[dict[str, Any]] = field(default_factory=list)
    #: Job definitions (`/api/v1/jobs`); None: the endpoint answers 404.
    job_specs: list[dict[str, Any]] | None = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    restore_points: list[dict[str, Any]] = field(default_factory=list)
    repositories: list[dict[str, Any]] = field(default_factory=list)
    repository_states: list[dict[str, Any]] = field(default_factory=list)
    #: None: the scale-out endpoint answers 404 (a build or role without it).
    scale_out: list[dict[str, Any]] | None = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    task_sessions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class EstateBuilder:
    """Builds a consistent estate: each job writes one backup per repository, with restore points per object."""

    def __init__(self, version: str = "12.1", server_name: str = "VBR01") -> None:
        self.estate = VeeamEstate(version=version, server_name=server_name)
        self._object_names: set[str] = set()

    def repository(self, name: str, *, type: str = "WinLocal", host: str = "VBR01", capacity_gb: float = 1000.0,
                   free_gb: float = 500.0, immutable_days: int | None = None,
                   bucket_immutability: tuple[bool, int] | None = None, path: str = "D:\\Backups") -> str:
        repo_id = _id("repo", name)
        raw: dict[str, Any] = {"id": repo_id, "name": name, "description": "", "type": type,
                               "hostId": _id("host", host)}
        if type in ("WinLocal", "LinuxLocal", "LinuxHardened", "Smb", "Nfs"):
            settings: dict[str, Any] = {"path": path, "maxTaskCount": 4}
            if immutable_days is not None:
                settings["makeRecentBackupsImmutableDays"] = immutable_days
            raw["repository"] = settings
        else:
            bucket: dict[str, Any] = {"bucketName": name.lower(), "folderName": "veeam"}
            if bucket_immutability is not None:
                bucket["immutability"] = {"isEnabled": bucket_immutability[0], "daysCount": bucket_immutability[1]}
            raw["bucket"] = bucket
        self.estate.repositories.append(raw)
        on_host = "repository" in raw  # object storage has no host
        self.estate.repository_states.append({
            "id": repo_id, "name": name, "type": type, "description": "",
            **({"hostId": _id("host", host), "hostName": host, "path": path} if on_host else {}),
            "capacityGB": capacity_gb, "freeGB": free_gb,
            "usedSpaceGB": round(capacity_gb - free_gb, 1), "isOnline": True, "isOutOfDate": False,
        })
        return repo_id

    def scale_out(self, name: str, extents: list[str], *, capacity_extent: str | None = None,
                  copy_policy: bool = True) -> str:
        sobr_id = _id("sobr", name)
        by_id = {r["id"]: r for r in self.estate.repositories}
        assert self.estate.scale_out is not None
        self.estate.scale_out.append({
            "id": sobr_id, "name": name, "description": "",
            "performanceTier": {"performanceExtents": [{"id": e, "name": by_id[e]["name"], "status": "Normal"}
                                                       for e in extents]},
            "capacityTier": {"isEnabled": capacity_extent is not None, "extentId": capacity_extent,
                             "copyPolicyEnabled": copy_policy and capacity_extent is not None,
                             "movePolicyEnabled": False},
        })
        return sobr_id

    def job(self, name: str, *, repository: str, type: str = "Backup", status: str = "Inactive",
            last_result: str = "Success", last_run: dt.datetime | None = None,
            objects: dict[str, list[dt.datetime]] | None = None, platform: str = "VMware",
            members: tuple[str, ...] = ()) -> str:
        """A job; `objects` have restore points, `members` are only in the definition (never backed up)."""
        job_id = _id("job", name)
        objects = objects or {}
        repo_name = next((r["name"] for r in self.estate.repositories if r["id"] == repository), None)
        if repo_name is None:
            assert self.estate.scale_out is not None
            repo_name = next(s["name"] for s in self.estate.scale_out if s["id"] == repository)
        state: dict[str, Any] = {
            "id": job_id, "name": name, "type": type, "description": "", "status": status,
            "lastResult": last_result, "workload": "Vm" if platform != "WindowsPhysical" else "Server",
            "objectsCount": len(objects), "highPriority": False, "progressPercent": 0,
            "repositoryId": repository, "repositoryName": repo_name,
        }
        if last_run is not None:
            state["lastRun"] = _iso(last_run)
            state["sessionId"] = _id("session", name, _iso(last_run))
        self.estate.jobs.append(state)
        included = [{"type": "VirtualMachine", "hostName": "HV01", "name": n, "objectId": _id("vm", n)}
                    for n in [*objects, *members]]
        assert self.estate.job_specs is not None
        self.estate.job_specs.append({
            "id": job_id, "name": name, "type": type, "description": "", "isHighPriority": False,
            "isDisabled": status.lower() == "disabled",
            **({"virtualMachines": {"includes": included, "excludes": {}}} if platform != "WindowsPhysical"
               else {"computers": included}),
            "storage": {"backupRepositoryId": repository},
        })
        backup_id = _id("backup", name, repository)
        self.estate.backups.append({"id": backup_id, "jobId": job_id, "policyTag": "", "name": name,
                                    "platformName": platform, "platformId": "00000000-0000-0000-0000-000000000000",
                                    "creationTime": _iso(min((t for ts in objects.values() for t in ts),
                                                             default=last_run or dt.datetime(2026, 1, 1,
                                                                                             tzinfo=dt.UTC))),
                                    "repositoryId": repository})
        for object_name, times in objects.items():
            if object_name not in self._object_names:
                self._object_names.add(object_name)
                self.estate.objects.append({"id": _id("object", object_name), "name": object_name,
                                            "type": "VM" if platform != "WindowsPhysical" else "Computer",
                                            "platformName": platform,
                                            "platformId": "00000000-0000-0000-0000-000000000000",
                                            "restorePointsCount": 0})
            for moment in times:
                self.estate.restore_points.append({
                    "id": _id("rp", name, object_name, _iso(moment)), "name": object_name, "platformName": platform,
                    "platformId": "00000000-0000-0000-0000-000000000000", "creationTime": _iso(moment),
                    "backupId": backup_id, "allowedOperations": ["StartViVMInstantRecovery"], "type": "Increment",
                })
            for obj in self.estate.objects:
                if obj["name"] == object_name:
                    obj["restorePointsCount"] += len(times)
        return job_id

    def surebackup(self, name: str, when: dt.datetime, *, result: str = "Success",
                   objects: tuple[str, ...] = ()) -> str:
        session_id = _id("surebackup", name, _iso(when))
        self.estate.sessions.append({
            "id": session_id, "name": name, "jobId": _id("job", name), "sessionType": "SureBackup",
            "creationTime": _iso(when - dt.timedelta(minutes=40)), "endTime": _iso(when), "state": "Stopped",
            "progressPercent": 100, "result": {"result": result, "message": "", "isCanceled": False},
            "resourceId": _id("job", name), "usn": 1,
        })
        self.estate.task_sessions[session_id] = [
            {"id": _id("task", session_id, o), "name": o, "type": "SureBackup", "sessionId": session_id,
             "result": {"result": result, "message": "", "isCanceled": False}}
            for o in objects]
        return session_id

    def job_session(self, name: str, when: dt.datetime, result: str = "Success") -> None:
        """An ordinary backup session, which the restore-test reader must ignore."""
        self.estate.sessions.append({
            "id": _id("session", name, _iso(when)), "name": name, "jobId": _id("job", name),
            "sessionType": "BackupJob", "creationTime": _iso(when - dt.timedelta(minutes=30)), "endTime": _iso(when),
            "state": "Stopped", "progressPercent": 100,
            "result": {"result": result, "message": "", "isCanceled": False}, "usn": 2,
        })

    def build(self) -> VeeamEstate:
        return self.estate


def daily(last: dt.datetime, days: int) -> list[dt.datetime]:
    """`days` daily restore points ending at `last`."""
    return [last - dt.timedelta(days=n) for n in range(days)]


class VeeamEmulator:
    """The HTTP server; start() picks a free port on 127.0.0.1 and serves from a daemon thread."""

    def __init__(self, estate: VeeamEstate, *, username: str = "DURAND\\svc_audit",
                 password: str = "emulator-password-Zq8!", token_lifetime: int = 900,
                 server_token_ttl: float | None = None, max_page_size: int = 1000,
                 throttle: dict[str, int] | None = None, failures: dict[str, tuple[int, str, str]] | None = None,
                 retry_after: str = "0.05", latency: float = 0.0,
                 tls: tuple[str, str] | None = None) -> None:
        self.estate = estate
        self.username = username
        self.password = password
        self.token_lifetime = token_lifetime
        self.server_token_ttl = server_token_ttl if server_token_ttl is not None else float(token_lifetime)
        self.max_page_size = max_page_size
        self.throttle = dict(throttle or {})
        self.failures = dict(failures or {})
        self.retry_after = retry_after
        self.latency = latency
        #: (certificate file, key file): serve HTTPS, as a real B&R server does on port 9419.
        self.tls = tls
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.expired_rejections = 0
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> VeeamEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes: without TCP_NODELAY, Nagle + delayed ACK cost 40 ms each.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                emulator._handle(self, "GET")

            def do_POST(self) -> None:
                emulator._handle(self, "POST")

            def do_PUT(self) -> None:
                emulator._handle(self, "PUT")

            def do_DELETE(self) -> None:
                emulator._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="veeam-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- HTTP ----------------------------------------------------------------------------------------------
    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: Any,
              headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _error(self, handler: BaseHTTPRequestHandler, status: int, code: str, message: str,
               headers: dict[str, str] | None = None) -> None:
        self._send(handler, status, {"errorCode": code, "message": message, "resourceId": None}, headers)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.log.append((method, path + (f"?{parts.query}" if parts.query else ""),
                             {k.lower(): v for k, v in handler.headers.items()}))
        if self.latency:
            time.sleep(self.latency)
        version = handler.headers.get("x-api-version")
        if not version:
            return self._error(handler, 400, "BadRequest", "The x-api-version header is required.")
        if version not in SUPPORTED[self.estate.version]:
            return self._error(handler, 400, "BadRequest",
                               f"API version {version} is not supported by this server "
                               f"(build {BUILDS[self.estate.version]}).")
        if path == "/api/oauth2/token":
            if method != "POST":
                return self._error(handler, 405, "MethodNotAllowed", "Use POST.")
            return self._token(handler, body)
        if method != "GET":
            return self._error(handler, 405, "MethodNotAllowed", f"{method} is not allowed for this audit server.")
        auth = handler.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with self._lock:
            issued = self.tokens.get(token)
            if issued is not None and time.monotonic() - issued > self.server_token_ttl:
                self.expired_rejections += 1
                issued = None
                del self.tokens[token]
        if issued is None:
            return self._error(handler, 401, "Unauthorized", "The access token is missing, invalid or expired.")
        with self._lock:
            remaining = self.throttle.get(path, 0)
            if remaining:
                self.throttle[path] = remaining - 1
        if remaining:
            return self._error(handler, 429, "TooManyRequests", "Too many requests, retry later.",
                               {"Retry-After": self.retry_after})
        if path in self.failures:
            status, code, message = self.failures[path]
            return self._error(handler, status, code, message)
        return self._route(handler, path, query, version)

    def _token(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") != "password":
            return self._error(handler, 400, "BadRequest", "Unsupported grant_type.")
        if form.get("username") != self.username or form.get("password") != self.password:
            return self._error(handler, 401, "Unauthorized", "Invalid user name or password.")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.monotonic()
        self._send(handler, 200, {"access_token": token, "token_type": "bearer",
                                  "refresh_token": secrets.token_urlsafe(24), "expires_in": self.token_lifetime,
                                  ".issued": _iso(dt.datetime.now(dt.UTC)),
                                  ".expires": _iso(dt.datetime.now(dt.UTC) + dt.timedelta(
                                      seconds=self.token_lifetime))})

    def _page(self, handler: BaseHTTPRequestHandler, items: list[dict[str, Any]], query: dict[str, str]) -> None:
        try:
            skip = int(query.get("skip", 0))
            limit = int(query.get("limit", self.max_page_size))
        except ValueError:
            return self._error(handler, 400, "BadRequest", "skip and limit must be integers.")
        limit = max(0, min(limit, self.max_page_size))
        page = items[skip:skip + limit]
        self._send(handler, 200, {"data": page, "pagination": {"total": len(items), "count": len(page),
                                                               "skip": skip, "limit": limit}})

    def _route(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], version: str) -> None:
        estate = self.estate
        revision = tuple(int(x) for x in version.replace("-rev", ".").split("."))
        new_points = revision >= (1, 1, 1)
        if path == "/api/v1/serverInfo":
            return self._send(handler, 200, {"vbrId": _id("server", estate.server_name), "name": estate.server_name,
                                             "buildVersion": BUILDS[estate.version], "patches": [],
                                             "databaseVendor": "PostgreSql"})
        if path == "/api/v1/jobs/states":
            jobs = estate.jobs
            if estate.version == "13":  # v13 answers job status in lower case
                jobs = [{**j, "status": str(j["status"]).lower()} for j in jobs]
            return self._page(handler, jobs, query)
        simple = {
            "/api/v1/backups": estate.backups,
            "/api/v1/backupObjects": estate.objects,
            "/api/v1/backupInfrastructure/repositories": estate.repositories,
            "/api/v1/backupInfrastructure/repositories/states": estate.repository_states,
            "/api/v1/sessions": estate.sessions,
        }
        if path == "/api/v1/sessions" and "typeFilter" in query:
            return self._page(handler, [x for x in estate.sessions if x.get("sessionType") == query["typeFilter"]],
                              query)
        if path in simple:
            return self._page(handler, simple[path], query)
        if path == "/api/v1/jobs" and estate.job_specs is not None:
            return self._page(handler, estate.job_specs, query)
        if path == "/api/v1/backupInfrastructure/scaleOutRepositories" and estate.scale_out is not None:
            return self._page(handler, estate.scale_out, query)
        if (path == "/api/v1/restorePoints" and new_points) or (path == "/api/v1/objectRestorePoints"
                                                                 and not new_points):
            return self._page(handler, estate.restore_points, query)
        if path.startswith("/api/v1/sessions/") and path.endswith("/taskSessions"):
            session_id = path.split("/")[4]
            if session_id in estate.task_sessions:
                return self._page(handler, estate.task_sessions[session_id], query)
        return self._error(handler, 404, "NotFound", f"The resource {path} was not found.")


@pytest.fixture(scope="session")
def veeam_tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (certificate file, key file), like B&R's default one.

    Made with the openssl command line (Debian's openssl package); skipped where it is missing.
    """
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("veeam-tls")
    cert_file, key_file = folder / "vbr.pem", folder / "vbr.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key_file), "-out", str(cert_file), "-days", "30",
                    "-subj", "/CN=Veeam Backup Server Certificate", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True, timeout=60)
    return str(cert_file), str(key_file)


@pytest.fixture
def veeam_emulator() -> Iterator[Any]:
    """Factory: `veeam_emulator(estate, **options)` starts an emulator; all are stopped after the test."""
    started: list[VeeamEmulator] = []

    def make(estate: VeeamEstate, **options: Any) -> VeeamEmulator:
        emulator = VeeamEmulator(estate, **options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


# -- the demo client (samples/demo-client/ESTATE.md) -------------------------------------------------------
DEMO_COLLECTED_AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def demo_estate() -> VeeamEstate:
    """Cabinet Durand: SRV-BACKUP01 runs B&R 12.1; DC02 and SRV-LINUX01 are not backed up; SRV-FILE01's job
    fails (last good restore point about 3 days old); the "hardened" repository is a Windows repository
    (not immutable); nothing leaves the site; the last SureBackup ran 200 days ago."""
    b = EstateBuilder(version="12.1", server_name="SRV-BACKUP01")
    b.repository("Default Backup Repository", type="WinLocal", host="SRV-BACKUP01", capacity_gb=237.9,
                 free_gb=141.3, path="C:\\Backup")
    hardened = b.repository("REPO-HARDENED", type="WinLocal", host="SRV-BACKUP01", capacity_gb=3725.0,
                            free_gb=1378.6, path="E:\\VeeamHardened")
    nightly = dt.datetime(2026, 11, 19, 21, 12, tzinfo=dt.UTC)
    b.job("Serveurs - quotidien", repository=hardened, type="Backup", last_result="Success",
          last_run=dt.datetime(2026, 11, 19, 21, 0, tzinfo=dt.UTC), platform="HyperV",
          objects={"DC01": daily(nightly, 14), "srv-app01.durand.local": daily(nightly + dt.timedelta(minutes=9), 14)})
    b.job("Fichiers - SRV-FILE01", repository=hardened, type="Backup", last_result="Failed",
          last_run=dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC), platform="HyperV",
          objects={"SRV-FILE01": daily(dt.datetime(2026, 11, 17, 5, 41, tzinfo=dt.UTC), 12)})
    b.job("Agent - SRV-BACKUP01", repository=hardened, type="WindowsAgentBackup", last_result="Success",
          last_run=dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC), platform="WindowsPhysical",
          objects={"SRV-BACKUP01.durand.local": daily(dt.datetime(2026, 11, 20, 1, 24, tzinfo=dt.UTC), 7)})
    b.surebackup("SureBackup - Serveurs", dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC),
                 objects=("DC01", "srv-app01.durand.local"))
    b.job_session("Serveurs - quotidien", dt.datetime(2026, 11, 19, 21, 20, tzinfo=dt.UTC))
    b.job_session("Fichiers - SRV-FILE01", dt.datetime(2026, 11, 19, 23, 48, tzinfo=dt.UTC), result="Failed")
    return b.build()


def write_demo(path: str) -> None:
    """Collect the demo estate through the live source and write it as the recorded sample."""
    from auditor_plugins.backup.sources import VeeamRestSource

    emulator = VeeamEmulator(demo_estate()).start()
    try:
        source = VeeamRestSource(emulator.url, emulator.username, emulator.password, api_version="1.1-rev1",
                                 clock=lambda: DEMO_COLLECTED_AT)
        evidence = source.collect()
    finally:
        emulator.stop()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(evidence.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write-demo":
        write_demo(sys.argv[2])
    else:
        sys.exit("usage: python -m tests.servers.veeam_emulator --write-demo PATH")
