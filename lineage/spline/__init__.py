"""One typed model of Spline producer API payloads (v1, v1.1, v1.2): parse, build, walk.

The producer validates every body with these parsers before storing it; the normalize job parses
the stored bodies with the same code, so both sides agree on what a plan and an event are. The
benchmark generator and the test builders build payloads from the same model
(`lineage.spline.encode`), and the column-lineage walk (`lineage.column_lineage`) reads it.

Modules: `model` (the dataclasses), `versions` (API versions and Content-Types), `errors`,
`parse` (bytes or decoded JSON -> model), `references` (ids hold together), `encode`
(model -> the agent's JSON), `fields` (typed field readers with JSON paths), and `v1`, `v1_1`,
`v1_2`: what each version lays out differently, behind one `dialect.Dialect` interface.

Public names (stable; other packages depend on them), all importable from `lineage.spline`:

- `ApiVersion` (`V1`, `V1_1`, `V1_2`), `api_version_from_content_type(ct)`,
  `content_type_for(version)`, `SUPPORTED_CONTENT_TYPES`.
- `ExecutionPlan` with `Operations` (`write: WriteOperation`, `reads: tuple[ReadOperation]`,
  `other: tuple[DataOperation]`), `Attribute`, `Expressions` (`functions: FunctionalExpression`,
  `constants: Constant`), `AttrRef` / `ExprRef` (`ChildRef`), `NameAndVersion`, `DataType`,
  `StructField`; `ExecutionEvent`.
- `load_execution_plan(body, version)`, `load_execution_events(body, version)` (bytes in),
  `parse_execution_plan(doc, version)`, `parse_execution_events(doc, version)` (decoded JSON in),
  `decode_json(body)`, `find_refs(value)`, `check_plan_references(plan)`;
  `plan_document(plan)`, `ref_document(ref)`, `event_document(event)`,
  `events_document(events)` (model out as JSON-ready objects, v1.1 and v1.2).
- Errors: `PayloadError` (base; `.path` is the JSON path of what is wrong, `.problem` the rest)
  with `MalformedJsonError`, `MissingFieldError`, `WrongTypeError`, `InvalidValueError`,
  `DuplicateIdError`, `DanglingReferenceError`, `LimitExceededError`; and
  `UnsupportedContentTypeError`; `EncodeError` (a v1 payload asked to be written).
"""

from __future__ import annotations

from lineage.spline.encode import event_document, events_document, plan_document, ref_document
from lineage.spline.errors import (
    DanglingReferenceError,
    DuplicateIdError,
    EncodeError,
    InvalidValueError,
    LimitExceededError,
    MalformedJsonError,
    MissingFieldError,
    PayloadError,
    UnsupportedContentTypeError,
    WrongTypeError,
)
from lineage.spline.model import (
    Attribute,
    AttrRef,
    ChildRef,
    Constant,
    DataOperation,
    DataType,
    ExecutionEvent,
    ExecutionPlan,
    Expression,
    Expressions,
    ExprRef,
    FunctionalExpression,
    JsonObject,
    JsonValue,
    NameAndVersion,
    Operation,
    Operations,
    ReadOperation,
    StructField,
    WriteOperation,
    find_refs,
)
from lineage.spline.parse import (
    decode_json,
    load_execution_events,
    load_execution_plan,
    parse_execution_events,
    parse_execution_plan,
)
from lineage.spline.references import check_plan_references
from lineage.spline.versions import (
    SUPPORTED_CONTENT_TYPES,
    ApiVersion,
    api_version_from_content_type,
    content_type_for,
)

__all__ = [
    "SUPPORTED_CONTENT_TYPES",
    "ApiVersion",
    "AttrRef",
    "Attribute",
    "ChildRef",
    "Constant",
    "DanglingReferenceError",
    "DataOperation",
    "DataType",
    "DuplicateIdError",
    "EncodeError",
    "ExecutionEvent",
    "ExecutionPlan",
    "ExprRef",
    "Expression",
    "Expressions",
    "FunctionalExpression",
    "InvalidValueError",
    "JsonObject",
    "JsonValue",
    "LimitExceededError",
    "MalformedJsonError",
    "MissingFieldError",
    "NameAndVersion",
    "Operation",
    "Operations",
    "PayloadError",
    "ReadOperation",
    "StructField",
    "UnsupportedContentTypeError",
    "WriteOperation",
    "WrongTypeError",
    "api_version_from_content_type",
    "check_plan_references",
    "content_type_for",
    "decode_json",
    "event_document",
    "events_document",
    "find_refs",
    "load_execution_events",
    "load_execution_plan",
    "parse_execution_events",
    "parse_execution_plan",
    "plan_document",
    "ref_document",
]
