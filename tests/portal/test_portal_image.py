"""The portal image: portal/app/Dockerfile read instruction by instruction.

No Docker daemon is needed: the Dockerfile is parsed here (continuation lines, comments,
exec-form JSON), which is all the properties below depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import re
import shlex

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal" / "app"
DOCKERFILE = PORTAL / "Dockerfile"
PORT = 7007


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction (CMD ["node", ...]), else None."""
        text = self.value
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--[a-z-]+=\S+\s+)*CMD\s+", "", text)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the build stages of a Dockerfile."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or not stripped:  # comments and blank lines, also inside continuations
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation line"

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    current: list[Instruction] | None = None
    header: tuple[str, str | None] | None = None
    for line in logical:
        keyword, _, value = line.partition(" ")
        instruction = Instruction(keyword.upper(), value.strip())
        if instruction.keyword == "FROM":
            if header is not None:
                stages.append(Stage(header[0], header[1], tuple(current or ())))
            words = instruction.value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], words[0])
            header, current = (base, name), []
        elif current is None:
            assert instruction.keyword == "ARG", f"{instruction.keyword} before the first FROM"
            key, _, default = instruction.value.partition("=")
            global_args[key] = default
        else:
            current.append(instruction)
    assert header is not None, "no FROM"
    stages.append(Stage(header[0], header[1], tuple(current or ())))
    return global_args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE.read_text())[1]


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_node_base_is_a_current_lts_on_debian_slim(stages: list[Stage]) -> None:
    # create-app's package.json asks for Node.js 22 or 24.
    for stage in stages:
        assert re.fullmatch(r"node:(22|24)-bookworm-slim", stage.base), stage.base


def test_build_follows_backstages_multi_stage_steps(stages: list[Stage]) -> None:
    build = next(s for s in stages if s.name == "build")
    runs = " && ".join(i.value for i in build.all("RUN"))
    for step in ("yarn install --immutable", "yarn tsc", "yarn build:backend", "skeleton.tar.gz", "bundle.tar.gz"):
        assert step in runs, step
    production_deps = next(s for s in stages if s.name == "production-deps")
    assert "yarn workspaces focus --all --production" in " ".join(i.value for i in production_deps.all("RUN"))


def test_final_stage_runs_as_a_non_root_user(final: Stage) -> None:
    users = final.all("USER")
    assert users, "the final stage never leaves root"
    assert users[-1].value not in {"root", "0", "0:0"}
    assert users[-1].value == "node"
    # Everything after USER runs as that user: nothing switches back.
    after = final.instructions[final.instructions.index(users[-1]) :]
    assert all(i.keyword != "USER" or i.value == "node" for i in after)


def test_final_stage_has_no_compiler(final: Stage) -> None:
    installs = " ".join(i.value for i in final.all("RUN"))
    assert "build-essential" not in installs and "g++" not in installs


def test_health_check_asks_backstage_readiness_on_the_portal_port(final: Stage) -> None:
    (check,) = final.all("HEALTHCHECK")
    command = check.exec_form
    assert command is not None and command[0] == "node", "the slim image has no curl: node checks its own health"
    script = command[-1]
    assert f"http://localhost:{PORT}/.backstage/health/v1/readiness" in script
    # A failing or unreachable endpoint must fail the check.
    assert "process.exit(1)" in script and "r.ok" in script
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", check.value))
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()


def test_node_trusts_the_rds_certificate_authorities(final: Stage) -> None:
    # app-config.production.yaml verifies the database's TLS certificate (rejectUnauthorized).
    env = dict(i.value.split("=", 1) for i in final.all("ENV"))
    bundle = env["NODE_EXTRA_CA_CERTS"]
    runs = " ".join(i.value for i in final.all("RUN"))
    assert f"writeFileSync('{bundle}'" in runs and f"chmod 644 {bundle}" in runs
    (url,) = [i.value.split("=", 1)[1] for i in final.all("ARG") if i.value.startswith("RDS_CA_BUNDLE_URL=")]
    assert url == "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    # The download fails the build rather than leaving an empty bundle.
    assert "throw new Error('HTTP '" in runs and "BEGIN CERTIFICATE" in runs


def test_exposes_the_backend_port(final: Stage) -> None:
    assert [i.value for i in final.all("EXPOSE")] == [str(PORT)]


def test_cookiecutter_cli_is_installed_and_on_path(final: Stage) -> None:
    runs = " ".join(i.value for i in final.all("RUN"))
    assert re.search(r"pip install [^&]*cookiecutter", runs), "fetch:cookiecutter needs the cookiecutter CLI"
    assert "python3 -m venv /opt/cookiecutter" in runs
    # /usr/local/bin is on PATH in the node base images; the link puts the command there.
    assert "ln -s /opt/cookiecutter/bin/cookiecutter /usr/local/bin/cookiecutter" in runs
    # The build fails if the command does not run.
    assert "cookiecutter --version" in runs


def test_production_app_config_is_copied_and_passed_to_the_backend(final: Stage) -> None:
    copied = [shlex.split(i.value) for i in final.all("COPY")]
    assert any("app-config.production.yaml" in words[:-1] and words[-1] == "./" for words in copied)
    (cmd,) = final.all("CMD")
    command = cmd.exec_form
    assert command is not None, "exec form, so node is PID 1 and receives SIGTERM from ECS"
    assert command[:2] == ["node", "packages/backend"]
    configs = [command[i + 1] for i, word in enumerate(command) if word == "--config"]
    assert configs == ["app-config.yaml", "app-config.production.yaml"]


def test_every_file_the_production_app_config_includes_is_copied(final: Stage) -> None:
    # A `$include` of a file the image lacks stops the backend at start-up.
    included = set(re.findall(r"\$include:\s*\"?([^#\"\s]+)", (PORTAL / "app-config.production.yaml").read_text()))
    assert included == {"app-config.github.yaml"}
    copied = {word for i in final.all("COPY") for word in shlex.split(i.value)[:-1]}
    assert included <= copied


def test_no_local_secrets_or_host_dependencies_enter_the_build_context() -> None:
    ignored = {line.strip() for line in (PORTAL / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {"node_modules", "**/node_modules", "app-config.local.yaml", ".git", "packages/*/dist"} <= ignored
    # The multi-stage build compiles the sources: create-app's host-build rule must not be here.
    assert "packages" not in ignored
