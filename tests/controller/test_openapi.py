"""The OpenAPI spec tells the truth about errors and security (the responses
themselves are checked against it in test_fuzz.py)."""

import pytest

PUBLIC = {("post", "/api/auth/register"), ("post", "/api/auth/login"), ("get", "/api/health")}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def test_the_error_schema_is_the_shape_the_api_answers(client, spec):
    error = spec["components"]["schemas"]["Error"]
    answered = client.post("/api/auth/login", json={}).get_json()

    assert set(error["properties"]) == set(error["required"]) == set(answered) == {"error", "message", "details"}
    assert error["additionalProperties"] is False


def test_public_operations_need_no_token_and_the_others_a_bearer_token(spec):
    assert "security" not in spec
    for method, path, operation in operations(spec):
        if (method, path) in PUBLIC:
            assert operation["security"] == [], (method, path)
            assert "401" not in operation["responses"] or path == "/api/auth/login", (method, path)
        elif path.startswith(("/api/admin", "/api/student")) or path in ("/api/auth/me", "/api/auth/logout"):
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
    admin_ops = [op for method, path, op in operations(spec) if path.startswith("/api/admin")]
    assert admin_ops and all("403" in op["responses"] for op in admin_ops)


def test_every_operation_lists_its_error_statuses_without_a_catch_all(spec):
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        assert "503" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response == {"$ref": f"#/components/responses/{response['$ref'].rsplit('/', 1)[1]}"}
    assert spec["components"]["responses"]["CONFLICT"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
