"""Schemathesis over the whole OpenAPI spec, asserting that the API does what
the spec says: no 5xx, every status code documented for its operation, and
every body (errors included) valid against the documented schema.

Shared by `tests/controller/test_fuzz.py` (a few examples per operation) and
`bench/schemathesis_run.py` (10,000+ cases). Each generated case is sent once
per identity (a student and an admin by default), each time with a fresh
token, because a fuzzed logout revokes the token it is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    violations: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    # (method, path template, status) -> how many answers broke the spec
    broken: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"{self.cases} cases over {self.operations} operations: {self.server_errors} x 5xx, "
                f"{self.violations} schema violations; statuses {dict(sorted(self.statuses.items()))}")

    def add(self, other: Tally) -> None:
        self.cases += other.cases
        self.server_errors += other.server_errors
        self.violations += other.violations
        self.statuses.update(other.statuses)
        self.broken.update(other.broken)
        self.failures.extend(other.failures[: max(0, 20 - len(self.failures))])


def load_schema(app):
    """The app's own spec, served by the app, called in-process (WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def run(app, identities: dict[str, Callable[[], dict]], examples_per_operation: int, *,
        derandomize: bool = True, seed: int | None = None, keep: int = 20) -> Tally:
    """Send `examples_per_operation` generated cases of every operation once
    per identity (name -> a function returning fresh request headers) and
    tally 5xx answers and conformance violations (keeping the first `keep`
    messages). Never raises for a failing check: callers assert on the tally."""
    schema = load_schema(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally(operations=len(operations))
    for operation in operations:
        @settings(max_examples=examples_per_operation, deadline=None, derandomize=derandomize,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            for name, headers in identities.items():
                response = case.call(headers=headers())
                tally.cases += 1
                tally.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    tally.server_errors += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (AssertionError, FailureGroup) as failure:  # a check's failure, counted
                    tally.violations += 1
                    tally.broken[(case.method, case.operation.path, response.status_code)] += 1
                    if len(tally.failures) < keep:
                        tally.failures.append(
                            f"{name} {case.method} {case.formatted_path} -> {response.status_code} "
                            f"{response.text[:200]!r}: {str(failure).strip()[:400]}")

        if seed is not None:
            exercise = hypothesis_seed(seed)(exercise)
        exercise()
    return tally

