"""One SQL text for every engine: the DuckDB SQL of the log checks and pricing, for Spark.

The log checks (:mod:`infermodel.readers.logs.row_checks`), the shape reduction
(:mod:`infermodel.readers.logs`) and the pricing (:mod:`infermodel.pricing.trace_pricing`) are
written
once, in DuckDB's SQL, which DuckDB (the default engine) runs as written. :func:`to_spark`
transpiles that text to Spark SQL with SQLGlot and rewrites the few functions SQLGlot leaves
as DuckDB's or maps to something Spark reads differently, so that Spark computes the same
values:

- ``isfinite(x)`` becomes ``abs(x) < inf`` (false for NaN and infinities, as DuckDB's);
- ``x <> floor(x)`` (is ``x`` not whole?) becomes ``x % 1 <> 0``: Spark's ``floor`` of a
  DOUBLE is a BIGINT, which overflows (an error in ANSI mode) past 2^63;
- ``epoch_us(ts)`` becomes ``unix_micros`` of the wall-clock time read in UTC;
- ``json_valid(t)`` becomes ``try_parse_json(t) IS NOT NULL`` and a test that nothing follows
  the first value (Spark's JSON functions ignore what does), and ``json_type(d)`` is
  ``'OBJECT'`` exactly when ``json_object_keys(d)`` is not NULL;
- ``d ->> '$.key'`` is ``get_json_object``, except that a number past a DOUBLE, which Spark
  returns as the string ``"Infinity"``, is unquoted (DuckDB reads it as infinity);
- ``list_extract(l, i)`` becomes ``try_element_at(l, i)`` (both count from 1, NULL past the
  end), and
  ``regexp_extract(t, p, ['a', 'b'])`` (DuckDB's struct of a match's groups) a
  ``named_struct`` of one ``regexp_extract`` per group;
- ``HUGEINT`` becomes ``DECIMAL(38, 0)`` (exact; Spark raises on overflow in ANSI mode);
- timestamps are ``TIMESTAMP_NTZ`` (wall-clock, as DuckDB's ``TIMESTAMP``): ``make_timestamp``
  and ``date_trunc``, which Spark computes in its session time zone (UTC, set by
  :mod:`infermodel.readers.logs.engines`), are cast back;
- ``quantile_disc(x, q)`` becomes ``percentile_disc(q) WITHIN GROUP (ORDER BY x)`` (both the
  SQL standard's discrete percentile: the first value whose cumulative share reaches ``q``).

Anything DuckDB-only that is not listed here fails in Spark's parser, loudly, never silently.
SQLGlot writes the same tree for BigQuery, Snowflake or ClickHouse (``write=``), which is
where another engine would start.
"""

from __future__ import annotations

from functools import lru_cache

#: Dialect names, as SQLGlot spells them, of the engines in :mod:`infermodel.readers.logs.engines`.
DIALECTS = {"duckdb": "duckdb", "spark": "spark"}


def _ntz(node):
    from sqlglot import exp

    return exp.Cast(this=node, to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))


def _spark_node(node):
    """One node of a DuckDB tree rewritten for Spark (see the module docstring)."""
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        (arg,) = node.expressions if len(node.expressions) == 1 else (None,)
        if name == "isfinite" and arg is not None:
            infinity = exp.Cast(this=exp.Literal.string("inf"), to=exp.DataType.build("DOUBLE"))
            return exp.LT(this=exp.Abs(this=arg), expression=infinity)
        if name == "epoch_us" and arg is not None:  # Spark counts from 1970 in UTC
            utc = exp.Cast(this=arg, to=exp.DataType.build("TIMESTAMPLTZ"))
            return exp.Anonymous(this="unix_micros", expressions=[utc])
        if name == "json_valid" and arg is not None:
            return _one_json_value(arg)
        if name == "list_extract" and len(node.expressions) == 2:  # both 1-based
            return exp.Anonymous(this="try_element_at", expressions=list(node.expressions))
    if (
        isinstance(node, exp.NEQ)
        and isinstance(node.expression, exp.Floor)
        and node.expression.this == node.this
    ):
        return exp.NEQ(
            this=exp.Mod(this=node.this, expression=exp.Literal.number(1)),
            expression=exp.Literal.number(0),
        )
    if isinstance(node, exp.JSONType):
        keys = exp.Anonymous(this="json_object_keys", expressions=[node.this])
        has_keys = exp.Not(this=exp.Is(this=keys, expression=exp.Null()))
        return exp.If(
            this=has_keys, true=exp.Literal.string("OBJECT"), false=exp.Literal.string("OTHER")
        )
    if isinstance(node, exp.JSONExtractScalar):
        extracted = exp.Anonymous(
            this="get_json_object",
            expressions=[node.this, node.expression],
        )
        return exp.RegexpReplace(
            this=extracted,
            expression=exp.Literal.string('^"(-?Infinity)"$'),
            replacement=exp.Literal.string("$1"),
        )
    if isinstance(node, exp.RegexpExtract) and isinstance(node.args.get("group"), exp.Array):
        return _groups_struct(node)
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("DECIMAL(38, 0)")
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMP:
        return exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")
    if isinstance(node, (exp.UnixToTime, exp.TimestampTrunc)) and not isinstance(
        node.parent, exp.Cast
    ):
        return _ntz(node)
    if isinstance(node, exp.PercentileDisc) and node.expression is not None:
        ordered = exp.Order(expressions=[exp.Ordered(this=node.this, nulls_first=True)])
        # Spelled out: SQLGlot writes its own PercentileDisc as Spark's approximate percentile.
        exact = exp.Anonymous(this="percentile_disc", expressions=[node.expression])
        return exp.WithinGroup(this=exact, expression=ordered)
    return node


#: Spark SQL for "``__t__`` is one JSON value and nothing after it". Spark's JSON functions
#: read the first value of a text and ignore what follows (``{"a": 1} x`` and ``{"a": 1}{"b":
#: 2}`` parse), where DuckDB's ``json_valid`` is false. With the strings masked (``m``), the
#: first value ends where its brackets first balance (a scalar must be the whole text); only
#: whitespace may follow. The bracket
#: walk (``aggregate``) is needed only when a closing bracket is followed by a comma (nested
#: values): otherwise a closing bracket followed by anything but ``,``, ``}``, ``]`` or
#: whitespace, or unequal counts of opening and closing brackets, is the whole test.
_ONE_JSON_VALUE = r"""
try_parse_json(__t__) IS NOT NULL
AND (regexp_like(__m__, '^\\s*[\\[{]') OR regexp_like(__m__,
    '^\\s*(""|-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)\\s*$'))
AND NOT regexp_like(__m__, '[}\\]]\\s*[^\\s,}\\]]')
AND length(regexp_replace(__m__, '[^{\\[]', '')) = length(regexp_replace(__m__, '[^}\\]]', ''))
AND (NOT regexp_like(__m__, '[}\\]]\\s*,') OR aggregate(
    split(__m__, ''), named_struct('d', 0, 'closed', false, 'bad', false),
    (a, c) -> named_struct(
        'd', a.d + CASE WHEN c IN ('{', '[') THEN 1 WHEN c IN ('}', ']') THEN -1 ELSE 0 END,
        'closed', a.closed OR (c IN ('}', ']') AND a.d = 1),
        'bad', a.bad OR (a.closed AND c NOT IN (' ', '\t', '\r', '\n', ''))),
    a -> NOT a.bad))
"""
#: One JSON string, its quotes included: replaced by ``""`` everywhere in a text, it masks the
#: strings of a valid value exactly (both engines' strict JSON tests read the masked text).
JSON_STRING_REGEX = r'"(?:[^"\\]|\\.)*"'


def _one_json_value(arg):
    """``arg`` is exactly one JSON value, as DuckDB's ``json_valid`` (see above)."""
    import sqlglot
    from sqlglot import exp

    def fill(node, template: str):
        tree = sqlglot.parse_one(template, read="spark")
        return tree.transform(
            lambda n: node.copy() if isinstance(n, exp.Column) and n.name == "__t__" else n
        )

    masked = exp.RegexpReplace(
        this=arg.copy(),
        expression=exp.Literal.string(JSON_STRING_REGEX),
        replacement=exp.Literal.string('""'),
    )
    test = fill(arg, _ONE_JSON_VALUE)
    return test.transform(
        lambda n: masked.copy() if isinstance(n, exp.Column) and n.name == "__m__" else n
    )


def _groups_struct(node):
    """DuckDB's ``regexp_extract(t, p, ['a', 'b'])`` (a struct of the groups, one match) as
    Spark's ``named_struct('a', regexp_extract(t, p, 1), 'b', ...)`` (one match each)."""
    from sqlglot import exp

    fields = []
    for index, name in enumerate(node.args["group"].expressions, start=1):
        pattern, number = node.expression.copy(), exp.Literal.number(index)
        group = exp.RegexpExtract(this=node.this.copy(), expression=pattern, group=number)
        fields += [exp.Literal.string(name.name), group]
    return exp.Anonymous(this="named_struct", expressions=fields)


def _renamed(node, names: dict[str, str]):
    from sqlglot import exp

    if isinstance(node, exp.Table) and not node.db and node.name in names:
        node = node.copy()
        node.set("this", exp.to_identifier(names[node.name]))  # its alias, if any, stays
    return node


@lru_cache(maxsize=1024)
def to_spark(sql: str, names: tuple[tuple[str, str], ...] = (), *, read: str = "duckdb") -> str:
    """``sql`` (one statement) as Spark SQL computing the same values.

    ``names`` renames tables (``(("shape", "shape_3"),)``), so that the views of several
    logs can share one Spark session. ``read="spark"`` takes Spark's SQL and only renames.
    """
    import sqlglot

    tree = sqlglot.parse_one(sql, read=read)
    if names:
        renames = dict(names)
        tree = tree.transform(lambda node: _renamed(node, renames))
    if read == "duckdb":
        tree = _bottom_up(tree, _spark_node)
    return tree.sql(dialect="spark")


def _bottom_up(tree, rewrite):
    """``tree`` with ``rewrite`` applied to every node, children before their parent.

    SQLGlot's ``transform`` goes top down and does not enter a node it has replaced, so a
    rewritten function inside another (``epoch_us`` inside ``make_timestamp``) was left as
    DuckDB's; here every node is rewritten after what it holds.
    """
    for node in reversed(list(tree.dfs())):
        parent, key, index = node.parent, node.arg_key, node.index
        new = rewrite(node)
        if new is node:
            continue
        if parent is None:
            tree = new
        else:
            parent.set(key, new, index)
    return tree


__all__ = ["DIALECTS", "JSON_STRING_REGEX", "to_spark"]
