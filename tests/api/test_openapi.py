"""The OpenAPI documents the refusals of each operation, all with one error schema."""

from __future__ import annotations

from django.test import Client


def test_every_operation_documents_its_refusals_with_one_error_schema(db):
    document = Client().get("/api/v1/openapi.json").json()
    assert set(document["components"]["schemas"]["ErrorOut"]["properties"]) == {"message", "code", "extra"}
    operations = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            operations += 1
            label = f"{method.upper()} {path}"
            refusals = {code for code in operation["responses"] if code.startswith("4")}
            # Any input can be wrong (a NUL in the address at least).
            assert "400" in refusals, label
            if operation.get("security"):
                assert "401" in refusals, label
            if "{" in path:
                assert "404" in refusals, label
            if method == "post":
                assert {"403", "413"} <= refusals, label  # a session's CSRF check; the body limit
            for code in refusals:
                schema = operation["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (label, code)
    assert operations >= 15


def test_no_two_schemas_share_a_name(db):
    """Two apps' schemas of one class name would be one component in the OpenAPI: one app's answers
    would be documented with the other's shape."""
    import ninja

    import civicgrid.api  # noqa: F401 - imports every router and its schemas

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names: dict[str, set[str]] = {}
    for schema in subclasses(ninja.Schema):
        if schema.__module__.startswith("civicgrid."):
            names.setdefault(schema.__name__, set()).add(schema.__module__)
    assert {name: modules for name, modules in names.items() if len(modules) > 1} == {}
