"""Property-based requests from the OpenAPI spec (schemathesis strategies
driven by hypothesis), sent as a student and as an admin: whatever the input,
no endpoint answers 5xx, every status is one the spec documents for that
operation, and every body matches its documented schema (errors included).
Bounded: a fixed number of examples per operation, derandomised so a run is
repeatable. `bench/schemathesis_run.py` runs the same checks 10,000+ times."""

from datetime import timedelta

from tests.controller import conformance
from tests.controller.conftest import bearer

EXAMPLES_PER_OPERATION = 12


def test_every_response_conforms_to_the_spec_for_both_roles(app, factory):
    node = factory.agent()
    owner = factory.user()
    factory.booking(owner)
    factory.booking(owner, start_in=timedelta(days=1), status="approved", agent_id=node.id)
    admin = factory.admin()
    identities = {"student": lambda: bearer(owner), "admin": lambda: bearer(admin)}

    tally = conformance.run(app, identities, EXAMPLES_PER_OPERATION)

    print(f"\nfuzz: {tally.summary()}")
    assert tally.operations >= 25
    assert tally.server_errors == 0 and tally.violations == 0, "\n".join(tally.failures)
    assert any(status < 300 for status in tally.statuses) and any(status >= 400 for status in tally.statuses)
