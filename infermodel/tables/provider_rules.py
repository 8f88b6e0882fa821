"""A provider's default billing rules, as dated, cited rows: ``data/prices/provider_rules.csv``.

Some providers publish a rule once for every model instead of a price per model: Fireworks AI
bills cached prompt tokens at a default discount where a model lists no cached price, and bills
its batch API at 50% of the serverless price. Those rules are data here, not code: one row says
"from ``effective_from``, ``source_url`` says ``provider`` bills ``rule`` at ``fraction`` for the
models matching ``model_pattern``". :func:`rules_for` gives each offering of a price snapshot
the rules in force on a date; :mod:`infermodel.prices.service_tiers` applies them where the
offering's
own observation is silent (a listed price always wins).

Rules (:data:`RULES`):

- ``cached_input_discount``: a cache read is billed at the input price x (1 - ``fraction``)
  where the observation gives no cached-input price;
- ``batch_discount``: the batch tier is the standard one x (1 - ``fraction``) where neither a
  batch tier row nor ``batch_discount_fraction`` is recorded.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from infermodel import paths
from infermodel.tables import CONFIDENCE_LEVELS
from infermodel.tables.reading import date_column, read_table

RULES = ("cached_input_discount", "batch_discount")

PROVIDER_RULES_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        # An fnmatch pattern on the kit's model_id; "*" for every model of the provider.
        "model_pattern": pa.Column(str),
        "rule": pa.Column(str, pa.Check.isin(RULES)),
        "fraction": pa.Column(
            float,
            pa.Check.in_range(
                0,
                1,
                include_min=False,
                include_max=False,
                error="must be a fraction in (0, 1), e.g. 0.5 for 50% off",
            ),
        ),
        "effective_from": date_column("effective_from"),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    unique=["provider", "model_pattern", "rule", "effective_from"],
    strict=True,
    coerce=True,
    name="provider_rules",
)


def load_provider_rules(path: Path = paths.PROVIDER_RULES_CSV) -> pd.DataFrame:
    """The providers' default billing rules, validated; none when the file is absent."""
    if not Path(path).is_file():
        return no_provider_rules()
    return read_table(path, PROVIDER_RULES_SCHEMA)


def no_provider_rules() -> pd.DataFrame:
    """An empty rules table (every offering is billed by its own observation only)."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="datetime64[ns]" if c == "effective_from" else object)
            for c in PROVIDER_RULES_SCHEMA.columns
        }
    )


def rules_for(
    api: pd.DataFrame, rule: str, as_of: pd.Timestamp | None, rules: pd.DataFrame
) -> pd.DataFrame:
    """The ``rule`` in force on ``as_of`` for each offering of ``api`` (aligned on its index).

    Columns ``fraction`` [-] (NaN where no rule applies) and ``rule_source_url``. Of the rows
    matching an offering, the newest ``effective_from`` on or before ``as_of`` wins, the most
    specific pattern (fewest wildcards) first among rows of one date.
    """
    out = pd.DataFrame({"fraction": float("nan"), "rule_source_url": None}, index=api.index).astype(
        {"fraction": float, "rule_source_url": object}
    )
    rows = rules[rules["rule"] == rule]
    if as_of is not None:
        rows = rows[rows["effective_from"] <= as_of]
    if rows.empty or api.empty:
        return out
    rows = rows.assign(wildcards=rows["model_pattern"].str.count(r"[*?\[]"))
    rows = rows.sort_values(["effective_from", "wildcards"], ascending=[False, True])
    for at, provider, model_id in zip(api.index, api["provider"], api["model_id"], strict=True):
        for row in rows[rows["provider"] == provider].itertuples(index=False):
            if fnmatch.fnmatchcase(str(model_id), row.model_pattern):
                out.loc[at, ["fraction", "rule_source_url"]] = [row.fraction, row.source_url]
                break
    return out
