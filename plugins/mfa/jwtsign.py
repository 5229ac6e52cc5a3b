"""RS256 JSON Web Tokens for the two token requests that need a signed assertion.

Google service accounts authenticate with a JWT signed by their private key (RFC 7523 bearer grant), and
an Entra app registration may use a certificate instead of a secret (a signed `client_assertion`).  Both
need only "sign this header and claim set with RSA-SHA256", which `cryptography` does; pulling in
google-auth or PyJWT for that would add a dependency tree for twenty lines.
"""

from __future__ import annotations

import base64
import json
from typing import Any


class JwtSigningError(ValueError):
    """The private key cannot be loaded or used (wrong format, encrypted, not RSA)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:  # pragma: no cover - depends on the installation
        raise JwtSigningError(
            "signing a JWT (Google service account or Entra certificate credential) needs the Python package "
            "'cryptography' (pip install cryptography)"
        ) from None
    return hashes, serialization, padding, rsa


def sign_rs256(claims: dict[str, Any], private_key_pem: str, *, headers: dict[str, Any] | None = None) -> str:
    """Return the compact JWS `header.claims.signature` for `claims` signed with the PEM RSA key."""
    hashes, serialization, padding, rsa = _crypto()
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        # The library's message never contains key material, but keep ours generic anyway.
        raise JwtSigningError(f"the private key is not an unencrypted PEM key ({type(exc).__name__})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise JwtSigningError("the private key is not an RSA key (RS256 needs RSA)")
    header = {"alg": "RS256", "typ": "JWT", **(headers or {})}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def verify_rs256(token: str, public_key_pem: str) -> dict[str, Any]:
    """Check the signature and return the claims (used by the test emulators; raises ValueError)."""
    hashes, serialization, padding, _rsa = _crypto()
    from cryptography.exceptions import InvalidSignature

    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
    except (ValueError, TypeError):
        raise ValueError("malformed JWT") from None
    if header.get("alg") != "RS256":
        raise ValueError("JWT is not RS256")
    key = serialization.load_pem_public_key(public_key_pem.encode("utf-8"))
    try:
        key.verify(b64url_decode(signature_b64), f"{header_b64}.{claims_b64}".encode("ascii"),
                   padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ValueError("invalid JWT signature") from None
    claims = json.loads(b64url_decode(claims_b64))
    if not isinstance(claims, dict):
        raise ValueError("JWT claims are not an object")
    claims["__header__"] = header
    return claims
