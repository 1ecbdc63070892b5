"""HTTP service of {{ cookiecutter.service_name }}: standard library only, JSON in and out.

Routes: ``GET /healthz`` (load balancer and Kubernetes probes), ``GET /`` (hello). Listens on
``$PORT`` (default {{ cookiecutter.container_port }}); stops cleanly on SIGTERM so rolling deployments drain.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE_NAME = os.environ.get("SERVICE_NAME", "{{ cookiecutter.service_name }}")
DEFAULT_PORT = {{ cookiecutter.container_port }}

logger = logging.getLogger(SERVICE_NAME)


class Handler(BaseHTTPRequestHandler):
    server_version = SERVICE_NAME

    def _send(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif self.path == "/":
            self._send(200, {"service": SERVICE_NAME, "message": "hello"})
        else:
            self._send(404, {"error": f"no route for GET {self.path}"})

    def log_message(self, format: str, *args: object) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def make_server(port: int | None = None, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """A server bound to ``port`` (default ``$PORT`` or {{ cookiecutter.container_port }}); 0 picks a free port."""
    return ThreadingHTTPServer((host, int(os.environ.get("PORT", DEFAULT_PORT)) if port is None else port), Handler)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = make_server()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logger.info("listening on port %s", server.server_address[1])
    server.serve_forever()
    server.server_close()
