"""TEST ONLY: a stand-in for Amazon Cognito's OpenID Connect endpoints, for `make e2e`.

It signs in one fixed user without asking anything: /authorize redirects straight back with a
code, /token answers with an RS256-signed ID token (issuer, audience, nonce, e-mail) and
/userinfo with the same profile. Backstage's OIDC provider fetches the discovery document from
AUTH_OIDC_METADATA_URL, as it fetches Cognito's in production.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class OidcStandIn:
    """Serves on 127.0.0.1:<port> until ``stop()``; ``metadata_url`` is its discovery document."""

    def __init__(self, *, client_id: str, email: str, name: str) -> None:
        self.client_id, self.email, self.name = client_id, email, name
        self.key = RSAKey.generate_key(2048, parameters={"kid": "e2e", "use": "sig", "alg": "RS256"})
        self._codes: dict[str, str | None] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OidcStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _profile(self) -> dict[str, object]:
        return {"sub": "e2e-user", "email": self.email, "email_verified": True, "name": self.name}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

            def _json(self, body: object, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    issuer = standin.issuer
                    self._json({
                        "issuer": issuer,
                        "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token",
                        "userinfo_endpoint": f"{issuer}/userinfo",
                        "jwks_uri": f"{issuer}/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid", "profile", "email"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                        "code_challenge_methods_supported": ["S256"],
                    })
                elif url.path == "/jwks":
                    self._json({"keys": [standin.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if query.get("client_id") != standin.client_id:
                        self._json({"error": "invalid_client"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    standin._codes[code] = query.get("nonce")
                    params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode(params)}")
                    self.end_headers()
                elif url.path == "/userinfo":
                    self._json(standin._profile())
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                if urlparse(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()).items()}
                if form.get("code") not in standin._codes:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                nonce = standin._codes.pop(form["code"])
                now = int(time.time())
                claims = {**standin._profile(), "iss": standin.issuer, "aud": standin.client_id, "iat": now, "exp": now + 3600}
                if nonce:
                    claims["nonce"] = nonce
                id_token = jwt.encode({"alg": "RS256", "kid": "e2e"}, claims, standin.key)
                self._json({"access_token": secrets.token_urlsafe(24), "id_token": id_token, "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile email"})

        return Handler
