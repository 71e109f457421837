"""RFC 7644 §3.7 Bulk as orchestration over the single-resource use cases. A bulk operation
is the request it stands for, so it goes through the same use case: validated, versioned,
seat-checked and audited exactly like that request. This module decides in which order the
operations run, what `bulkId:` references stand for, and what each result says; where each
operation's transaction begins and ends is the caller's (`Transact`), because transactions
belong to app/. docs/bulk.md gives the reasons for the choices the RFC leaves open."""
from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from scim import groups, users
from scim.errors import ScimError, invalid_syntax, invalid_value
from scim.resources import etag
from scim.users import WriteContext

BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
_REFERENCE = "bulkId:"
_PATH = re.compile(r"(?P<endpoint>/[^/?]+)(?:/(?P<id>[^/?]+))?/?")
_SUPPORTED = "POST /Users or /Groups, or PUT, PATCH or DELETE /Users/{id} or /Groups/{id}"


# --- what each operation does -------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What a committed operation leaves for its result: the resource's id, and its version
    (None once deleted)."""

    resource_id: str
    version: int | None


Transact = Callable[[Callable[[Session], Written]], Written]
"""Runs the work in a transaction of its own and returns once it committed; a refusal comes
back as the ScimError it reads as, a seat refusal already audited."""


@dataclass(frozen=True)
class _Call:
    """An operation ready for its use case: references replaced by ids, precondition in ctx."""

    resource_id: str | None  # None for a POST: the use case makes the id
    data: Any
    ctx: WriteContext

    @property
    def existing_id(self) -> str:
        """The id a PUT, PATCH or DELETE names (_target has made sure it names one)."""
        assert self.resource_id is not None, "only a POST has no resource id"
        return self.resource_id


_Perform = Callable[[Session, _Call], Written]


@dataclass(frozen=True)
class _Action:
    """One use case, and the status its single-resource endpoint answers with, so that a
    result reads like the response to the request the operation stands for."""

    status: int
    perform: _Perform


def _written(row: Any) -> Written:
    return Written(row.id, row.version)


def _creates(create: Callable[[Session, Any, WriteContext], Any]) -> _Perform:
    return lambda session, call: _written(create(session, call.data, call.ctx))


def _changes(change: Callable[[Session, str, Any, WriteContext], Any]) -> _Perform:
    return lambda session, call: _written(change(session, call.existing_id, call.data, call.ctx))


def _deletes(delete: Callable[[Session, str, WriteContext], None]) -> _Perform:
    def perform(session: Session, call: _Call) -> Written:
        delete(session, call.existing_id, call.ctx)
        return Written(call.existing_id, None)

    return perform


_ACTIONS: dict[tuple[str, str], _Action] = {
    ("POST", "/Users"): _Action(201, _creates(users.create_user)),
    ("PUT", "/Users"): _Action(200, _changes(users.replace_user)),
    ("PATCH", "/Users"): _Action(200, _changes(users.patch_user)),
    ("DELETE", "/Users"): _Action(204, _deletes(users.delete_user)),
    ("POST", "/Groups"): _Action(201, _creates(groups.create_group)),
    ("PUT", "/Groups"): _Action(200, _changes(groups.replace_group)),
    ("PATCH", "/Groups"): _Action(204, _changes(groups.patch_group)),
    ("DELETE", "/Groups"): _Action(204, _deletes(groups.delete_group)),
}

_ENDPOINTS = {endpoint.lower(): endpoint for _, endpoint in _ACTIONS}


# --- the request --------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One element of `Operations` as sent. It is checked only when it runs, so that a
    malformed operation fails in its own result instead of failing the whole request."""

    index: int
    method: Any = None
    path: Any = None
    bulk_id: Any = None
    version: Any = None
    data: Any = None

    @property
    def creates(self) -> str | None:
        """The bulkId this operation gives a new resource, if it is a POST that names one."""
        is_post = isinstance(self.method, str) and self.method.upper() == "POST"
        return self.bulk_id if is_post and isinstance(self.bulk_id, str) and self.bulk_id else None

    def references(self) -> set[str]:
        """Every bulkId this operation refers to, in its path or anywhere in its data."""
        found: set[str] = set()

        def note(bulk_id: str) -> str:
            found.add(bulk_id)
            return bulk_id

        _substitute([_path_id(self.path), self.data], note)
        return found


@dataclass(frozen=True)
class BulkRequest:
    operations: tuple[Operation, ...]
    fail_on_errors: int | None


def _lowered(value: dict[str, Any]) -> dict[str, Any]:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    return {key.lower(): item for key, item in value.items() if isinstance(key, str)}


def _operation(index: int, raw: Any) -> Operation:
    fields = _lowered(raw) if isinstance(raw, dict) else {}
    return Operation(
        index,
        method=fields.get("method"),
        path=fields.get("path"),
        bulk_id=fields.get("bulkid"),
        version=fields.get("version"),
        data=fields.get("data"),
    )


def _fail_on_errors(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_value("failOnErrors must be a whole number of at least 1")
    return value


def parse_request(body: Any, max_operations: int) -> BulkRequest:
    """The request as a whole is refused only when it is not a BulkRequest at all or is over
    maxOperations (413, RFC 7644 §3.7.4); everything else is judged per operation."""
    if not isinstance(body, dict):
        raise invalid_syntax("the request body must be a BulkRequest JSON object")
    fields = _lowered(body)
    claimed = fields.get("schemas")
    if claimed is not None and not (isinstance(claimed, list) and BULK_REQUEST_SCHEMA in claimed):
        raise invalid_syntax(f"schemas must list {BULK_REQUEST_SCHEMA}")
    operations = fields.get("operations")
    if not isinstance(operations, list):
        raise invalid_syntax("Operations must be a list of operations")
    if len(operations) > max_operations:
        raise ScimError(
            413, f"{len(operations)} operations are more than maxOperations ({max_operations})"
        )
    return BulkRequest(
        tuple(_operation(index, raw) for index, raw in enumerate(operations)),
        _fail_on_errors(fields.get("failonerrors")),
    )


# --- references and order -----------------------------------------------------------------


def _split_path(path: Any) -> tuple[str, str | None] | None:
    """(endpoint, id or None) of a path such as /Users or /Groups/{id}; None if malformed.
    As lenient as the HTTP routes: the endpoint in any letter case, a trailing slash."""
    match = _PATH.fullmatch(path) if isinstance(path, str) else None
    if match is None:
        return None
    endpoint = _ENDPOINTS.get(match["endpoint"].lower(), match["endpoint"])
    return endpoint, match["id"]


def _path_id(path: Any) -> str | None:
    parts = _split_path(path)
    return None if parts is None else parts[1]


def _substitute(value: Any, resolve: Callable[[str], str]) -> Any:
    """`value` with every whole-string `bulkId:<id>` replaced by resolve(<id>), at any depth."""
    if isinstance(value, str) and value.startswith(_REFERENCE):
        return resolve(value.removeprefix(_REFERENCE))
    if isinstance(value, dict):
        return {key: _substitute(item, resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, resolve) for item in value]
    return value


def _creators(operations: Sequence[Operation]) -> dict[str, int]:
    """bulkId → the first POST that names it; a later POST with the same bulkId is refused."""
    creators: dict[str, int] = {}
    for operation in operations:
        if operation.creates is not None:
            creators.setdefault(operation.creates, operation.index)
    return creators


def _order(
    operations: Sequence[Operation], creators: dict[str, int]
) -> tuple[list[int], list[int]]:
    """(the indexes in running order, those that wait on a cycle). Request order, except
    that an operation referring to a bulkId waits until the POST that creates it ran: Kahn's
    algorithm, lowest index first. What never becomes ready waits, directly or not, on a
    cycle (a POST referring to its own bulkId is one)."""
    waiting = {
        op.index: {creators[ref] for ref in op.references() if ref in creators}
        for op in operations
    }
    dependents: dict[int, list[int]] = defaultdict(list)
    for index, creating in waiting.items():
        for creator in creating:
            dependents[creator].append(index)
    pending = {index: len(creating) for index, creating in waiting.items()}
    ready = [index for index, count in pending.items() if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for dependent in dependents[index]:
            pending[dependent] -= 1
            if pending[dependent] == 0:
                heapq.heappush(ready, dependent)
    ran = set(order)
    return order, [index for index in pending if index not in ran]


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    operation: Operation
    status: int
    location: str | None = None
    version: str | None = None
    error: ScimError | None = None

    def to_dict(self) -> dict[str, Any]:
        """The body is sent for errors only: RFC 7644 §3.7.3 lets a server omit it on success,
        and a client that wants the resource has its location."""
        result: dict[str, Any] = {}
        if isinstance(self.operation.method, str):
            result["method"] = self.operation.method
        if isinstance(self.operation.bulk_id, str):
            result["bulkId"] = self.operation.bulk_id
        if self.location is not None:
            result["location"] = self.location
        if self.version is not None:
            result["version"] = self.version
        result["status"] = str(self.status)
        if self.error is not None:
            result["response"] = self.error.to_dict()
        return result


def _accepted_versions(version: Any) -> frozenset[str] | None:
    """An operation's `version` is the ETag an If-Match header would carry (RFC 7644 §3.7);
    `*` or none sets no precondition, as in app.scim_api.request.if_match."""
    if version is None:
        return None
    if not isinstance(version, str):
        raise invalid_syntax('version must be an ETag such as W/"3"')
    tag = version.strip()
    return None if tag == "*" else frozenset({tag.removeprefix("W/").strip('"')})


@dataclass(frozen=True)
class _Target:
    """What an operation asks for, once its method and path are known to make sense."""

    method: str
    action: _Action
    endpoint: str
    path_id: str | None  # as sent: possibly a bulkId reference


def _target(operation: Operation) -> _Target:
    if isinstance(operation.path, str) and "?" in operation.path:
        # RFC 7644 §3.7: `path` is the resource's path. A result carries no resource body,
        # so `attributes` there could only be ignored, and a silent ignore reads as honoured.
        raise invalid_syntax(
            f"{operation.path} has a query; a bulk operation's path takes none. Results "
            "carry no resource: GET the result's location with attributes for it"
        )
    method = operation.method.upper() if isinstance(operation.method, str) else None
    parts = _split_path(operation.path)
    action = None if method is None or parts is None else _ACTIONS.get((method, parts[0]))
    if method is None or action is None or parts is None or (method == "POST") != (parts[1] is None):
        raise invalid_syntax(
            f"{operation.method} {operation.path} is not a bulk operation; use {_SUPPORTED}"
        )
    return _Target(method, action, parts[0], parts[1])


@dataclass
class _Run:
    """The state of one bulk request while it runs: which POST creates which bulkId, which
    operations wait on a cycle, and the ids the committed POSTs created."""

    ctx: WriteContext
    base_url: str
    transact: Transact
    creators: dict[str, int]
    circular: frozenset[int]
    created: dict[str, str] = field(default_factory=dict)

    def perform(self, operation: Operation) -> _Result:
        try:
            target = _target(operation)
            resource_id = None if target.path_id is None else self._resolved(target.path_id)
        except ScimError as error:
            return _Result(operation, error.status, error=error)
        location = self._location(target.endpoint, resource_id)
        try:
            call = self._call(operation, target, resource_id)
            written = self.transact(lambda session: target.action.perform(session, call))
        except ScimError as error:
            return _Result(operation, error.status, location=location, error=error)
        if operation.creates is not None:
            self.created[operation.creates] = written.resource_id
        return _Result(
            operation,
            target.action.status,
            location=self._location(target.endpoint, written.resource_id),
            version=None if written.version is None else etag(written.version),
        )

    def _location(self, endpoint: str, resource_id: str | None) -> str | None:
        """RFC 7644 §3.7.3: every result has a location but that of a failed POST."""
        return None if resource_id is None else f"{self.base_url}{endpoint}/{resource_id}"

    def _call(self, operation: Operation, target: _Target, resource_id: str | None) -> _Call:
        if target.method == "POST":
            self._check_bulk_id(operation)
        data = None if target.method == "DELETE" else self._data(operation)
        ctx = replace(self.ctx, if_match=_accepted_versions(operation.version))
        return _Call(resource_id, data, ctx)

    def _check_bulk_id(self, operation: Operation) -> None:
        if operation.creates is None:
            raise invalid_syntax("a POST needs a bulkId (RFC 7644 §3.7): a non-empty string")
        if self.creators[operation.creates] != operation.index:
            raise invalid_value(f"bulkId {operation.creates!r} is used by an earlier POST")

    def _data(self, operation: Operation) -> dict[str, Any]:
        if not isinstance(operation.data, dict):
            raise invalid_syntax("data must be a JSON object: the body of the request")
        data: dict[str, Any] = _substitute(operation.data, self._id_of)  # a dict stays a dict
        return data

    def _resolved(self, path_id: str) -> str:
        resolved: str = _substitute(path_id, self._id_of)  # a string stays a string
        return resolved

    def _id_of(self, bulk_id: str) -> str:
        """Unknown, or its POST failed: the value cannot be resolved (400 invalidValue).
        Circular: RFC 7644 §3.7.1 lets a server that does not resolve cycles answer 409."""
        if bulk_id in self.created:
            return self.created[bulk_id]
        if bulk_id not in self.creators:
            raise invalid_value(f"no POST of this request has bulkId {bulk_id!r}")
        if self.creators[bulk_id] in self.circular:
            raise ScimError(
                409,
                f"bulkId:{bulk_id} is in a circular reference, or waits on one; this server "
                "does not resolve cycles: create the resources first, then link them by PATCH",
            )
        raise invalid_value(f"bulkId:{bulk_id} has no id: the POST that creates it failed")


def run(
    request: BulkRequest, ctx: WriteContext, base_url: str, transact: Transact
) -> dict[str, Any]:
    """Runs the operations in dependency order, each in its own transaction, until the end
    or failOnErrors errors; the BulkResponse lists the results of those that ran, in
    request order (a DELETE has no bulkId, so position is how a client finds its result)."""
    creators = _creators(request.operations)
    order, circular = _order(request.operations, creators)
    state = _Run(ctx, base_url, transact, creators, frozenset(circular))
    results: dict[int, _Result] = {}
    errors = 0
    for index in order + circular:
        results[index] = result = state.perform(request.operations[index])
        errors += result.error is not None
        if errors == request.fail_on_errors:
            break
    return {
        "schemas": [BULK_RESPONSE_SCHEMA],
        "Operations": [results[index].to_dict() for index in sorted(results)],
    }
