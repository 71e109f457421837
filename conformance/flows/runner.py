"""The step runner both IdP flows share. A flow is data: an ordered list of requests written
the way the IdP's documentation shows them, each with the status it must get and checks on
the answer. Keeping flows declarative lets the Okta and Entra files read like the IdPs'
request logs, and keeps every way of sending, checking and reporting in this one place."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import requests

Vars = dict[str, str]
Path = tuple[str | int, ...]
"""A location inside a JSON answer: keys and list indexes. A tuple, not a dotted string,
because extension URNs contain dots."""

Check = Callable[["Answer", Vars], "str | None"]
"""Returns None when the answer is right, else why it is not."""

MISSING = object()
"""What `lookup` returns for an absent attribute: `None` is a value an answer may hold."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any  # the parsed JSON, or None when the answer has no JSON body


@dataclass(frozen=True)
class Step:
    """One request. Strings in `path`, `query`, `body` and `form` may name variables as
    `{name}`: ids the server handed out earlier in the flow, or the flow's credentials."""

    name: str
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    form: Mapping[str, str] | None = None  # sent form-encoded (the OAuth token request)
    expect: int | tuple[int, ...] = 200
    checks: Sequence[Check] = ()
    save: Mapping[str, Path] = field(default_factory=dict)  # variable -> where in the answer
    auth: str | None = "token"  # the variable holding the bearer token, None for none
    under_scim: bool = True  # False: `path` is from the server root (/oauth/token)


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Sequence[Step]
    headers: Mapping[str, str]
    space_as_plus: bool = False  # how the IdP encodes spaces in `filter`
    uses_oauth_client: bool = False  # needs {client_id} and {client_secret}


@dataclass(frozen=True)
class StepResult:
    step: Step
    request_line: str
    passed: int  # checks that held: the status, each of `checks`, each variable saved
    failed: int
    reasons: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.failed == 0


class _MissingVariable(KeyError):
    pass


class _Vars(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise _MissingVariable(key)


# --- reading answers ------------------------------------------------------------------------


def lookup(body: Any, path: Path) -> Any:
    """The value at `path`, or MISSING. Keys match case-insensitively, as SCIM attribute
    names do (RFC 7643 §2.1)."""
    value = body
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return MISSING
            value = value[key]
            continue
        if not isinstance(value, dict):
            return MISSING
        match = next((k for k in value if k.lower() == key.lower()), None)
        if match is None:
            return MISSING
        value = value[match]
    return value


def _show(path: Path) -> str:
    return ".".join(str(key) for key in path) or "the body"


def fill(value: Any, variables: Mapping[str, str]) -> Any:
    """`value` with `{name}` in its strings replaced; dict keys are left alone."""
    if isinstance(value, str):
        return value.format_map(variables)
    if isinstance(value, list):
        return [fill(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, variables) for key, item in value.items()}
    return value


# --- checks ---------------------------------------------------------------------------------


def equals(path: Path, expected: Any) -> Check:
    def check(answer: Answer, variables: Vars) -> str | None:
        want = fill(expected, variables)
        got = lookup(answer.body, path)
        if got is MISSING:
            return f"{_show(path)} is missing, expected {want!r}"
        return None if got == want else f"{_show(path)} is {got!r}, expected {want!r}"
    return check


def absent(path: Path) -> Check:
    def check(answer: Answer, _variables: Vars) -> str | None:
        got = lookup(answer.body, path)
        return None if got is MISSING else f"{_show(path)} should be absent, is {got!r}"
    return check


def starts_with(path: Path, prefix: str) -> Check:
    def check(answer: Answer, _variables: Vars) -> str | None:
        got = lookup(answer.body, path)
        if isinstance(got, str) and got.startswith(prefix):
            return None
        return f"{_show(path)} should start with {prefix!r}, is {got!r}"
    return check


def _has_element(values: Any, wanted: Mapping[str, Any]) -> bool:
    """Only the named sub-attributes are compared: servers add their own (`$ref`,
    `display`, `primary`) and an IdP does not look at those either."""
    return isinstance(values, list) and any(
        isinstance(item, dict) and all(lookup(item, (k,)) == v for k, v in wanted.items())
        for item in values
    )


def has_element(path: Path, **wanted: Any) -> Check:
    def check(answer: Answer, variables: Vars) -> str | None:
        want = fill(wanted, variables)
        got = lookup(answer.body, path)
        return None if _has_element(got, want) else f"{_show(path)} has no {want!r}: {got!r}"
    return check


def lacks_element(path: Path, **unwanted: Any) -> Check:
    def check(answer: Answer, variables: Vars) -> str | None:
        bad = fill(unwanted, variables)
        got = lookup(answer.body, path)
        return f"{_show(path)} still has {bad!r}" if _has_element(got, bad) else None
    return check


def includes(path: Path, item: str) -> Check:
    """For lists of URNs such as `schemas`, which compare case-insensitively."""
    def check(answer: Answer, _variables: Vars) -> str | None:
        got = lookup(answer.body, path)
        if isinstance(got, list) and item.lower() in (str(v).lower() for v in got):
            return None
        return f"{_show(path)} does not include {item!r}: {got!r}"
    return check


def header_contains(name: str, text: str) -> Check:
    """A substring, because media types carry parameters (`; charset=utf-8`)."""
    def check(answer: Answer, _variables: Vars) -> str | None:
        got = answer.headers.get(name)
        return None if got and text in got else f"header {name} is {got!r}, expected {text!r} in it"
    return check


def no_header(name: str) -> Check:
    def check(answer: Answer, _variables: Vars) -> str | None:
        got = answer.headers.get(name)
        return None if got is None else f"header {name} should be absent, is {got!r}"
    return check


# --- running --------------------------------------------------------------------------------


def _url(flow: Flow, step: Step, root_url: str, variables: Vars) -> str:
    base = f"{root_url}/scim/v2" if step.under_scim else root_url
    url = base + step.path.format_map(variables)
    if step.query:
        quote_via = quote_plus if flow.space_as_plus else quote
        url += "?" + urlencode(fill(dict(step.query), variables), quote_via=quote_via)
    return url


def _send(session: requests.Session, flow: Flow, step: Step, url: str, variables: Vars) -> Answer:
    headers = dict(flow.headers)
    if step.auth is not None:
        headers["Authorization"] = f"Bearer {variables[step.auth]}"
    data: bytes | str | None = None
    if step.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urlencode(fill(dict(step.form), variables))
    elif step.body is not None:
        data = json.dumps(fill(step.body, variables)).encode()
    response = session.request(step.method, url, headers=headers, data=data, timeout=30)
    return Answer(response.status_code, response.headers, _json_or_none(response))


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _check_count(step: Step) -> int:
    return 1 + len(step.checks) + len(step.save)


def _run_check(check: Check, answer: Answer, variables: Vars) -> str | None:
    try:
        return check(answer, variables)
    except _MissingVariable as exc:
        return f"cannot check: needs {{{exc.args[0]}}} from an earlier step"


def _judge(step: Step, answer: Answer, variables: Vars) -> list[str]:
    """Why the answer is wrong. The status comes first: when it is wrong the body is an
    error, so reading the other checks against it would only add noise."""
    expected = _expected(step)
    if answer.status not in expected:
        why = f"status {answer.status}, expected {' or '.join(map(str, expected))}"
        detail = lookup(answer.body, ("detail",))
        if detail is not MISSING:
            why += f" ({detail})"
        return [why]
    reasons = [_run_check(check, answer, variables) for check in step.checks]
    return [reason for reason in reasons if reason] + _save(step, answer, variables)


def _save(step: Step, answer: Answer, variables: Vars) -> list[str]:
    reasons = []
    for name, path in step.save.items():
        value = lookup(answer.body, path)
        if isinstance(value, str):
            variables[name] = value
        else:
            reasons.append(f"no {_show(path)} in the answer to keep as {{{name}}}")
    return reasons


def _not_run(step: Step, reason: str) -> StepResult:
    return StepResult(step, f"{step.method} {step.path}", 0, _check_count(step), (reason,))


def _run_step(session: requests.Session, flow: Flow, step: Step, root_url: str,
              variables: _Vars) -> StepResult:
    """A step needing a variable that an earlier, failed step did not provide is not sent,
    and neither are its checks read: all of them count as failed, with the reason, so the
    tally never passes what was not tried."""
    try:
        url = _url(flow, step, root_url, variables)
        answer = _send(session, flow, step, url, variables)
    except _MissingVariable as exc:
        return _not_run(step, f"not sent: needs {{{exc.args[0]}}} from an earlier step")
    except requests.RequestException as exc:
        return _not_run(step, f"request failed: {exc}")
    reasons = _judge(step, answer, variables)
    total = _check_count(step)
    failed = total if answer.status not in _expected(step) else len(reasons)  # see _judge
    return StepResult(step, f"{step.method} {url.removeprefix(root_url)}", total - failed,
                      failed, tuple(reasons))


def _expected(step: Step) -> tuple[int, ...]:
    return step.expect if isinstance(step.expect, tuple) else (step.expect,)


def run_flow(flow: Flow, root_url: str, variables: Mapping[str, str],
             report: Callable[[StepResult], None] = lambda _result: None) -> list[StepResult]:
    """Steps run in order and all of them run: a failure is reported, never fatal, so one
    missing feature does not hide what the rest of the flow would show."""
    state = _Vars(variables)
    results = []
    with requests.Session() as session:
        for step in flow.steps:
            result = _run_step(session, flow, step, root_url, state)
            report(result)
            results.append(result)
    return results
