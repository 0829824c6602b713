"""Property-based requests from the OpenAPI spec (schemathesis strategies
driven by hypothesis): whatever the input, no endpoint answers 5xx, and every
error has the project's shape. Bounded: a fixed number of examples per
operation, derandomised so a run is repeatable."""

from datetime import timedelta

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.controller.conftest import bearer

EXAMPLES_PER_OPERATION = 12


def test_no_input_yields_a_server_error(app, factory):
    node = factory.agent()
    owner = factory.user()
    factory.booking(owner)
    factory.booking(owner, start_in=timedelta(days=1), status="approved", agent_id=node.id)
    users = [factory.admin(), owner]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    seen = []

    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            for user in users:  # a fresh token each time: the fuzzed logout revokes the one it is given
                response = case.call(headers=bearer(user))
                seen.append(response.status_code)
                assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
                if response.status_code >= 400:
                    assert set(response.json()) == {"error", "message", "details"}, response.text

        exercise()
    print(f"\nfuzz: {len(seen)} requests over {len(operations)} operations, statuses {sorted(set(seen))}")
    assert any(status < 300 for status in seen) and any(status >= 400 for status in seen)
