"""Data for the API tests (infra/api-test.sh), so that every operation is reached past its
authorisation, not only refused.

    api-test-seed.py seed BASE_URL OPENAPI_IN OPENAPI_OUT
        Makes a client-credentials connection (tag api-test:service) and an open flow through the
        running stack with the seeding token, and writes a copy of the OpenAPI document whose
        examples name them (the tag, the flow's one-time link, the clients), for schemathesis.
    api-test-seed.py coverage OPENAPI STACK_LOG FIRST_LINE
        Reads the stack's access lines from line FIRST_LINE on (after the seeding's own requests)
        and fails when an operation was never called, or only ever answered 401, 403 or 404
        (GET /oauth/start excepted: refusing is all it does).

Environment (set by infra/api-test.sh): AUTHBRIDGE_API_SEED_TOKEN (every endpoint, every
connection), AUTHBRIDGE_API_SERVICE_CLIENT and AUTHBRIDGE_API_CODE_CLIENT (client ids).
"""

import json
import os
import sys
import urllib.error
import urllib.request

TAG = "api-test:service"
STARTED_TAG = "api-test:started"
# Operations whose only purpose is a refusal.
ONLY_REFUSES = {"GET /oauth/start"}
REFUSALS = {401, 403, 404}


def call(method, url, body=None):
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            "accept": "application/json",
            "authorization": "Bearer " + os.environ["AUTHBRIDGE_API_SEED_TOKEN"],
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def seed(base, doc_in, doc_out):
    service = os.environ["AUTHBRIDGE_API_SERVICE_CLIENT"]
    code = os.environ["AUTHBRIDGE_API_CODE_CLIENT"]
    status, body = call(
        "POST",
        base + "/oauth/token",
        {"client": service, "grant": "client_credentials", "tag": TAG, "scopes": ["api:read"]},
    )
    if status != 200:
        sys.exit(f"error: seeding {TAG} answered {status}: {body}")
    status, body = call("POST", base + "/oauth/start", {"client": code, "tag": STARTED_TAG})
    if status != 200:
        sys.exit(f"error: seeding a flow answered {status}: {body}")
    link = body["url"].rsplit("/", 1)[-1]

    with open(doc_in) as f:
        doc = json.load(f)
    doc["components"]["parameters"]["Tag"]["example"] = TAG
    for parameter in doc["paths"]["/oauth/go/{link}"]["get"]["parameters"]:
        if parameter["name"] == "link":
            parameter["example"] = link
    examples = {
        ("/oauth/start", "post"): {"client": code, "tag": STARTED_TAG + ":again", "replace": True},
        ("/oauth/token", "post"): {
            "client": service,
            "grant": "client_credentials",
            "tag": TAG,
            "replace": True,
        },
    }
    for (path, method), example in examples.items():
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["example"] = example
    with open(doc_out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"seeded {TAG}, a flow link and the document's examples")


def coverage(doc_path, log_path, first_line):
    with open(doc_path) as f:
        doc = json.load(f)
    operations = {
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    seen = {op: set() for op in operations}
    with open(log_path) as f:
        for number, line in enumerate(f, start=1):
            if number < first_line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            route, status = entry.get("route"), entry.get("status")
            if route in seen and isinstance(status, int):
                seen[route].add(status)
    problems = []
    for op in sorted(operations):
        statuses = seen[op]
        if not statuses:
            problems.append(f"{op}: never called")
        elif statuses <= REFUSALS and op not in ONLY_REFUSES:
            problems.append(f"{op}: only refused ({sorted(statuses)})")
    for op in sorted(operations):
        print(f"  {op}: {sorted(seen[op])}")
    if problems:
        sys.exit("error: operations not reached past their authorisation:\n  " + "\n  ".join(problems))
    print(f"every operation reached past its authorisation ({len(operations)} operations)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "seed":
        seed(sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "coverage":
        coverage(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)
