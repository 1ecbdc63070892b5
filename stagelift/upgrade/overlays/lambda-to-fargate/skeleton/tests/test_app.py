import json
import threading
import urllib.error
import urllib.request

import pytest

from service.app import make_server


@pytest.fixture(scope="module")
def base_url():
    server = make_server(port=0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_check_answers_ok(base_url):
    assert get(f"{base_url}/healthz") == (200, {"status": "ok"})


def test_root_names_the_service(base_url):
    status, body = get(f"{base_url}/")
    assert status == 200 and body["service"] == "{{ cookiecutter.service_name }}"


def test_unknown_route_is_404(base_url):
    assert get(f"{base_url}/nope")[0] == 404
