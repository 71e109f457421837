"""The README runs as printed: its shell examples ("Try it", both admin API sections, the SSO
seat gate) are read from README.md and run with bash, in order, against a live server set up
as `make run` sets it up (the Makefile's own `run` recipe up to `serve`, in a fresh data
directory). Only host:port is rewritten, and the placeholders of PLACEHOLDERS are filled from
what ran before.

What the README shows is asserted:
- comment lines under a CLI command are its exact output;
- a comment starting with a status code is the curl's HTTP status (otherwise any 2xx); curl
  prints it because CURL_HOME points at a .curlrc with `write-out`, so the commands
  themselves stay verbatim;
- `"key":value` pairs in comments (at any depth of the JSON answer) and `{"key",...}` key
  lists must hold; `…` stands for any value, dates for any date.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.settings import DEV_CONFIG_FILE
from tests.live_server import live_server

CHECKOUT = Path(__file__).resolve().parents[2]
README = CHECKOUT / "README.md"
DOCUMENTED_BASE = "http://127.0.0.1:8000"
SECTIONS = ("Try it", "Admin API: seats, top-ups, invoices, renewal",
            "Admin API: tokens, users, audit, alerts", "SSO seat gate", "Protecting the service")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAIR = re.compile(r'"(\w+)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
BARE_KEY = re.compile(r'(?<=[{,])"(\w+)"(?=[,}])')
STATUS = re.compile(r"^(\d{3})\b")
IDP_ISSUER, IDP_AUDIENCE = "https://idp.example.com", "scim-seats"  # as in the README


@dataclass
class Command:
    text: str
    trailing: str = ""  # the comment on the command's own line
    following: list[str] = field(default_factory=list)  # comment lines under it


@dataclass
class Walkthrough:
    """One reader going through the README: their shell variables and what they saw."""

    base: str
    cwd: Path
    env: dict[str, str]
    token: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    answers: list[tuple[str, Any]] = field(default_factory=list)  # (url, JSON) of each curl
    seatless_user_id: str = ""
    id_token: str = ""

    def json_of(self, url_end: str) -> Any:
        """The first JSON answer of a curl to a URL ending so (a POST comes before its GET)."""
        return next(doc for url, doc in self.answers if url.endswith(url_end))


# README placeholder -> its value, from what the reader saw before. Every "…" or "..." left
# in a command after this fails the test, so a new placeholder has to be added here.
PLACEHOLDERS: dict[str, Callable[[Walkthrough], str]] = {
    "TOKEN=...": lambda w: f"TOKEN={w.token}",  # printed by make run
    "7d1f…": lambda w: "7d1f0c3e-readme",  # any unique key
    '"quote_id": "…"': lambda w: f'"quote_id": "{w.json_of("/seats/quotes")["id"]}"',
    '"from_user_id": "…"': lambda w: f'"from_user_id": "{w.json_of("/scim/v2/Users")["id"]}"',
    '"to_user_id": "…"': lambda w: f'"to_user_id": "{w.seatless_user_id}"',
    "/scim-tokens/ID": lambda w: f'/scim-tokens/{w.json_of("/admin/v1/scim-tokens")["id"]}',
    '"id_token": "eyJ…"': lambda w: f'"id_token": "{w.id_token}"',
}


# --- reading the README ----------------------------------------------------------------

def _section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", markdown, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def _blocks(text: str, language: str) -> list[str]:
    """Fenced blocks of that language ("" for unlabelled ones), fences paired in order."""
    return [body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S)
            if lang == language]


def _split_comment(line: str) -> tuple[str, str]:
    """Command and trailing comment: a # after a blank outside quotes (as bash reads it)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def _commands(block: str) -> list[Command]:
    commands: list[Command] = []
    pending = ""
    for line in block.splitlines():
        code, comment = _split_comment(line)
        if not code.strip() and comment and not pending:
            commands[-1].following.append(comment)
        elif code.endswith("\\"):
            pending += code[:-1].strip() + " "
        elif code.strip():
            commands.append(Command(text=pending + code.strip(), trailing=comment))
            pending = ""
    return commands


def _readme_commands() -> dict[str, list[Command]]:
    markdown = README.read_text()
    return {title: [command for block in _blocks(_section(markdown, title), "sh")
                    for command in _commands(block)]
            for title in SECTIONS}


# --- running it ------------------------------------------------------------------------

def _bash(walk: Walkthrough, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=walk.cwd, capture_output=True, text=True,
                          env={**walk.env, **walk.variables}, timeout=60)


def _fill(walk: Walkthrough, text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        if placeholder in text:
            text = text.replace(placeholder, value(walk))
    assert "…" not in text and "..." not in text, f"unfilled placeholder in: {text}"
    return text.replace(DOCUMENTED_BASE, walk.base)


def _values(document: Any, key: str) -> Iterator[Any]:
    if isinstance(document, dict):
        if key in document:
            yield document[key]
        for value in document.values():
            yield from _values(value, key)
    elif isinstance(document, list):
        for item in document:
            yield from _values(item, key)


def _check_documented_json(comments: list[str], document: Any, context: str) -> None:
    shown = " ".join(comments)
    for key, raw in PAIR.findall(shown):
        expected = json.loads(raw)
        found = list(_values(document, key))
        assert found, f"{context}: no {key!r} in {document}"
        if expected == "…":
            continue
        if isinstance(expected, str) and DATE.match(expected):
            assert all(DATE.match(str(value)) for value in found), (context, key, found)
        else:
            assert expected in found, f"{context}: {key}={found}, README shows {expected!r}"
    for key in BARE_KEY.findall(shown):
        assert list(_values(document, key)), f"{context}: no {key!r} in {document}"


def _run_curl(walk: Walkthrough, command: Command) -> None:
    text = _fill(walk, command.text)
    result = _bash(walk, text)
    assert result.returncode == 0, (text, result.stderr)
    body, _, status = result.stdout.rpartition("\n")  # .curlrc: write-out = "\n%{http_code}"
    comments = [command.trailing, *command.following]
    documented = next((m.group(1) for c in comments if (m := STATUS.match(c))), None)
    if documented:
        assert status == documented, (text, status, body)
    else:
        assert status.startswith("2"), (text, status, body)
    shows_json = PAIR.search(" ".join(comments)) or BARE_KEY.search(" ".join(comments))
    if body.startswith(("{", "[")) or shows_json:
        document = json.loads(body)
        walk.answers.append((re.findall(r"https?://\S+", text)[-1].strip("'\""), document))
        _check_documented_json(comments, document, text)


def _run_shell(walk: Walkthrough, command: Command) -> None:
    text = _fill(walk, command.text)
    assignment = re.fullmatch(r"([A-Z]+)=(.*)", text)
    script = f'{text}; printf %s "${assignment.group(1)}"' if assignment else text
    result = _bash(walk, script)
    assert result.returncode == 0, (text, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if assignment:
        walk.variables[assignment.group(1)] = result.stdout
    elif command.following:
        assert result.stdout.splitlines() == command.following, text


def _run(walk: Walkthrough, command: Command) -> None:
    if command.text.startswith("curl "):
        _run_curl(walk, command)
    else:
        _run_shell(walk, command)


# --- the state `make run` leaves, and the steps the README tells in prose ----------------------

def _make_run_setup() -> list[str]:
    """The Makefile's `run` recipe without its last line (`serve`, started by the test)."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (CHECKOUT / "Makefile").read_text(), re.M)
    assert recipe
    lines = [line.strip().replace("$(BIN)", ".venv/bin") for line in recipe.group(1).splitlines()]
    assert lines[-1].startswith(".venv/bin/scim-seats serve --host 127.0.0.1 --port 8000")
    return lines[:-1]


def _sixth_user_is_refused(walk: Walkthrough, create: Command) -> None:
    """"Create five more users (the first command with another userName) and the sixth is
    refused": four 201s, then the answer the README prints, headers and body."""
    markdown = _section(README.read_text(), "Try it")
    shown = _blocks(markdown, "")[0].splitlines()
    status_line, header, _, *body = shown
    for n in range(1, 6):
        text = _fill(walk, create.text).replace("ada@example.com", f"user{n}@example.com")
        if n < 5:
            assert _bash(walk, text).stdout.endswith("\n201"), text
            continue
        answer = _bash(walk, text.replace("curl -s ", "curl -s -i ", 1)).stdout
        head, _, rest = answer.partition("\n\n")  # text mode: \r\n read as \n
        assert head.splitlines()[0] == status_line
        assert header.lower() in head.lower().splitlines()
        assert json.loads(rest.rpartition("\n")[0]) == json.loads(" ".join(body))


def _add_seatless_user(walk: Walkthrough, create: Command) -> None:
    """A user created inactive holds no seat: the target of the README's reassignment."""
    text = _fill(walk, create.text).replace('"userName":"ada@example.com"',
                                            '"userName":"bob@example.com","active":false')
    body, _, status = _bash(walk, text).stdout.rpartition("\n")
    assert status == "201", body
    walk.seatless_user_id = json.loads(body)["id"]


def _identity_provider(walk: Walkthrough) -> None:
    """The IdP's key set the README's configure-sso reads, and an ID token it signed."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks = {"keys": [{**jwk, "kid": "k1", "alg": "RS256"}]}
    (walk.cwd / "idp-jwks.json").write_text(json.dumps(jwks))
    now = int(time.time())  # the server checks expiry against its own clock
    walk.id_token = jwt.encode({"iss": IDP_ISSUER, "aud": IDP_AUDIENCE, "sub": "grace-1",
                                "email": "grace@example.com", "iat": now, "exp": now + 600},
                               key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def walkthrough(database_url: str, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Walkthrough]:
    """A fresh data directory set up by `make run`'s own commands and a live server on it,
    with an environment that exports nothing of scim-seats (as a new terminal)."""
    data = tmp_path / "var"
    (tmp_path / ".curlrc").write_text('write-out = "\\n%{http_code}"\n')
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env.update(SCIM_DATA_DIR=str(data), CURL_HOME=str(tmp_path))
    walk = Walkthrough(base="", cwd=tmp_path, env=env)
    if not database_url.startswith("sqlite"):  # as `make run SCIM_DATABASE_URL=…`
        walk.variables["SCIM_DATABASE_URL"] = database_url
    for line in _make_run_setup():
        result = _bash(walk, line)
        assert result.returncode == 0, (line, result.stderr)
        walk.token = next(iter(re.findall(r"SCIM token: +(\S+)", result.stdout)), walk.token)
    assert (data / DEV_CONFIG_FILE).exists() and walk.token
    walk.variables.clear()  # the README's commands run in a new terminal
    recorded = json.loads((data / DEV_CONFIG_FILE).read_text())
    served = recorded.get("SCIM_DATABASE_URL", f"sqlite:///{data}/scim-seats.db")
    for name in [k for k in os.environ if k.startswith("SCIM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCIM_DATA_DIR", str(data))
    with live_server(served) as base:
        walk.base = base
        yield walk


def test_the_readme_runs_as_printed(walkthrough: Walkthrough) -> None:
    sections = _readme_commands()
    assert all(sections.values()), {title: len(found) for title, found in sections.items()}
    for command in sections["Try it"]:
        _run(walkthrough, command)
    create = next(c for c in sections["Try it"] if "-X POST" in c.text)
    _sixth_user_is_refused(walkthrough, create)
    _add_seatless_user(walkthrough, create)
    _identity_provider(walkthrough)
    for title in SECTIONS[1:]:
        for command in sections[title]:
            _run(walkthrough, command)
