"""Every command README.md shows in a ```bash block works as written.

The blocks are parsed from README.md, so the README cannot drift from what works: one test per
block runs its commands with bash from the repository root, offline (no AWS credentials). A block
or command that needs AWS credentials or Docker, or that is this test suite itself, is exempt,
and EXEMPT_SECTIONS / EXEMPT_COMMANDS say why; a new block must be runnable or listed there.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.scaffolding.conftest import exclusive

README = REPO_ROOT / "README.md"

# Sections whose every block is exempt, and why.
EXEMPT_SECTIONS = {
    "Deploying the portal": "cdk bootstrap / cdk deploy need AWS credentials for the target account",
    "From nothing to a running portal": "the walkthrough to a deployed portal needs Docker and AWS credentials (its prerequisites)",
    "Moving a service up a tier: on AWS": "shift reads the deployed service's CloudWatch alarms and each step is a deploy (tests/upgrade/ runs them against moto)",
}
# Single commands that are exempt wherever they appear, and why.
EXEMPT_COMMANDS = {
    r"^make test\b": "runs the whole test suite, which contains this test",
}
# Offline equivalents: the same command with the output folder moved out of the checkout's parent.
EQUIVALENTS = {
    r"(cookiecutter .*) -o \.\.$": r"\1 -o {tmp}",
    r"\.\./orders\b": "{tmp}/orders",
}


@dataclass(frozen=True)
class Block:
    section: str
    line: int
    commands: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"L{self.line}-{re.sub(r'[^a-z0-9]+', '-', self.commands[0].lower())[:40].strip('-')}"


def bash_blocks(text: str) -> list[Block]:
    blocks = []
    section = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        fence = re.match(r"^( *)```bash\s*$", line)
        if fence:
            indent, body, start = len(fence[1]), [], index + 1
            index += 1
            while not lines[index].strip().startswith("```"):
                body.append(lines[index][indent:])
                index += 1
            joined = "\n".join(body).replace("\\\n", " ")
            commands = tuple(c.strip() for c in joined.splitlines() if c.strip() and not c.strip().startswith("#"))
            blocks.append(Block(section, start, commands))
        index += 1
    return blocks


BLOCKS = bash_blocks(README.read_text())
RUNNABLE = [b for b in BLOCKS if b.section not in EXEMPT_SECTIONS]


def exempt_reason(command: str) -> str | None:
    return next((reason for pattern, reason in EXEMPT_COMMANDS.items() if re.search(pattern, command)), None)


def offline_equivalent(command: str, tmp: Path) -> str:
    for pattern, replacement in EQUIVALENTS.items():
        command = re.sub(pattern, replacement.replace("{tmp}", str(tmp)), command)
    return command


def test_exempt_blocks_are_listed_with_their_reason() -> None:
    exempt = {b.section for b in BLOCKS if b.section in EXEMPT_SECTIONS}
    assert exempt == set(EXEMPT_SECTIONS), "an exempt section lost its blocks: update EXEMPT_SECTIONS"
    skipped = [c for b in RUNNABLE for c in b.commands if exempt_reason(c)]
    assert [c.split("#")[0].strip() for c in skipped] == ["make test"]
    assert RUNNABLE, "README.md has no runnable bash block"


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_readme_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(AWS_EC2_METADATA_DISABLED="true", HOME=str(tmp_path / "home"))
    # One block at a time writes cdk.out/ in the checkout.
    with exclusive(REPO_ROOT / ".pytest-readme.lock"):
        for command in block.commands:
            if exempt_reason(command):
                continue
            runnable = offline_equivalent(command, tmp_path)
            result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", runnable], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"README line {block.line}: {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            assert "Traceback" not in result.stderr, result.stderr[-3000:]
            if "cookiecutter" in command:
                assert (tmp_path / "orders" / "infra" / "app.py").is_file()
            if command.startswith("make synth"):
                assert "Templates written to" in result.stdout
