"""Property-based fuzzing of Pantau's own OpenAPI document with schemathesis, authenticated as an
admin, bounded per operation: no request may produce a 5xx."""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.seed import seed

pytestmark = pytest.mark.slow  # fuzzing every operation

# Excluded: the login form (its rate limiter would turn fuzzing into 429s) and uploads (slow, and
# covered by the import and body-limit tests).
EXCLUDED = {("POST", "/api/auth/token"), ("POST", "/api/imports/{kind}")}
# Operations whose valid requests are expensive (a PDF atlas per example) get fewer examples.
FEWER = {"/api/reports": 5, "/api/exports/{kind}": 10, "/api/tiles/{collection}/{z}/{x}/{y}.mvt": 10}
EXAMPLES = 20
BUDGET_SECONDS = 480


@pytest.fixture(scope="module")
def data(server_url, template_db):
    """Its own database: the fuzzer edits and revokes things."""
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


def test_schemathesis_finds_no_server_errors(data):
    schema = schemathesis.openapi.from_url(f"{data.server.base}/api/openapi.json", timeout=30)
    headers = data.headers("admin")
    failures: list[str] = []
    operations = 0
    calls = [0]
    deadline = time.monotonic() + BUDGET_SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        if time.monotonic() > deadline:
            break
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=FEWER.get(operation.path, EXAMPLES), deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def probe(case):
            response = case.call(headers=headers, timeout=120)
            calls[0] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: "
                                f"{response.text[:200]}")

        probe()
    assert operations > 30 and calls[0] > 10 * operations
    assert failures == []
