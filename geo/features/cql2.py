"""CQL2 text (OGC API – Features Part 3) → a parameterized SQL condition.

pygeofilter parses; this module walks its AST and emits SQL with %s placeholders. Attributes come
only from the collection's queryables (fixed SQL text), every literal becomes a bound parameter.
Extension: S_DWITHIN(geometry, <WKT>, <metres>) — geodesic distance, which CQL2 1.0 lacks.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from lark import Lark, v_args
from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_text import parser as cql2_parser

from geo.features.catalog import Collection, Column
from geo.features.errors import FeatureQueryError

GEOMETRY_NAMES = ("geometry", "geom")
# Checked on the text before parsing: parsing costs time per character, and the AST it builds is
# walked recursively (a filter of 1,000 ANDs overflowed Python's stack: a 500).
MAX_CHARS = 16_384
MAX_LOGICAL = 100  # AND / OR / NOT
MAX_NESTING = 20  # parentheses, incl. function calls and WKT rings
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"")
_LOGICAL = re.compile(r"\b(?:AND|OR|NOT)\b", re.IGNORECASE)

_COMPARISON = {
    ast.ComparisonOp.EQ: "=", ast.ComparisonOp.NE: "<>", ast.ComparisonOp.LT: "<",
    ast.ComparisonOp.LE: "<=", ast.ComparisonOp.GT: ">", ast.ComparisonOp.GE: ">=",
}
_SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: "ST_Intersects", ast.SpatialComparisonOp.DISJOINT: "ST_Disjoint",
    ast.SpatialComparisonOp.CONTAINS: "ST_Contains", ast.SpatialComparisonOp.WITHIN: "ST_Within",
    ast.SpatialComparisonOp.TOUCHES: "ST_Touches", ast.SpatialComparisonOp.CROSSES: "ST_Crosses",
    ast.SpatialComparisonOp.OVERLAPS: "ST_Overlaps", ast.SpatialComparisonOp.EQUALS: "ST_Equals",
}


@v_args(inline=True)
class _Transformer(cql2_parser.CQLTransformer):
    def dwithin_predicate(self, lhs, rhs, distance):
        return ast.DistanceWithin(lhs, rhs, distance, "meters")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    base = Path(cql2_parser.__file__)
    grammar = base.with_name("grammar.lark").read_text(encoding="utf-8")
    grammar += (
        '\n%extend spatial_predicate: "S_DWITHIN"i "(" expression "," expression "," full_number ")"'
        " -> dwithin_predicate\n"
    )
    return Lark(
        grammar, parser="lalr", maybe_placeholders=False, transformer=_Transformer(),
        import_paths=[str(base.parent.parent)], source_path=str(base.with_name("grammar.lark")),
    )


def check_size(text: str) -> None:
    """Refuse a filter too long, with too many terms or nested too deep, before parsing it."""
    if len(text) > MAX_CHARS:
        raise FeatureQueryError(f"filter: lebih dari {MAX_CHARS} karakter (longer than {MAX_CHARS} characters)")
    bare = _QUOTED.sub("''", text)  # brackets and words inside literals do not count
    if len(_LOGICAL.findall(bare)) > MAX_LOGICAL:
        raise FeatureQueryError(f"filter: lebih dari {MAX_LOGICAL} operator AND/OR/NOT "
                                f"(more than {MAX_LOGICAL} AND/OR/NOT terms)")
    depth = deepest = 0
    for char in bare:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise FeatureQueryError(f"filter: tanda kurung bertingkat lebih dari {MAX_NESTING} "
                                f"(parentheses nested more than {MAX_NESTING} deep)")


def parse(text: str) -> ast.Node:
    check_size(text)
    try:
        return _parser().parse(text)
    except LarkError as exc:
        reason = str(exc).splitlines()[0]
        raise FeatureQueryError(f"filter: {text!r} is not valid CQL2 text ({reason})") from None
    except (ValueError, TypeError) as exc:
        raise FeatureQueryError(f"filter: {text!r} is not valid CQL2 text ({exc})") from None


def to_sql(text: str, collection: Collection) -> tuple[str, list]:
    params: list = []
    sql = _Compiler(collection, params).condition(parse(text))
    return sql, params


class _Compiler:
    def __init__(self, collection: Collection, params: list) -> None:
        self.collection = collection
        self.params = params

    # --- conditions ----------------------------------------------------------------------------
    def condition(self, node) -> str:
        if isinstance(node, ast.And):
            return f"({self.condition(node.lhs)} AND {self.condition(node.rhs)})"
        if isinstance(node, ast.Or):
            return f"({self.condition(node.lhs)} OR {self.condition(node.rhs)})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.condition(node.sub_node)})"
        if isinstance(node, ast.Include):
            return "FALSE" if node.not_ else "TRUE"
        if isinstance(node, ast.Comparison):
            column = self._column_of(node.lhs, node.rhs)
            lhs, rhs = self.value(node.lhs, column), self.value(node.rhs, column)
            return f"({lhs} {_COMPARISON[node.op]} {rhs})"
        if isinstance(node, ast.Between):
            column = self._column_of(node.lhs)
            not_ = "NOT " if node.not_ else ""
            return (f"({self.value(node.lhs, column)} {not_}BETWEEN {self.value(node.low, column)} "
                    f"AND {self.value(node.high, column)})")
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            column = self._column_of(node.lhs)
            items = ", ".join(self.value(item, column) for item in node.sub_nodes)
            return f"({self.value(node.lhs, column)} {'NOT ' if node.not_ else ''}IN ({items}))"
        if isinstance(node, ast.IsNull):
            return f"({self.value(node.lhs, None)} IS {'NOT ' if node.not_ else ''}NULL)"
        if isinstance(node, ast.SpatialComparisonPredicate):
            return f"{_SPATIAL[node.op]}({self._geom(node.lhs)}, {self._geom(node.rhs)})"
        if isinstance(node, ast.DistanceWithin):
            distance = self._number(node.distance, "S_DWITHIN distance")
            if distance < 0:
                raise FeatureQueryError(f"filter: S_DWITHIN distance {distance} must not be negative")
            lhs, rhs = self._geom(node.lhs), self._geom(node.rhs)  # their parameters come first
            self.params.append(distance)
            return f"ST_DWithin(({lhs})::geography, ({rhs})::geography, %s)"
        if isinstance(node, ast.BBox):
            envelope = values.Envelope(node.minx, node.maxx, node.miny, node.maxy)
            return f"ST_Intersects({self._geom(node.lhs)}, {self._geom(envelope)})"
        raise FeatureQueryError(f"filter: {type(node).__name__} is not supported (supported: comparisons, "
                                "AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL, S_INTERSECTS, S_WITHIN, S_DWITHIN, ...)")

    def _like(self, node: ast.Like) -> str:
        column = self._column_of(node.lhs)
        if column is not None and column.type != "string":
            raise FeatureQueryError(f"filter: LIKE needs a text property, {column.name!r} is {column.type}")
        pattern = node.pattern
        if isinstance(pattern, ast.Function):
            pattern_sql = self.value(pattern, None)
        elif isinstance(pattern, str):
            self.params.append(pattern)
            pattern_sql = "%s"
        else:
            raise FeatureQueryError(f"filter: LIKE pattern {pattern!r} must be a text literal")
        op = "ILIKE" if node.nocase else "LIKE"
        return f"({self.value(node.lhs, column)} {'NOT ' if node.not_ else ''}{op} {pattern_sql})"

    # --- values --------------------------------------------------------------------------------
    def _column_of(self, *nodes) -> Column | None:
        for node in nodes:
            if isinstance(node, ast.Function) and node.arguments:
                found = self._column_of(*node.arguments)
                if found:
                    return found
            if isinstance(node, ast.Attribute):
                return self._attribute(node.name)
        return None

    def _attribute(self, name: str) -> Column:
        column = self.collection.column(name)
        if column is None or not column.queryable:
            known = ", ".join(c.name for c in self.collection.queryables)
            raise FeatureQueryError(
                f"filter: unknown property {name!r} in collection {self.collection.id!r} (queryables: {known})")
        return column

    def value(self, node, column: Column | None) -> str:
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                raise FeatureQueryError(f"filter: {node.name!r} can only be used in spatial predicates")
            return self._attribute(node.name).sql
        if isinstance(node, ast.Function):
            if node.name != "lower" or len(node.arguments) != 1:
                raise FeatureQueryError(f"filter: function {node.name!r} is not supported (only CASEI)")
            return f"lower({self.value(node.arguments[0], column)})"
        if isinstance(node, ast.Node | values.Geometry | values.Envelope):
            raise FeatureQueryError(f"filter: {type(node).__name__} is not allowed here")
        self.params.append(_literal(node, column))
        return "%s"

    def _geom(self, node) -> str:
        if isinstance(node, ast.Attribute):
            if node.name not in GEOMETRY_NAMES:
                raise FeatureQueryError(f"filter: spatial predicates need the property 'geometry', not {node.name!r}")
            return self.collection.geom_sql
        if isinstance(node, values.Geometry):
            self.params.append(json.dumps(node.geometry))
            return "ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)"
        if isinstance(node, values.Envelope):
            self.params += [node.x1, node.y1, node.x2, node.y2]
            return "ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
        raise FeatureQueryError(f"filter: {node!r} is not a geometry")

    @staticmethod
    def _number(value, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FeatureQueryError(f"filter: {what} {value!r} is not a number")
        return float(value)


def _literal(value, column: Column | None):
    """Check a literal against the column's type, so a mistake is a 400 and never a database error."""
    if column is None:
        return value
    name = column.name
    if column.format == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise FeatureQueryError(f"filter: {value!r} is not a date for {name!r} (use DATE('YYYY-MM-DD'))")
    if column.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise FeatureQueryError(f"filter: {value!r} is not an integer for {name!r}")
    if column.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise FeatureQueryError(f"filter: {value!r} is not a number for {name!r}")
    if column.type == "boolean":
        if isinstance(value, bool):
            return value
        raise FeatureQueryError(f"filter: {value!r} is not true/false for {name!r}")
    if isinstance(value, str):
        return value
    raise FeatureQueryError(f"filter: {value!r} is not text for {name!r} (quote it: '...')")
