"""JSON Schemas of the Open311 GeoReport v2 answers, written from the spec (open311.github.io,
GeoReport v2 and Service Discovery) and its examples: field names exactly as the spec spells them,
ids as strings, datetimes W3C ISO 8601 with a zone."""

from __future__ import annotations

W3C = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DATETIME = {"type": "string", "pattern": W3C}
NULLABLE_DATETIME = {"anyOf": [DATETIME, {"type": "null"}]}
NULLABLE_TEXT = {"type": ["string", "null"]}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "changeset": DATETIME,
        "contact": {"type": "string", "minLength": 1},
        "key_service": {"type": "string", "minLength": 1},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "additionalProperties": False,
                "properties": {
                    "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "changeset": DATETIME,
                    "type": {"enum": ["production", "test"]},
                    "formats": {
                        "type": "array",
                        "items": {"enum": ["text/xml", "application/json"]},
                        "minItems": 2,
                        "uniqueItems": True,
                    },
                },
            },
        },
    },
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string", "minLength": 1},
            "description": NULLABLE_TEXT,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": NULLABLE_TEXT,
            "group": NULLABLE_TEXT,
        },
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "additionalProperties": False,
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                    "values",
                ],
                "additionalProperties": False,
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string", "minLength": 1},
                    "datatype": {
                        "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": NULLABLE_TEXT,
                    "order": {"type": "integer", "minimum": 1},
                    "description": {"type": "string", "minLength": 1},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "additionalProperties": False,
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}

POST_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_notice", "account_id"],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "token": {"type": "string", "minLength": 1},
            "service_notice": NULLABLE_TEXT,
            "account_id": NULLABLE_TEXT,
        },
        # An id or a token, never both.
        "oneOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
    },
}

REQUEST_FIELDS = {
    "service_request_id": {"type": "string", "minLength": 1},
    "status": {"enum": ["open", "closed"]},
    "status_notes": NULLABLE_TEXT,
    "service_name": {"type": "string"},
    "service_code": {"type": "string"},
    "description": NULLABLE_TEXT,
    "agency_responsible": NULLABLE_TEXT,
    "service_notice": NULLABLE_TEXT,
    "requested_datetime": DATETIME,
    "updated_datetime": NULLABLE_DATETIME,
    "expected_datetime": NULLABLE_DATETIME,
    "address": NULLABLE_TEXT,
    "address_id": NULLABLE_TEXT,
    "zipcode": NULLABLE_TEXT,
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "long": {"type": "number", "minimum": -180, "maximum": 180},
    "media_url": {"anyOf": [{"type": "string", "pattern": "^https?://"}, {"type": "null"}]},
}

REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": list(REQUEST_FIELDS),
        "additionalProperties": False,
        "properties": REQUEST_FIELDS,
    },
}

# With extensions=true: the same record, plus our detailed step and the public timeline.
REQUESTS_EXTENDED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [*REQUEST_FIELDS, "extended_attributes", "notes"],
        "additionalProperties": False,
        "properties": {
            **REQUEST_FIELDS,
            "extended_attributes": {
                "type": "object",
                "required": ["detailed_status", "detailed_status_label", "group", "status_url"],
            },
            "notes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["datetime", "description", "type"],
                    "properties": {"datetime": DATETIME, "description": {"type": "string"}},
                },
            },
        },
    },
}

TOKENS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "additionalProperties": False,
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}
