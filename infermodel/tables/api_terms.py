"""The price tables that carry no price: retirements, regional uplifts, API rate limits.

Split from :mod:`infermodel.tables` to keep modules small; :mod:`infermodel.tables.registry`
registers both and checks the rule across tables (every scheduled retirement names an
offering of ``api_prices.csv``). Both files are append-only history with a source and a date
per row (``data/prices/SOURCES.md``).

- ``scheduled_retirements.csv``: "``source``, read on ``read_on``, said ``model_id`` is
  scheduled to retire on ``scheduled_on``" (LiteLLM's ``deprecation_date``, or a provider's
  announced or "earliest possible" shutdown date). A schedule is not a retirement: it never
  hides an offering from :func:`infermodel.prices.as_of`; only a ``withdrawals.csv`` row
  does. A moved date is a new reading, never an edit.
- ``uplifts.csv``: published regional / data-residency price multipliers; a user names one
  by ``uplift_id``, which takes one row per model pattern. Data only: the pricing code
  applies them.
- ``api_rate_limits.csv``: published rate limits of an API at a usage tier, one row per
  (provider, model pattern, tier, date read). Providers count tokens differently, so each
  kind has its own column: ``tokens_per_minute`` is one budget of input plus output tokens
  (OpenAI), ``input_tokens_per_minute`` counts prompt tokens only (Anthropic ITPM, Gemini
  TPM, Fireworks total prompt TPM), ``uncached_input_tokens_per_minute`` the uncached part
  (Fireworks), ``output_tokens_per_minute`` generated tokens (Anthropic OTPM, Fireworks
  generated TPM). An empty cell is a limit the source does not publish. ``date_basis`` says
  how ``observed_on`` was found: the source's own date, the newest model an undated copy
  names, or the day an undated page was read. :mod:`infermodel.analyses.deadlines` uses them.
- ``data/bill_models.csv``: the models a bill may name under another id than the kit's
  (a dated snapshot, an alias), each mapped to a tracked ``offering_id`` with the source that
  says they are billed alike (:mod:`infermodel.pricing.reconcile` reads it; a model billed under its
  tracked id needs no row).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel._compat import pa, pandas_engine
from infermodel.tables.reading import RowRule, date_column, read_table

#: What an uplift multiplies: every token price, or only one kind.
UPLIFT_APPLIES_TO = ("all_token_prices", "input_tokens", "output_tokens")
#: How sure a row of ``uplifts.csv`` is: a provider page says so, or it is inferred.
UPLIFT_CONFIDENCE = ("confirmed", "estimated")
#: Usage tiers a rate limit is published for, lowest first within a provider's scheme.
USAGE_TIERS = (
    "free",
    "tier_1",
    "tier_2",
    "tier_3",
    "tier_4",
    "tier_5",
    "start",
    "build",
    "scale",
    "default",
    "base",
)
#: How a rate limit was read: on the provider's own page (or its own copy of it), or in a
#: third party's transcription of that page.
RATE_LIMIT_CONFIDENCE = ("confirmed", "secondary")
#: How ``observed_on`` of a rate limit was found.
RATE_LIMIT_DATE_BASES = ("dated_source", "inferred_from_content", "read_on")
#: The limit columns of ``api_rate_limits.csv`` [requests or tokens per minute or day].
RATE_LIMIT_COLUMNS = (
    "requests_per_minute",
    "requests_per_day",
    "tokens_per_minute",
    "input_tokens_per_minute",
    "uncached_input_tokens_per_minute",
    "output_tokens_per_minute",
    "batch_queue_tokens",
    "batch_queue_requests",
)

SCHEDULED_RETIREMENTS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        # A plan, so it may lie in the future (unlike every observed date).
        "scheduled_on": pa.Column(
            pandas_engine.DateTime(to_datetime_kwargs={"format": "%Y-%m-%d"})
        ),
        # Which file and key, or which page, gave the date.
        "source": pa.Column(str),
        "source_url": pa.Column(str),
        "read_on": date_column("read_on"),
        "note": pa.Column(str, nullable=True),
    },
    unique=["provider", "model_id", "scheduled_on", "source", "read_on"],
    strict=True,
    coerce=True,
    name="scheduled_retirements",
)

UPLIFTS_SCHEMA = pa.DataFrameSchema(
    {
        "uplift_id": pa.Column(
            str,
            pa.Check.str_matches(
                r"^[a-z0-9]+(-[a-z0-9]+)*$", error="must be kebab-case, e.g. anthropic-us-only"
            ),
        ),
        "provider": pa.Column(str),
        # An fnmatch pattern on the kit's model_id (api_prices.csv, tracked_offerings.csv).
        "model_pattern": pa.Column(str),
        "multiplier": pa.Column(
            float,
            pa.Check.in_range(
                0, 10, include_min=False, error="must be a factor > 0 and <= 10 (1.1, not 10%)"
            ),
        ),
        "effective_from": date_column("effective_from"),
        "applies_to": pa.Column(str, pa.Check.isin(UPLIFT_APPLIES_TO)),
        "confidence": pa.Column(str, pa.Check.isin(UPLIFT_CONFIDENCE)),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    # One uplift_id may take several rows: one per model pattern (and start date).
    unique=["uplift_id", "provider", "model_pattern", "effective_from"],
    strict=True,
    coerce=True,
    name="uplifts",
)


def _limit_column() -> pa.Column:
    return pa.Column(
        float,
        pa.Check.greater_than(0, error="must be a limit > 0 (leave empty if not published)"),
        nullable=True,
    )


API_RATE_LIMITS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        # An fnmatch pattern on the kit's model_id (api_prices.csv, tracked_offerings.csv).
        "model_pattern": pa.Column(str),
        "usage_tier": pa.Column(str, pa.Check.isin(USAGE_TIERS)),
        **{column: _limit_column() for column in RATE_LIMIT_COLUMNS},
        "observed_on": date_column("observed_on"),
        "date_basis": pa.Column(str, pa.Check.isin(RATE_LIMIT_DATE_BASES)),
        "confidence": pa.Column(str, pa.Check.isin(RATE_LIMIT_CONFIDENCE)),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    unique=["provider", "model_pattern", "usage_tier", "observed_on", "source_url"],
    strict=True,
    coerce=True,
    name="api_rate_limits",
)

#: A row must publish at least one limit that bounds a job's time.
RATE_LIMIT_RULES = (
    RowRule(
        "requests_per_minute",
        lambda df: (
            df[[c for c in RATE_LIMIT_COLUMNS if not c.startswith("batch")]].notna().any(axis=1)
        ),
        "a row needs at least one of requests_per_minute, requests_per_day, tokens_per_minute, "
        "input_tokens_per_minute, uncached_input_tokens_per_minute, output_tokens_per_minute",
    ),
)


def load_api_rate_limits(path: Path = paths.API_RATE_LIMITS_CSV) -> pd.DataFrame:
    """Published API rate limits by usage tier, validated."""
    return read_table(path, API_RATE_LIMITS_SCHEMA, rules=RATE_LIMIT_RULES)


BILL_MODELS_SCHEMA = pa.DataFrameSchema(
    {
        # The provider as a bill names it (FOCUS ServiceProviderName or ProviderName), matched
        # by its slug (infermodel.tables.offerings.provider_slug: 'Together AI' ~ 'together.ai').
        "provider": pa.Column(str),
        # The model as a bill names it (SkuPriceDetails ModelId), matched ignoring case.
        "billed_model": pa.Column(str),
        "offering_id": pa.Column(
            str,
            pa.Check.str_matches(
                r"^[a-z0-9]+(-[a-z0-9]+)*/.+", error="must be an offering id, e.g. openai/gpt-4o"
            ),
        ),
        "checked_on": date_column("checked_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    unique=["provider", "billed_model"],
    strict=True,
    coerce=True,
    name="bill_models",
)


def load_bill_models(path: Path = paths.BILL_MODELS_CSV) -> pd.DataFrame:
    """Models as bills name them, mapped to tracked offering ids, validated."""
    return read_table(path, BILL_MODELS_SCHEMA)


def load_scheduled_retirements(path: Path = paths.SCHEDULED_RETIREMENTS_CSV) -> pd.DataFrame:
    """Every scheduled retirement date read from a source, validated; none when absent."""
    if not Path(path).is_file():
        return no_scheduled_retirements()
    return read_table(path, SCHEDULED_RETIREMENTS_SCHEMA)


def no_scheduled_retirements() -> pd.DataFrame:
    """An empty scheduled-retirements table with the loader's columns and types."""
    dates = ("scheduled_on", "read_on")
    return pd.DataFrame(
        {
            column: pd.Series(dtype="datetime64[ns]" if column in dates else str)
            for column in SCHEDULED_RETIREMENTS_SCHEMA.columns
        }
    )


def load_uplifts(path: Path = paths.UPLIFTS_CSV) -> pd.DataFrame:
    """Published regional / data-residency price multipliers, validated."""
    return read_table(path, UPLIFTS_SCHEMA)
