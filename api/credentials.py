"""Credentials in the ``Authorization`` header: ``Bearer <token>``, or HTTP Basic with the
token as the password, for GIS clients that only know Basic (QGIS's "Basic" authentication
method, GDAL's ``GDAL_HTTP_USERPWD``, OWSLib's ``auth=Authentication(username, password)``).

With Basic, the user name may be left empty (or ``token``); otherwise it must be the name
of the token's user (``allpa users list``), so a token pasted into the wrong profile is
refused instead of silently reading as somebody else.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from api.errors import AuthenticationError

ANY_USER = ("", "token")


@dataclass(frozen=True)
class Credentials:
    token: str
    user_name: str | None = None  # Basic only; None = not checked

    def accepts(self, name: str) -> bool:
        return self.user_name is None or self.user_name in ANY_USER or self.user_name == name


def _invalid() -> AuthenticationError:
    return AuthenticationError(
        "Cabecera Authorization no válida; use 'Bearer <token>' o Basic con el token como "
        "contraseña / invalid Authorization header; use 'Bearer <token>' or Basic with the "
        "token as password", code="invalid_token")


def parse_authorization(header: str) -> Credentials:
    """The token (and Basic user name) in an ``Authorization`` header, or a 401."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials(value)
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _invalid() from None
        user, sep, password = decoded.partition(":")
        if sep and password.strip():
            return Credentials(password.strip(), user.strip())
    raise _invalid()
