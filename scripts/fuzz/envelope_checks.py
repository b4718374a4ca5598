"""Schemathesis checks for scripts/fuzz-api: every error answer is JSON in the envelope of the
family its path belongs to (README "Envelopes and errors"), as the Rust tests assert."""
import json
from urllib.parse import urlsplit

import schemathesis


def family(path):
    if path.startswith("/t/"):
        rest = path[3:]
        path = rest[rest.find("/"):] if "/" in rest else path
    if path.startswith(("/v2/", "/v2.1/")) or path in ("/v2", "/v2.1"):
        return "v2", ["errors", "warnings"]
    if path.startswith("/v1.1/") or path == "/v1.1":
        return "v1.1", ["response"]
    if path.startswith("/webhooks/"):
        return "webhook", ["status"]
    if path.startswith("/v3/oauth/"):
        return "oauth", ["data", "errors"]
    if path.startswith("/v3/") or path == "/v3":
        return "v3", ["data", "errors", "warnings"]
    return "plain", ["timestamp", "status", "error", "code", "message", "path"]


@schemathesis.check
def in_family_envelope(ctx, response, case):
    status = response.status_code
    if status < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/json"):
        raise AssertionError(f"{status} answered as {content_type!r}, not JSON")
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"{status} answered with a body that is not JSON: {error}")
    path = urlsplit(response.request.url).path
    name, keys = family(path)
    if path.endswith("/v2/transactions/bulk") and isinstance(body, dict) and "response" in body:
        # A bulk answer whose items were refused: each item carries its errors in the v2 item shape.
        items = body["response"]
        if list(body) != ["response", "totalCount", "failureCount"] or not all(list(item)[-2:] == ["errors", "warnings"] for item in items):
            raise AssertionError(f"{status} for {path} is not a bulk answer with v2 item errors: {body}")
        return None
    if not isinstance(body, dict) or list(body)[: len(keys)] != keys:
        raise AssertionError(f"{status} for {path} is not in the {name} envelope: {list(body) if isinstance(body, dict) else body}")
    return None
