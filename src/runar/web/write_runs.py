"""The write endpoints of a run: create, finish, metrics, config, tags, notes and steps.

Each is ``async def endpoint(api, call) -> (status, reply)``: it decodes and checks the
whole body first (write_schema), then appends through ``api.append`` (write.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from typing import TYPE_CHECKING, Any, Final

from runar.events import (
    AnyEvent,
    ConfigSet,
    MetricsLogged,
    NoteAdded,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TagsChanged,
)
from runar.ids import ALPHABET, RUN_ID_CHARS, is_run_id, new_run_id, short
from runar.projects import store_project
from runar.redact import redact_mapping
from runar.web.write_schema import (
    BadRequest,
    EmptyBody,
    Finish,
    NewRun,
    NewStep,
    Note,
    StepFailure,
    Tags,
    check_config,
    clean_tags,
    decode,
    decode_points,
    out_of_range_at,
)

if TYPE_CHECKING:
    from runar.web.write import Call, WriteApi


NDJSON_TYPES: Final = ("application/x-ndjson", "application/ndjson", "application/jsonl")
STEP_ID_BYTES: Final = 4


def derived_run_id(call: Call) -> str:
    """The run id an Idempotency-Key stands for, the same after a restart.

    It is drawn from the token's stored hash, so two stores (or a token created again)
    never derive the same id from the same key.
    """
    seed = f"run\0{call.token.sha256}\0{call.idempotency_key}".encode()
    bits = int.from_bytes(hashlib.sha256(seed).digest()[:10], "big")
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RUN_ID_CHARS))


def derived_step_id(call: Call) -> str:
    """The step id an Idempotency-Key stands for within its run."""
    seed = f"step\0{call.token.sha256}\0{call.run_id}\0{call.idempotency_key}".encode()
    return hashlib.sha256(seed).hexdigest()[: 2 * STEP_ID_BYTES]


async def create_run(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    try:
        new = decode(call.body, NewRun)
    except BadRequest as bad:
        raise out_of_range_at(call.body, bad, "config") from None
    token = call.token
    if token.project is not None and new.project not in (None, token.project):
        raise BadRequest(
            403,
            f"token '{token.name}' creates runs only in project '{token.project}'",
            "project",
        )
    if new.parent_run is not None and not is_run_id(new.parent_run):
        raise BadRequest(
            422, f"parent_run {new.parent_run[:40]!r} is not a run id (16 characters)", "parent_run"
        )
    project = new.project or token.project or store_project(api.store.root)
    tags = clean_tags(new.tags, "tags")
    config = check_config(new.config)
    command = new.command.split() if isinstance(new.command, str) else list(new.command)
    run_id = new_run_id() if call.idempotency_key is None else derived_run_id(call)
    if call.idempotency_key is not None and api.store.run_dir(run_id).is_dir():
        # a retry from before a restart of this server: the run is already there
        facts = await api.facts(run_id, token)
        if facts.started:
            shown = facts.project or store_project(api.store.root)
            return 201, {"id": run_id, "short_id": short(run_id), "project": shown}
    api.store.create()
    events: list[AnyEvent] = [
        RunStarted(
            run_id=run_id,
            name=new.name,
            source=f"http:{token.name}",
            command=command,
            host=new.host or "",
            user=new.user or "",
            parent_run=new.parent_run,
            parse_output=False,
            project=project,
        )
    ]
    if config:
        events.append(ConfigSet(values=redact_mapping(config)))
    if tags:
        events.append(TagsChanged(added=tags))
    facts = api.remember(run_id)
    await api.append(dataclasses.replace(call, run_id=run_id), events, facts)
    return 201, {"id": run_id, "short_id": short(run_id), "project": project}


async def finish(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    end = decode(call.body, Finish, empty_ok=True)
    facts = await api.facts(call.run_id, call.token)
    if facts.finished:
        raise BadRequest(409, f"run {short(call.run_id or '')} has already finished")
    event = RunFinished(
        status=end.status, exit_code=end.exit_code, error=end.error, error_type=end.error_type
    )
    await api.append(call, [event], facts)
    assert call.run_id is not None
    await asyncio.to_thread(api.writers.close, call.token.name, call.run_id)
    return 200, {"id": call.run_id, "status": end.status}


async def metrics(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    points = decode_points(call.body, content_type in NDJSON_TYPES)
    facts = await api.facts(call.run_id, call.token)
    api.refuse_if_finished(call.run_id, facts)
    steps = {p.workflow_step for p in points if p.workflow_step is not None}
    for step_id in steps:
        await api.known_step(call.run_id or "", facts, step_id, "workflow_step")
    events: list[AnyEvent] = []
    for p in points:
        event = MetricsLogged(values=p.values, step=p.step, workflow_step=p.workflow_step)
        if p.ts:
            event.ts = p.ts
        events.append(event)
    await api.append(call, events, facts)
    return 200, {"accepted": len(events)}


async def config(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    try:
        values = check_config(decode(call.body, dict[str, Any]))
    except BadRequest as bad:
        raise out_of_range_at(call.body, bad, "") from None
    facts = await api.facts(call.run_id, call.token)
    api.refuse_if_finished(call.run_id, facts)
    await api.append(call, [ConfigSet(values=redact_mapping(values))], facts)
    return 200, {"keys": len(values)}


async def tags(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    tags = decode(call.body, Tags)
    added, removed = clean_tags(tags.add, "add"), clean_tags(tags.remove, "remove")
    if not added and not removed:
        raise BadRequest(422, 'no tag to add or remove; e.g. {"add": ["baseline"]}', "add")
    facts = await api.facts(call.run_id, call.token)
    await api.append(call, [TagsChanged(added=added, removed=removed)], facts)
    return 200, {"added": added, "removed": removed}


async def notes(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    note = decode(call.body, Note)
    facts = await api.facts(call.run_id, call.token)
    await api.append(call, [NoteAdded(text=note.text)], facts)
    return 200, {"ok": True}


async def new_step(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    new = decode(call.body, NewStep)
    facts = await api.facts(call.run_id, call.token)
    api.refuse_if_finished(call.run_id, facts)
    if new.parent is not None:
        await api.known_step(call.run_id or "", facts, new.parent, "parent")
    if call.idempotency_key is None:
        step_id = os.urandom(STEP_ID_BYTES).hex()  # the SDK's shape: 8 hex characters
    else:
        step_id = derived_step_id(call)
        if step_id in facts.steps:  # a retry from before a restart of this server
            return 201, {"step_id": step_id, "name": new.name, "parent": new.parent}
    started = StepStarted(step_id=step_id, name=new.name, parent=new.parent)
    await api.append(call, [started], facts)
    return 201, {"step_id": step_id, "name": new.name, "parent": new.parent}


async def complete_step(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    decode(call.body, EmptyBody, empty_ok=True)
    return await _end_step(api, call, None)


async def fail_step(api: WriteApi, call: Call) -> tuple[int, dict[str, Any]]:
    return await _end_step(api, call, decode(call.body, StepFailure, empty_ok=True))


async def _end_step(
    api: WriteApi, call: Call, failure: StepFailure | None
) -> tuple[int, dict[str, Any]]:
    """Complete the step (``failure`` None) or fail it with the error given."""
    step_id = call.request.path_params["step_id"]
    facts = await api.facts(call.run_id, call.token)
    status = await api.known_step(call.run_id or "", facts, step_id, "step")
    if status != "running":
        raise BadRequest(409, f"step '{step_id}' has already ended ({status})", "step")
    if failure is None:
        event = StepFinished(step_id=step_id, status="completed")
    else:
        event = StepFinished(
            step_id=step_id,
            status="failed",
            error=failure.error,
            error_type=failure.error_type,
        )
    await api.append(call, [event], facts)
    return 200, {"step_id": step_id, "status": event.status}
