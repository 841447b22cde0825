"""Schemathesis hooks for tests/api/fuzz.rs: what the spec says in words but
cannot say in a schema."""

import re
import uuid

import schemathesis

KEY = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # An Idempotency-Key names one request. Generated keys repeat across
    # different requests, which the API rightly refuses with 422; a valid key
    # becomes a fresh one, an invalid one is kept to test its refusal.
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and KEY.fullmatch(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())


@schemathesis.hook
def map_body(ctx, body):
    # The upload form's documented order: the fields, then the file, which is
    # streamed and never buffered.
    if isinstance(body, dict) and "file" in body:
        return dict(sorted(body.items(), key=lambda item: item[0] == "file"))
    return body

