"""Negotiated prices: your contracts with API providers, read from your data folder.

``DIR/prices/contracts.csv`` (a user data folder, :mod:`infermodel.tables.user_data`; the kit ships
none) holds one row per contract term:

- a **discount** (``kind`` ``discount`` or empty): ``discount_fraction`` off the list price
  of every token of ``provider``'s offering ``model_id`` at ``service_tier``, from
  ``valid_from`` to ``valid_to`` (both days included). An empty ``model_id`` or
  ``service_tier`` means every model or tier of that provider; an empty ``valid_to`` means
  open-ended. An enterprise agreement at 20% off for a year is one row.
- a **committed monthly spend** (``kind`` ``commitment``): the provider bills at least
  ``committed_usd_per_month`` a month, at the contract's discount; usage that falls short
  is billed as the shortfall. It discounts the tokens like a discount row and, in the
  monthly analyses (:mod:`infermodel.analyses.growth`), floors the bill at the commitment.

Readings (each one row away from the other): the discount applies to the price at the tier
asked for (a batch price 50% off list, then 20% off that, is 60% off list), after any
regional uplift; a contract is in force on a day from ``valid_from`` through ``valid_to``.

Rules (bad input is one line naming the file, line and field): ``discount_fraction`` in
[0, 1); ``valid_to`` not before ``valid_from``; a commitment names its amount, a discount
does not; the provider and model must be offerings the kit prices (shipped or in the user
folder), with "did you mean"; two rows covering the same offering, tier and day overlap and
are refused, naming both lines.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel._compat import pa, pandas_engine
from infermodel.errors import Problem, TableError
from infermodel.tables import SERVICE_TIERS, user_data
from infermodel.tables.reading import RowRule, row_problems

#: Where a user folder keeps its contracts.
CONTRACTS_NAME = "prices/contracts.csv"
KINDS = ("discount", "commitment")
#: The terms a priced API row carries, one column each (empty where no contract applies).
TERM_COLUMNS = ("contract", "contract_discount_fraction", "committed_usd_per_month")

_DATE = pandas_engine.DateTime(to_datetime_kwargs={"format": "%Y-%m-%d"})

CONTRACTS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str, nullable=True),
        "service_tier": pa.Column(str, pa.Check.isin(SERVICE_TIERS), nullable=True),
        "discount_fraction": pa.Column(
            float,
            pa.Check.in_range(
                0,
                1,
                include_max=False,
                error="must be a fraction in [0, 1), e.g. 0.2 for 20% off the list price",
            ),
        ),
        # Contract dates are agreed ahead: they may lie after today.
        "valid_from": pa.Column(_DATE),
        "valid_to": pa.Column(_DATE, nullable=True),
        "source": pa.Column(str),
        "note": pa.Column(str, nullable=True),
        "kind": pa.Column(str, pa.Check.isin(KINDS), nullable=True, required=False),
        "committed_usd_per_month": pa.Column(
            float,
            pa.Check.gt(0, error="must be > 0 USD per month"),
            nullable=True,
            required=False,
        ),
    },
    strict=True,
    coerce=True,
    name="contracts",
)

_RULES = (
    RowRule(
        "valid_to",
        lambda df: df["valid_to"].isna() | (df["valid_to"] >= df["valid_from"]),
        "must not be before valid_from (empty: open-ended)",
    ),
    RowRule(
        "committed_usd_per_month",
        lambda df: (df["kind"] != "commitment") | df["committed_usd_per_month"].notna(),
        "required on a commitment row (the monthly spend committed to) [USD/month]",
    ),
    RowRule(
        "committed_usd_per_month",
        lambda df: (df["kind"] == "commitment") | df["committed_usd_per_month"].isna(),
        "only a commitment row has a committed spend (set kind to commitment)",
    ),
)


def _kinds(table: pd.DataFrame) -> pd.DataFrame:
    kind = table["kind"].astype(object).where(table["kind"].notna(), "discount")
    return table.assign(kind=kind)


def read_contracts(path: Path | None = None) -> pd.DataFrame:
    """The contracts of ``path`` (default: the user folder's ``prices/contracts.csv``),
    validated row by row; empty when there is none. Rules across tables:
    :func:`check_contracts`."""
    table = _kinds(user_data.read_user_only(CONTRACTS_NAME, CONTRACTS_SCHEMA, path=path))
    problems = [
        problem
        for rule in _RULES
        for problem in row_problems(table, ~rule.valid(table), Path(), rule.field, rule.rule)
    ]
    if problems:
        raise TableError(sorted(problems, key=lambda p: (p.line or 0, p.field or "")))
    return table


def _unknown(table: pd.DataFrame, api_prices: pd.DataFrame) -> list[Problem]:
    """Rows naming a provider or a model the kit prices no offering of."""
    models = api_prices.groupby("provider")["model_id"].unique()
    providers = sorted(models.index)
    problems = []
    for _, row in table.iterrows():
        where = (Path(row["data_file"]), int(row["data_line"]))
        if row["provider"] not in models.index:
            close = difflib.get_close_matches(row["provider"], providers, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            rule = f"no API offering of this provider; {hint}providers: {', '.join(providers)}"
            problems.append(Problem(*where, "provider", row["provider"], rule))
        elif pd.notna(row["model_id"]) and row["model_id"] not in set(models[row["provider"]]):
            known = sorted(models[row["provider"]])
            close = difflib.get_close_matches(row["model_id"], known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            rule = f"no {row['provider']} offering with this model_id{hint} (empty: every model)"
            problems.append(Problem(*where, "model_id", row["model_id"], rule))
    return problems


def _covers(a: object, b: object) -> bool:
    """Two scopes (a model id or a tier; empty = all) share something."""
    return pd.isna(a) or pd.isna(b) or a == b


def _span(row: pd.Series) -> str:
    until = "open-ended" if pd.isna(row["valid_to"]) else f"to {row['valid_to'].date()}"
    return f"from {row['valid_from'].date()} {until}"


def overlaps(table: pd.DataFrame) -> list[Problem]:
    """Pairs of rows that cover the same offering, tier and day: one problem on the later
    row, naming the earlier one."""
    problems = []
    ends = table["valid_to"].fillna(pd.Timestamp.max)
    rows = list(table.assign(_end=ends).iterrows())
    for j, (_, later) in enumerate(rows):
        for _, earlier in rows[:j]:
            if (
                earlier["provider"] == later["provider"]
                and _covers(earlier["model_id"], later["model_id"])
                and _covers(earlier["service_tier"], later["service_tier"])
                and earlier["valid_from"] <= later["_end"]
                and later["valid_from"] <= earlier["_end"]
            ):
                rule = (
                    f"overlaps line {int(earlier['data_line'])} ({earlier['provider']} "
                    f"{earlier['model_id'] if pd.notna(earlier['model_id']) else 'every model'}, "
                    f"{_span(earlier)}): two contracts for the same offering and day; end one "
                    "before the other starts, or narrow its model_id or service_tier"
                )
                problems.append(
                    Problem(
                        Path(later["data_file"]),
                        int(later["data_line"]),
                        "valid_from",
                        later["valid_from"].strftime("%Y-%m-%d"),
                        rule,
                    )
                )
                break
    return problems


def check_contracts(table: pd.DataFrame, api_prices: pd.DataFrame) -> list[Problem]:
    """Every rule across tables: known providers and models (did you mean), no overlaps."""
    return _unknown(table, api_prices) + overlaps(table)


def load_contracts(api_prices: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """:func:`read_contracts`, checked against ``api_prices`` (:func:`check_contracts`);
    raises :class:`~infermodel.errors.TableError` listing every problem."""
    table = read_contracts(path)
    problems = check_contracts(table, api_prices) if len(table) else []
    if problems:
        raise TableError(problems)
    return table


def in_force(contracts: pd.DataFrame | None, date: pd.Timestamp) -> pd.DataFrame:
    """The contract rows in force on ``date`` (``valid_from`` <= date <= ``valid_to``)."""
    if contracts is None or contracts.empty:
        return _no_contracts()
    ends = contracts["valid_to"].fillna(pd.Timestamp.max)
    return contracts[(contracts["valid_from"] <= date) & (date <= ends)].reset_index(drop=True)


def _no_contracts() -> pd.DataFrame:
    return user_data.empty(CONTRACTS_SCHEMA, ("valid_from", "valid_to"))


def name(row: pd.Series) -> str:
    """How a contract is named for people: its source, its terms and its line."""
    terms = f"{row['discount_fraction'] * 100:.4g}% off list"
    if row["kind"] == "commitment":
        terms += f", committed {row['committed_usd_per_month']:,.0f} USD/month"
    return f"{row['source']} ({terms}; {Path(row['data_file']).name} line {int(row['data_line'])})"


def terms(api: pd.DataFrame, contracts: pd.DataFrame | None, service_tier: str) -> pd.DataFrame:
    """The contract terms each API offering of ``api`` is billed at, at ``service_tier``.

    ``contracts`` are the rows in force (:func:`in_force`). Returns :data:`TERM_COLUMNS`
    aligned on ``api``'s index: ``contract`` (:func:`name`, empty where none applies),
    ``contract_discount_fraction`` [-] (0 where none) and ``committed_usd_per_month``
    [USD/month] (NaN where no commitment).
    """
    out = pd.DataFrame(
        {
            "contract": pd.Series("", index=api.index, dtype=object),
            "contract_discount_fraction": np.zeros(len(api)),
            "committed_usd_per_month": np.full(len(api), np.nan),
        },
        index=api.index,
    )
    if contracts is None or contracts.empty or api.empty:
        return out
    for _, row in contracts.iterrows():
        hit = api["provider"] == row["provider"]
        if pd.notna(row["model_id"]):
            hit &= api["model_id"] == row["model_id"]
        if pd.notna(row["service_tier"]) and row["service_tier"] != service_tier:
            continue
        if (out.loc[hit, "contract"] != "").any():
            raise TableError(
                [
                    Problem(
                        Path(row["data_file"]),
                        int(row["data_line"]),
                        "valid_from",
                        None,
                        "overlaps another contract in force on the same day for the same "
                        "offering (check the table with 'infermodel validate')",
                    )
                ]
            )
        out.loc[hit, "contract"] = name(row)
        out.loc[hit, "contract_discount_fraction"] = float(row["discount_fraction"])
        if row["kind"] == "commitment":
            out.loc[hit, "committed_usd_per_month"] = float(row["committed_usd_per_month"])
    return out
