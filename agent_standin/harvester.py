"""Turn a write command's analyzed logical plan (a py4j proxy) into a Spline execution plan.

The walk follows the agent's harvesting rules, reimplemented from its documented behaviour:
- only write commands produce lineage; the command becomes the write operation (`op-0`), its query
  is walked depth first, each distinct plan node becomes one operation (`op-N` in visit order);
- leaves that read files (`LogicalRelation` over a `HadoopFsRelation`, catalog tables) become read
  operations with qualified `inputSources` and `extra.sourceType`; every other node becomes a data
  operation named by Spark's `nodeName`, with its constructor fields as `params`;
- attributes (`attr-N`) are created once per Spark `ExprId`: an operation's output column keeps the
  id its child gave it, a new column points at its defining alias with `childRefs`;
- expressions (`expr-N`) are functions (with `params`, `extra.simpleClassName`, `_typeHint`) or
  constants; data types go to `extraInfo.dataTypes` with UUIDv5 ids;
- the plan id is a UUIDv5 of the plan's JSON content, so rerunning a job resends the same id.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from agent_standin.errors import HarvestError
from agent_standin.jvm import JavaObject, JvmTypes, class_name_of, option, seq, string_map
from agent_standin.model import (
    Attribute,
    DataOperation,
    DataType,
    ExecutionEvent,
    ExecutionPlan,
    FunctionalExpression,
    Json,
    Literal,
    ReadOperation,
    Ref,
    WriteOperation,
)

log = logging.getLogger("agent_standin")

# UUID namespaces the agent uses for plan ids and data type ids (facts, so the id scheme matches).
PLAN_NAMESPACE = uuid.UUID("475196d0-16ca-4cba-aec7-c9f2ddd9326c")
DATA_TYPE_NAMESPACE = uuid.UUID("1ec15c9d-73c0-42e5-872f-65d3feb849c4")

_CATALYST = "org.apache.spark.sql.catalyst"
_EXPR = f"{_CATALYST}.expressions"
EXPRESSION = f"{_EXPR}.Expression"
ATTRIBUTE = f"{_EXPR}.Attribute"
LOGICAL_PLAN = f"{_CATALYST}.plans.logical.LogicalPlan"
BINARY_OPERATOR = f"{_EXPR}.BinaryOperator"
LEAF_EXPRESSION = f"{_EXPR}.LeafExpression"
SCALA_SEQ = "scala.collection.Seq"
SCALA_MAP = "scala.collection.Map"
SCALA_OPTION = "scala.Option"
DATA_SOURCE_REGISTER = "org.apache.spark.sql.sources.DataSourceRegister"
JOIN_TYPE = f"{_CATALYST}.plans.JoinType"
SORT_ORDER = f"{_EXPR}.SortOrder"
DATA_TYPE = "org.apache.spark.sql.types.DataType"

# Constructor fields the agent leaves out of operation params (children are separate).
_SKIPPED_OP_PARAMS = {"nodeName", "output", "children", "child", "data"}
_SKIPPED_EXPR_PARAMS = {"children", "child", "dataType", "nullable"}
# Plan nodes whose output columns are defined by aliases in these fields.
_ALIAS_FIELDS = {
    "Project": ("projectList",),
    "Aggregate": ("aggregateExpressions",),
    "Window": ("windowExpressions",),
}
# JSON type names whose `simpleString` differs.
_SIMPLE_NAMES = {
    "integer": "int",
    "long": "bigint",
    "short": "smallint",
    "byte": "tinyint",
    "null": "void",
    "calendarinterval": "interval",
}


@dataclass(frozen=True)
class WriteCommand:
    """What a write command writes, how, and from which query."""

    name: str
    uri: str
    format: str | None
    append: bool
    query: JavaObject
    params: dict[str, Json]


@dataclass(frozen=True)
class ReadSource:
    """What a leaf node reads."""

    uris: tuple[str, ...]
    format: str | None
    params: dict[str, Json]


@dataclass
class _OpNode:
    """One distinct plan node on its way to becoming an operation."""

    plan: JavaObject
    op_id: str
    children: list[_OpNode] = field(default_factory=list)
    output_map: dict[int, str] = field(default_factory=dict)
    output_ids: list[str] = field(default_factory=list)
    built: bool = False


def simple_type_name(type_json: Json) -> str:
    """Spark's `simpleString` of a data type given as Spark's own JSON form."""
    if isinstance(type_json, str):
        return _SIMPLE_NAMES.get(type_json, type_json)
    kind = type_json["type"]
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{simple_type_name(f['type'])}" for f in type_json["fields"])
        return f"struct<{inner}>"
    if kind == "array":
        return f"array<{simple_type_name(type_json['elementType'])}>"
    if kind == "map":
        key = simple_type_name(type_json["keyType"])
        return f"map<{key},{simple_type_name(type_json['valueType'])}>"
    if kind == "udt":
        return str(type_json.get("sqlType", "udt"))
    return str(kind)


class DataTypeRegistry:
    """Assigns each distinct (type, nullable) pair one UUIDv5 id, in first-use order."""

    def __init__(self) -> None:
        self._seq = count()
        self._ids: dict[tuple[str, bool], str] = {}
        self.values: list[DataType] = []

    def id_for_json(self, type_json: Json, nullable: bool) -> str:
        key = (json.dumps(type_json, sort_keys=True), nullable)
        if key in self._ids:
            return self._ids[key]
        type_id = str(uuid.uuid5(DATA_TYPE_NAMESPACE, str(next(self._seq))))
        self._ids[key] = type_id
        if isinstance(type_json, dict) and type_json["type"] == "struct":
            fields = tuple(
                (str(f["name"]), self.id_for_json(f["type"], bool(f["nullable"])))
                for f in type_json["fields"]
            )
            self.values.append(DataType(type_id, "dt.Struct", nullable, fields=fields))
        elif isinstance(type_json, dict) and type_json["type"] == "array":
            element = self.id_for_json(type_json["elementType"], bool(type_json["containsNull"]))
            self.values.append(DataType(type_id, "dt.Array", nullable, element_type_id=element))
        else:
            name = simple_type_name(type_json)
            self.values.append(DataType(type_id, "dt.Simple", nullable, name=name))
        return type_id

    def id_for(self, spark_type: JavaObject, nullable: bool) -> str:
        return self.id_for_json(json.loads(spark_type.json()), nullable)


class _Harvest:
    """Mutable state of one harvest: id counters and everything created so far."""

    def __init__(self, types: JvmTypes) -> None:
        self.types = types
        self.attr_seq = count()
        self.expr_seq = count()
        self.op_seq = count()
        self.data_types = DataTypeRegistry()
        self.attributes: dict[str, Attribute] = {}
        self.functions: list[FunctionalExpression] = []
        self.constants: list[Literal] = []

    def next_op_id(self) -> str:
        return f"op-{next(self.op_seq)}"


class _OpConverter:
    """Converts the expressions of one operation, resolving attributes against its children."""

    def __init__(
        self, harvest: _Harvest, child_map: dict[int, str], alias_defs: dict[int, JavaObject]
    ) -> None:
        self._h = harvest
        self._child_map = child_map
        self._alias_defs = alias_defs
        self._local_attrs: dict[int, str] = {}
        self._alias_refs: dict[int, Ref] = {}

    def attribute(self, attr: JavaObject) -> str:
        """The attribute id for a Spark attribute, creating it (with its defining alias) if new."""
        expr_id = int(attr.exprId().id())
        if expr_id in self._child_map:
            return self._child_map[expr_id]
        if expr_id in self._local_attrs:
            return self._local_attrs[expr_id]
        attr_id = f"attr-{next(self._h.attr_seq)}"
        self._local_attrs[expr_id] = attr_id
        data_type = self._h.data_types.id_for(attr.dataType(), bool(attr.nullable()))
        alias = self._alias_defs.get(expr_id)
        child_refs = (self.ref(alias),) if alias is not None else ()
        self._h.attributes[attr_id] = Attribute(attr_id, str(attr.name()), data_type, child_refs)
        return attr_id

    def ref(self, expr: JavaObject) -> Ref:
        """A reference to the converted form of `expr` (attribute, constant or function)."""
        types = self._h.types
        cls = class_name_of(expr)
        if types.is_a(expr, ATTRIBUTE, cls):
            return Ref(self.attribute(expr), is_attribute=True)
        if cls == f"{_EXPR}.Literal":
            return Ref(self._literal(expr), is_attribute=False)
        if cls == f"{_EXPR}.Alias":
            expr_id = int(expr.exprId().id())
            if expr_id not in self._alias_refs:
                self._alias_refs[expr_id] = Ref(self._function(expr, cls), is_attribute=False)
            return self._alias_refs[expr_id]
        return Ref(self._function(expr, cls), is_attribute=False)

    def _literal(self, lit: JavaObject) -> str:
        expr_id = f"expr-{next(self._h.expr_seq)}"
        data_type = self._h.data_types.id_for(lit.dataType(), bool(lit.nullable()))
        value = lit.value()
        if value is not None and not isinstance(value, bool | int | float | str):
            # UTF8String, Decimal, arrays: the agent renders unknown values with toString.
            value = str(value.toString())
        extra = {"simpleClassName": "Literal", "_typeHint": "expr.Literal"}
        self._h.constants.append(Literal(expr_id, data_type, extra, value))
        return expr_id

    def _function(self, expr: JavaObject, cls: str) -> str:
        types = self._h.types
        expr_id = f"expr-{next(self._h.expr_seq)}"
        simple = cls.removeprefix(f"{_EXPR}.") if cls.startswith(f"{_EXPR}.") else cls
        extra: dict[str, Json] = {"simpleClassName": simple}
        name = str(expr.prettyName())
        untyped = simple in ("WindowSpecDefinition", "SpecifiedWindowFrame", "UnspecifiedFrame")
        if simple == "Alias":
            extra["_typeHint"] = "expr.Alias"
            name = str(expr.name())
        elif types.is_a(expr, BINARY_OPERATOR, cls):
            extra["_typeHint"] = "expr.Binary"
            extra["symbol"] = str(expr.symbol())
        elif simple == "ScalaUDF":
            extra["_typeHint"] = "expr.UDF"
            udf_name = option(expr.udfName())
            name = str(udf_name) if udf_name is not None else name
        elif types.is_a(expr, LEAF_EXPRESSION, cls):
            extra["_typeHint"] = "expr.GenericLeaf"
        elif untyped:
            extra["_typeHint"] = "expr.UntypedExpression"
        else:
            extra["_typeHint"] = "expr.Generic"
        data_type = None
        if not untyped:
            try:
                data_type = self._h.data_types.id_for(expr.dataType(), bool(expr.nullable()))
            except Exception:
                # Unresolved or type-less expressions (e.g. in failed plans) carry no type.
                data_type = None
        child_refs = tuple(self.ref(child) for child in seq(expr.children()))
        params = self._expression_params(expr)
        self._h.functions.append(
            FunctionalExpression(expr_id, name, data_type, child_refs, extra, params)
        )
        return expr_id

    def _expression_params(self, expr: JavaObject) -> dict[str, Json]:
        """Non-child constructor fields of an expression, as the agent reports them."""
        out: dict[str, Json] = {}
        for name, value in self._h.types.constructor_fields(expr):
            if name in _SKIPPED_EXPR_PARAMS:
                continue
            rendered = self._value(value, expressions_as_refs=False)
            if rendered is not None:
                out[name] = rendered
        return out

    def operation_params(self, plan: JavaObject) -> dict[str, Json]:
        """Constructor fields of a plan node, expressions replaced by references."""
        out: dict[str, Json] = {}
        for name, value in self._h.types.constructor_fields(plan):
            if name in _SKIPPED_OP_PARAMS:
                continue
            rendered = self._value(value, expressions_as_refs=True)
            if rendered is not None:
                out[name] = rendered
        return out

    def _value(self, value: Any, expressions_as_refs: bool) -> Json:
        """Render one field value the way the agent's value decomposer does."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        types = self._h.types
        cls = class_name_of(value)
        if cls.endswith("ExprId") or types.is_a(value, LOGICAL_PLAN, cls):
            return None
        if types.is_a(value, EXPRESSION, cls):
            if not expressions_as_refs:
                return None
            if cls == f"{_EXPR}.SortOrder":
                return {
                    "expression": self.ref(value.child()).to_json(),
                    "direction": str(value.direction().sql()),
                    "nullOrdering": str(value.nullOrdering().sql()),
                }
            return self.ref(value).to_json()
        if types.is_a(value, SCALA_OPTION, cls):
            inner = option(value)
            return None if inner is None else self._value(inner, expressions_as_refs)
        if types.is_a(value, SCALA_MAP, cls):
            rendered_map = {}
            for pair in seq(value.toSeq()):
                item = self._value(pair._2(), expressions_as_refs)
                if item is not None:
                    rendered_map[str(pair._1())] = item
            return rendered_map or None
        if types.is_a(value, SCALA_SEQ, cls):
            items = [self._value(v, expressions_as_refs) for v in seq(value)]
            return items or None
        if types.is_a(value, JOIN_TYPE, cls):
            return str(value.sql())
        if cls.endswith("$"):
            # Scala objects (e.g. `Complete$`) render as their simple name.
            return cls.rsplit(".", 1)[-1].rstrip("$").split("$")[-1]
        return str(value.toString())


class LineageHarvester:
    """Builds (plan, event) pairs for one Spark session's write actions."""

    def __init__(self, session: JavaObject, jvm: JavaObject, agent: tuple[str, str]) -> None:
        self._session = session  # the JVM SparkSession
        self._jvm = jvm
        self._agent = agent
        self._types = JvmTypes(jvm)
        hadoop_conf = session.sparkContext().hadoopConfiguration()
        self._fs = jvm.org.apache.hadoop.fs.FileSystem.get(hadoop_conf)

    def harvest(
        self,
        func_name: str,
        qe: JavaObject,
        duration_ns: int | None,
        error: JavaObject | None,
    ) -> tuple[ExecutionPlan, ExecutionEvent] | None:
        """Lineage of one query execution, or None when it is not a write."""
        logical = qe.analyzed()
        command = self._write_command(logical)
        if command is None:
            log.debug("%s (%s) is not a write command; skipped", class_name_of(logical), func_name)
            return None
        try:
            plan = self._plan(command)
        except Exception as exc:
            raise HarvestError(
                f"cannot walk the plan of {class_name_of(logical)} writing {command.uri}: {exc}"
            ) from exc
        event = self._event(plan, qe, duration_ns, error)
        return plan, event

    # -- write and read commands ------------------------------------------------------------

    def _qualify(self, path: str) -> str:
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(path)
        return str(hadoop_path.makeQualified(self._fs.getUri(), self._fs.getWorkingDirectory()))

    def _format_name(self, fmt: JavaObject | str | None) -> str | None:
        if fmt is None or isinstance(fmt, str):
            return fmt
        if self._types.is_a(fmt, DATA_SOURCE_REGISTER):
            return str(fmt.shortName())
        return str(fmt.toString())

    def _table_uri(self, table: JavaObject) -> str:
        location = option(table.storage().locationUri())
        if location is not None:
            return self._qualify(str(location.toString()))
        identifier = table.identifier()
        database = option(identifier.database()) or self._session.catalog().currentDatabase()
        db_location = str(self._session.catalog().getDatabase(database).locationUri())
        return self._qualify(f"{db_location.rstrip('/')}/{str(identifier.table()).lower()}")

    @staticmethod
    def _table_params(table: JavaObject) -> dict[str, Json]:
        identifier = table.identifier()
        return {
            "table": {
                "identifier": {
                    "table": str(identifier.table()),
                    "database": option(identifier.database()),
                },
                "storage": str(table.storage().toString()),
            }
        }

    def _write_command(self, cmd: JavaObject) -> WriteCommand | None:
        simple = class_name_of(cmd).rsplit(".", 1)[-1]
        name = str(cmd.nodeName())
        if simple == "InsertIntoHadoopFsRelationCommand":
            mode = str(cmd.mode().toString())
            table = option(cmd.catalogTable())
            if table is not None:
                fmt = option(table.provider())
                return WriteCommand(
                    name,
                    self._table_uri(table),
                    fmt,
                    mode != "Overwrite",
                    cmd.query(),
                    self._table_params(table),
                )
            return WriteCommand(
                name,
                self._qualify(str(cmd.outputPath().toString())),
                self._format_name(cmd.fileFormat()),
                mode == "Append",
                cmd.query(),
                dict(string_map(cmd.options())),
            )
        if simple == "SaveIntoDataSourceCommand":
            options = string_map(cmd.options())
            path = options.get("path")
            if path is None:
                raise HarvestError(f"{name}: no `path` option among {sorted(options)}")
            return WriteCommand(
                name,
                self._qualify(path),
                self._format_name(cmd.dataSource()),
                str(cmd.mode().toString()) == "Append",
                cmd.query(),
                dict(options),
            )
        if simple in ("CreateDataSourceTableAsSelectCommand", "CreateHiveTableAsSelectCommand"):
            table = cmd.table() if simple.startswith("CreateDataSource") else cmd.tableDesc()
            return WriteCommand(
                name,
                self._table_uri(table),
                option(table.provider()),
                str(cmd.mode().toString()) == "Append",
                cmd.query(),
                self._table_params(table),
            )
        if simple == "InsertIntoHiveTable":
            table = cmd.table()
            return WriteCommand(
                name,
                self._table_uri(table),
                "hive",
                not bool(cmd.overwrite()),
                cmd.query(),
                self._table_params(table),
            )
        if simple == "InsertIntoDataSourceCommand":
            table = option(cmd.logicalRelation().catalogTable())
            if table is None:
                raise HarvestError(f"{name}: the target relation has no catalog table")
            return WriteCommand(
                name,
                self._table_uri(table),
                option(table.provider()),
                not bool(cmd.overwrite()),
                cmd.query(),
                {},
            )
        return None

    def _read_source(self, plan: JavaObject) -> ReadSource | None:
        simple = class_name_of(plan).rsplit(".", 1)[-1]
        if simple == "LogicalRelation":
            relation = plan.relation()
            if not class_name_of(relation).endswith("HadoopFsRelation"):
                return None
            table = option(plan.catalogTable())
            if table is not None:
                return ReadSource(
                    (self._table_uri(table),), option(table.provider()), self._table_params(table)
                )
            roots = seq(relation.location().rootPaths())
            uris = tuple(self._qualify(str(p.toString())) for p in roots)
            options: dict[str, Json] = dict(string_map(relation.options()))
            return ReadSource(uris, self._format_name(relation.fileFormat()), options)
        if simple == "HiveTableRelation":
            table = plan.tableMeta()
            return ReadSource((self._table_uri(table),), "hive", self._table_params(table))
        return None

    # -- the walk ---------------------------------------------------------------------------

    def _plan(self, command: WriteCommand) -> ExecutionPlan:
        h = _Harvest(self._types)
        write_id = h.next_op_id()
        nodes: list[_OpNode] = []
        root = self._collect(command.query, h, nodes)
        reads: list[ReadOperation] = []
        others: list[DataOperation] = []
        for node in self._post_order(root):
            operation = self._build(node, h)
            if isinstance(operation, ReadOperation):
                reads.append(operation)
            else:
                others.append(operation)
        extra: dict[str, Json] = {}
        if command.format is not None:
            extra["destinationType"] = command.format
        write = WriteOperation(
            id=write_id,
            name=command.name,
            output_source=command.uri,
            append=command.append,
            child_ids=(root.op_id,),
            params=command.params,
            extra=extra,
        )
        app_name = str(self._session.conf().get("spark.app.name"))
        plan = ExecutionPlan(
            name=app_name,
            write=write,
            reads=tuple(reads),
            other=tuple(others),
            attributes=tuple(h.attributes.values()),
            functions=tuple(h.functions),
            constants=tuple(h.constants),
            system_info=("spark", str(self._session.version())),
            agent_info=self._agent,
            extra_info={
                "appName": app_name,
                "dataTypes": [t.to_json() for t in h.data_types.values],
            },
        )
        content = json.dumps(plan.to_json(), separators=(",", ":"), ensure_ascii=False)
        plan_id = str(uuid.uuid5(PLAN_NAMESPACE, content))
        return ExecutionPlan(**{**plan.__dict__, "id": plan_id})

    def _collect(self, plan: JavaObject, h: _Harvest, nodes: list[_OpNode]) -> _OpNode:
        """Give every distinct plan node an operation id, depth first from the query's root."""
        for known in nodes:
            if known.plan.equals(plan):
                return known
        node = _OpNode(plan=plan, op_id=h.next_op_id())
        nodes.append(node)
        node.children = [self._collect(child, h, nodes) for child in seq(plan.children())]
        return node

    @staticmethod
    def _post_order(root: _OpNode) -> list[_OpNode]:
        ordered: list[_OpNode] = []
        seen: set[str] = set()

        def visit(node: _OpNode) -> None:
            if node.op_id in seen:
                return
            seen.add(node.op_id)
            for child in node.children:
                visit(child)
            ordered.append(node)

        visit(root)
        return ordered

    def _build(self, node: _OpNode, h: _Harvest) -> ReadOperation | DataOperation:
        plan = node.plan
        node_name = str(plan.nodeName())
        child_map: dict[int, str] = {}
        for child in node.children:
            child_map.update(child.output_map)
        alias_defs: dict[int, JavaObject] = {}
        for field_name in _ALIAS_FIELDS.get(node_name, ()):
            for expr in seq(getattr(plan, field_name)()):
                if class_name_of(expr) == f"{_EXPR}.Alias":
                    alias_defs[int(expr.exprId().id())] = expr
        converter = _OpConverter(h, child_map, alias_defs)
        for attr in seq(plan.output()):
            attr_id = converter.attribute(attr)
            node.output_map[int(attr.exprId().id())] = attr_id
            node.output_ids.append(attr_id)
        source = self._read_source(plan) if not node.children else None
        if source is not None:
            extra: dict[str, Json] = {}
            if source.format is not None:
                extra["sourceType"] = source.format
            return ReadOperation(
                id=node.op_id,
                name=node_name,
                input_sources=source.uris,
                output=tuple(node.output_ids),
                params=source.params,
                extra=extra,
            )
        if node_name == "Union":
            return self._union(node, h)
        return DataOperation(
            id=node.op_id,
            name=node_name,
            child_ids=tuple(c.op_id for c in node.children),
            output=tuple(node.output_ids),
            params=converter.operation_params(plan),
            extra={},
        )

    def _union(self, node: _OpNode, h: _Harvest) -> DataOperation:
        """A union's columns are synthetic `union` functions of the same column of each input."""
        output_ids: list[str] = []
        node.output_map.clear()
        for position, attr in enumerate(seq(node.plan.output())):
            inputs = tuple(Ref(c.output_ids[position], True) for c in node.children)
            data_type = h.data_types.id_for(attr.dataType(), bool(attr.nullable()))
            expr_id = f"expr-{next(h.expr_seq)}"
            h.functions.append(
                FunctionalExpression(expr_id, "union", data_type, inputs, {"synthetic": True}, {})
            )
            attr_id = f"attr-{next(h.attr_seq)}"
            first_name = h.attributes[node.children[0].output_ids[position]].name
            h.attributes[attr_id] = Attribute(
                attr_id, first_name, data_type, (Ref(expr_id, False),), {"synthetic": True}
            )
            output_ids.append(attr_id)
            node.output_map[int(attr.exprId().id())] = attr_id
        node.output_ids = output_ids
        return DataOperation(
            id=node.op_id,
            name="Union",
            child_ids=tuple(c.op_id for c in node.children),
            output=tuple(output_ids),
            params={},
            extra={},
        )

    # -- the event --------------------------------------------------------------------------

    def _event(
        self,
        plan: ExecutionPlan,
        qe: JavaObject,
        duration_ns: int | None,
        error: JavaObject | None,
    ) -> ExecutionEvent:
        read_metrics, write_metrics = self._metrics(qe)
        context = self._session.sparkContext()
        error_text = None
        if error is not None:
            utils = self._jvm.org.apache.commons.lang3.exception.ExceptionUtils
            error_text = str(utils.getStackTrace(error))
        assert plan.id is not None
        return ExecutionEvent(
            plan_id=plan.id,
            timestamp_ms=int(time.time() * 1000),
            duration_ns=duration_ns if error is None else None,
            error=error_text,
            extra={
                "appId": str(context.applicationId()),
                "user": str(context.sparkUser()),
                "readMetrics": read_metrics,
                "writeMetrics": write_metrics,
            },
        )

    def _metrics(self, qe: JavaObject) -> tuple[dict[str, int], dict[str, int]]:
        """Leaf-node metrics summed (reads) and the root node's metrics (writes)."""
        try:
            executed = qe.executedPlan()
        except Exception:
            return {}, {}
        executed = self._unwrap_adaptive(executed)
        reads: dict[str, int] = {}
        pending = [executed]
        while pending:
            node = self._unwrap_adaptive(pending.pop(0))
            children = seq(node.children())
            if children:
                pending = children + pending
                continue
            for key, value in self._node_metrics(node).items():
                reads[key] = reads.get(key, 0) + value
        return reads, self._node_metrics(executed)

    @staticmethod
    def _unwrap_adaptive(node: JavaObject) -> JavaObject:
        """The final physical plan behind adaptive-execution wrappers.

        Deviation: the agent treats `AdaptiveSparkPlanExec` (on by default in Spark 3.5) as a leaf
        and so reports empty metrics; the stand-in looks inside it and its query stages.
        """
        while True:
            simple = class_name_of(node).rsplit(".", 1)[-1]
            if simple == "AdaptiveSparkPlanExec":
                node = node.executedPlan()
            elif simple in ("ShuffleQueryStageExec", "BroadcastQueryStageExec"):
                node = node.plan()
            else:
                return node

    @staticmethod
    def _node_metrics(node: JavaObject) -> dict[str, int]:
        out: dict[str, int] = {}
        for pair in seq(node.metrics().toSeq()):
            out[str(pair._1())] = int(pair._2().value())
        return out
