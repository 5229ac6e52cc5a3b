"""The shared vendor-API client against a real loopback HTTP server: retries, tokens, paging, errors."""

from __future__ import annotations

import pytest

from auditor.http import (
    ApiAuthError,
    ApiClient,
    ApiNotFound,
    ApiPermissionError,
    ApiThrottled,
    RetryPolicy,
    client_credentials,
    parse_retry_after,
)
from auditor.secrets import REDACTOR
from tests.servers.scripted_http import Scripted


def client(server, sleeps: list[float], **kwargs) -> ApiClient:
    return ApiClient(server.url, name="Test API", retry=RetryPolicy(attempts=4, sleep=sleeps.append), **kwargs)


def test_throttling_honours_fractional_retry_after_then_backs_off(scripted_http) -> None:
    sleeps: list[float] = []
    scripted_http.add("/items", Scripted(429, {}, {"Retry-After": "0.25"}), Scripted(429, {}),
                      Scripted(503, {}), Scripted(200, {"ok": True}))
    assert client(scripted_http, sleeps).get_json("/items") == {"ok": True}
    assert sleeps[0] == 0.25
    assert 2.0 <= sleeps[1] <= 2.2 and 4.0 <= sleeps[2] <= 4.4  # exponential when Retry-After is absent
    assert len(scripted_http.requests) == 4 and {r.method for r in scripted_http.requests} == {"GET"}


def test_throttling_gives_up_after_the_bounded_attempts(scripted_http) -> None:
    sleeps: list[float] = []
    scripted_http.add("/items", *[Scripted(429, {}, {"Retry-After": "1"})] * 4)
    with pytest.raises(ApiThrottled, match="gave up after 4 attempts"):
        client(scripted_http, sleeps).get_json("/items")


def test_next_link_paging_follows_the_whole_url(scripted_http) -> None:
    sleeps: list[float] = []
    base = scripted_http.url
    scripted_http.add("/users", Scripted(200, {"value": [1, 2], "@odata.nextLink": f"{base}/users2?$skiptoken=a%2Bb"}))
    scripted_http.add("/users2", Scripted(200, {"value": [3]}))
    assert list(client(scripted_http, sleeps).iter_next_link("/users", {"$top": 2})) == [1, 2, 3]
    assert scripted_http.requests[1].query == "$skiptoken=a%2Bb"


def test_token_is_fetched_once_refreshed_after_401_and_redacted(scripted_http) -> None:
    sleeps: list[float] = []
    scripted_http.add("/token", Scripted(200, {"access_token": "tok-one-123", "expires_in": 3600}),
                      Scripted(200, {"access_token": "tok-two-456", "expires_in": 3600}))
    scripted_http.add("/data", Scripted(200, {"n": 1}), Scripted(401, {"error": {"code": "InvalidAuthenticationToken",
                                                                                  "message": "expired"}}),
                      Scripted(200, {"n": 2}))
    auth = client_credentials(f"{scripted_http.url}/token", "app-id", "app-secret-xyz", "scope/.default",
                              name="Test token endpoint")
    api = client(scripted_http, sleeps, auth=auth)
    assert api.get_json("/data") == {"n": 1}
    assert api.get_json("/data") == {"n": 2}
    data_requests = [r for r in scripted_http.requests if r.path == "/data"]
    assert [r.headers["Authorization"] for r in data_requests] == ["Bearer tok-one-123", "Bearer tok-one-123",
                                                                   "Bearer tok-two-456"]
    token_request = next(r for r in scripted_http.requests if r.path == "/token")
    assert token_request.method == "POST" and b"grant_type=client_credentials" in token_request.body
    assert REDACTOR.redact("x tok-two-456 app-secret-xyz") == "x *** ***"


def test_refused_credentials_and_missing_permissions_are_explained(scripted_http) -> None:
    sleeps: list[float] = []
    scripted_http.add("/token", Scripted(401, {"error": "invalid_client", "error_description": "AADSTS7000215"}))
    auth = client_credentials(f"{scripted_http.url}/token", "app", "bad-secret-999", "s", name="Entra ID")
    with pytest.raises(ApiAuthError, match=r"Entra ID refused the credentials \(HTTP 401, invalid_client\)"):
        client(scripted_http, sleeps, auth=auth).get_json("/x")
    scripted_http.add("/reports", Scripted(403, {"error": {"code": "Authorization_RequestDenied", "message": "no"}}))
    api = client(scripted_http, sleeps, permission_hint=lambda path, code: "grant AuditLog.Read.All")
    with pytest.raises(ApiPermissionError, match=r"Authorization_RequestDenied: no; grant AuditLog\.Read\.All"):
        api.get_json("/reports")
    scripted_http.add("/api/machines", Scripted(404, {"errorCode": "NotFound", "message": "empty tenant"}))
    with pytest.raises(ApiNotFound, match="HTTP 404 NotFound: empty tenant"):
        api.get_json("/api/machines")


@pytest.mark.parametrize(("value", "expected"), [("2", 2.0), ("0.5", 0.5), (None, None), ("soon", None)])
def test_parse_retry_after(value, expected) -> None:
    assert parse_retry_after(value) == expected


def test_google_error_envelope_with_a_numeric_code(scripted_http) -> None:
    scripted_http.add("/admin/directory/v1/users", Scripted(400, {"error": {
        "code": 400, "message": "Invalid Input", "status": "INVALID_ARGUMENT"}}))
    with pytest.raises(Exception, match="HTTP 400 INVALID_ARGUMENT: Invalid Input"):
        client(scripted_http, []).get_json("/admin/directory/v1/users")


def test_a_next_link_to_another_server_is_refused_before_the_token_leaves(scripted_http) -> None:
    from auditor.http import ApiProtocolError

    scripted_http.add("/users", Scripted(200, {"value": [1], "@odata.nextLink": "http://127.0.0.2:9/users?p=2"}))
    with pytest.raises(ApiProtocolError, match=r"refused to follow a link to another server \(http://127.0.0.2:9\)"):
        list(client(scripted_http, []).iter_next_link("/users"))
    assert len(scripted_http.requests) == 1


def test_redirects_are_never_followed_with_credentials(scripted_http) -> None:
    from auditor.http import ApiError

    scripted_http.add("/token", Scripted(307, {}, {"Location": f"{scripted_http.url}/elsewhere"}))
    auth = client_credentials(f"{scripted_http.url}/token", "app", "redirected-secret-1", "s", name="Entra ID")
    with pytest.raises(ApiError, match=r"HTTP 307"):
        client(scripted_http, [], auth=auth).get_json("/x")
    assert [r.path for r in scripted_http.requests] == ["/token"]
    assert "redirected-secret-1" not in repr(auth)
