"""Every shipped table: its schema, its loader, and the rules across tables.

Each table under ``data/`` has a pandera schema here (units in the column names, ranges,
allowed values, required provenance, unique keys) and a ``load_*`` function that reads it
through :func:`infermodel.tables.reading.read_table`. :mod:`infermodel.tables.registry` registers
each
table with its path and loader and checks the rules that span tables.

The vocabulary the tables share lives here too: platform types and their labels, the keys of
an API and a GPU observation, confidence levels, the stale threshold.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel._compat import pa
from infermodel.errors import Problem, TableError
from infermodel.formulas.roofline import FACTORS, PRECISIONS, Efficiency
from infermodel.tables import provenance
from infermodel.tables.reading import RowRule, date_column, read_table, row_problems
from infermodel.units import SECONDS_PER_HOUR

API_PLATFORM_TYPES = ("proprietary_api", "managed_api")
GPU_PLATFORM_TYPES = ("diy_gpu",)
#: Display order of platform types, cheapest-to-run-yourself last, as in the article.
PLATFORM_TYPES = (*API_PLATFORM_TYPES, *GPU_PLATFORM_TYPES)
PLATFORM_LABELS = {
    "proprietary_api": "Proprietary API",
    "managed_api": "Managed open-model API",
    "diy_gpu": "DIY GPU rental",
}
CONFIDENCE_LEVELS = ("confirmed", "estimated", "estimated-low")
#: How an API request is served and billed: the list price, or a provider's batch, flex
#: (slower, cheaper) or priority (faster, dearer) tier. Only ``standard`` is in
#: ``api_prices.csv``; the others are rows of ``api_price_tiers.csv``.
SERVICE_TIERS = ("standard", "batch", "flex", "priority")
#: Lifetimes of a prompt-cache write that providers price separately.
CACHE_TTLS = ("5m", "1h")
#: The confidence of a snapshot's price when sources disagree near its date and no reading
#: settles it (:func:`infermodel.prices.as_of`); a result, never typed into a table.
DISPUTED = "disputed"
GPU_PRICING = ("on_demand", "spot", "reserved")

API_KEY = ["provider", "model_id"]
GPU_KEY = ["provider", "gpu", "tier", "pricing"]

#: An observation older than this at the as-of date is flagged stale (issue 4 default). [days]
DEFAULT_STALE_AFTER_DAYS = 120

# Unit guards: a per-token price typed into a per-million column is ~1e-6 of the right
# value; a per-second GPU price is 1/3600 of the hourly one. Real prices in 2025-2026 sit
# well inside these bounds (GPT-4.5 output at 150 USD/Mtok is among the highest).
MIN_USD_PER_MILLION = 0.001
MAX_USD_PER_MILLION = 1_000.0
MIN_USD_PER_GPU_HOUR = 0.05
MAX_USD_PER_GPU_HOUR = 100.0
#: Serving modes of a DIY serving assumption.
MODES = ("batch", "realtime")
#: A serving assumption's ``gpu`` that applies to every GPU that holds the model.
ANY_GPU = "any"
#: A model name with a version wildcard, like the article's "Llama 3.x 70B", names a class of
#: models, not one architecture: a serving assumption for it is a rate its source states,
#: never estimated from ``model_specs.csv``, so it needs no spec row.
MODEL_CLASS = re.compile(r"\d\.x\b", re.IGNORECASE)
_MODEL_SUFFIXES = ("-instruct", "-fp8", "-fp4", "-hf", "-chat", "-v0.1", "-v0.2", "-v0.3")


def model_key(name: str) -> str:
    """How a model name is matched: lower case, no org prefix, ``-Instruct``/``-FP8``... dropped.

    ``"Llama 3.3 70B"``, ``"Llama-3.3-70B"`` and ``"meta-llama/Llama-3.3-70B-Instruct"`` all
    give ``"llama-3.3-70b"``.
    """
    key = str(name).strip().lower().rsplit("/", 1)[-1].replace("_", "-").replace(" ", "-")
    changed = True
    while changed:
        changed = False
        for suffix in _MODEL_SUFFIXES:
            if key.endswith(suffix):
                key, changed = key.removesuffix(suffix), True
    return key


def _usd_per_million(*, required: bool) -> pa.Column:
    return pa.Column(
        float,
        [
            pa.Check.ge(0, error="must be >= 0 (a price cannot be negative)"),
            pa.Check(
                lambda s: (s <= 0) | (s >= MIN_USD_PER_MILLION),
                error=f"below {MIN_USD_PER_MILLION} USD per million tokens: looks like a "
                "per-token price; give USD per million tokens",
            ),
            pa.Check.le(
                MAX_USD_PER_MILLION,
                error=f"above {MAX_USD_PER_MILLION:g} USD per million tokens: check the unit",
            ),
        ],
        nullable=not required,
    )


def _provenance_columns() -> dict[str, pa.Column]:
    return {
        "observed_on": date_column("observed_on"),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    }


_NOTE_FOR_ESTIMATES = RowRule(
    "note",
    lambda df: (df["confidence"] == "confirmed") | df["note"].notna(),
    "required when confidence is not 'confirmed' (say what was assumed and the source's date)",
)
_LONG_CONTEXT_TOGETHER = RowRule(
    "usd_per_million_input_tokens_long_context",
    lambda df: (
        df["long_context_threshold_tokens"].isna()
        == df["usd_per_million_input_tokens_long_context"].isna()
    ),
    "long_context_threshold_tokens and the long-context prices are given together or not at all",
)

API_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(API_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "model": pa.Column(str),
        "model_id": pa.Column(str),
        "usd_per_million_input_tokens": _usd_per_million(required=True),
        "usd_per_million_output_tokens": _usd_per_million(required=True),
        "usd_per_million_cached_input_tokens": _usd_per_million(required=False),
        "usd_per_million_cache_write_tokens": _usd_per_million(required=False),
        # Added in 2026-12 (issue 13); files written before it load without the column.
        "usd_per_million_cache_write_1h_tokens": pa.Column(
            float, _usd_per_million(required=False).checks, nullable=True, required=False
        ),
        "batch_discount_fraction": pa.Column(
            float,
            pa.Check.in_range(
                0,
                1,
                include_min=False,
                include_max=False,
                error="must be a fraction in (0, 1), e.g. 0.5 for 50% off",
            ),
            nullable=True,
        ),
        "long_context_threshold_tokens": pa.Column(
            "Int64", pa.Check.gt(0, error="must be > 0 tokens"), nullable=True
        ),
        "usd_per_million_input_tokens_long_context": _usd_per_million(required=False),
        "usd_per_million_output_tokens_long_context": _usd_per_million(required=False),
        **_provenance_columns(),
    },
    unique=[*API_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="api_prices",
)

#: Price columns of one tier row of ``api_price_tiers.csv`` (and of the standard tier).
TIER_PRICE_COLUMNS = (
    "usd_per_million_input_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_cache_write_tokens",
    "usd_per_million_cache_write_1h_tokens",
    "usd_per_million_output_tokens",
)

API_TIER_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "service_tier": pa.Column(
            str,
            pa.Check.isin(SERVICE_TIERS[1:]),
            description="standard prices are the api_prices.csv row itself",
        ),
        "long_context_threshold_tokens": pa.Column(
            "Int64", pa.Check.gt(0, error="must be > 0 tokens"), nullable=True
        ),
        "usd_per_million_input_tokens": _usd_per_million(required=True),
        "usd_per_million_cached_input_tokens": _usd_per_million(required=False),
        "usd_per_million_cache_write_tokens": _usd_per_million(required=False),
        "usd_per_million_cache_write_1h_tokens": _usd_per_million(required=False),
        "usd_per_million_output_tokens": _usd_per_million(required=True),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    unique=[*API_KEY, "observed_on", "service_tier", "long_context_threshold_tokens"],
    strict=True,
    coerce=True,
    name="api_price_tiers",
)

GPU_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(GPU_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "gpu": pa.Column(str),
        "tier": pa.Column(str),
        "pricing": pa.Column(str, pa.Check.isin(GPU_PRICING)),
        "usd_per_gpu_hour": pa.Column(
            float,
            [
                pa.Check.ge(0, error="must be >= 0 (a price cannot be negative)"),
                pa.Check(
                    lambda s: (s < 0) | s.between(MIN_USD_PER_GPU_HOUR, MAX_USD_PER_GPU_HOUR),
                    error=f"outside {MIN_USD_PER_GPU_HOUR}-{MAX_USD_PER_GPU_HOUR:g} USD per "
                    "GPU-hour: a per-second or per-node price? give USD per GPU per hour",
                ),
            ],
        ),
        "billing_increment_seconds": pa.Column(
            "Int64", pa.Check.gt(0, error="must be > 0 seconds"), nullable=True
        ),
        **_provenance_columns(),
    },
    unique=[*GPU_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="gpu_prices",
)


#: Offerings that stopped being sold: one row = "on ``withdrawn_on``, ``source_url`` showed
#: that this offering was no longer on sale". Append-only, like the prices. ``kind``:
#: ``retired`` = the provider's own retirement notice (final: a third-party file still
#: listing the model later does not put it back on sale); ``unlisted`` = a price source
#: stopped listing it (``--withdraw-missing``; a later observation means listed again).
WITHDRAWAL_KINDS = ("retired", "unlisted")
WITHDRAWALS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        "withdrawn_on": date_column("withdrawn_on"),
        "kind": pa.Column(str, pa.Check.isin(WITHDRAWAL_KINDS)),
        **{k: v for k, v in _provenance_columns().items() if k != "observed_on"},
    },
    unique=[*API_KEY, "withdrawn_on"],
    strict=True,
    coerce=True,
    name="withdrawals",
)


TRACKED_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(API_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "model": pa.Column(str),
        "model_id": pa.Column(str),
        "litellm_key": pa.Column(str, nullable=True),
        "genai_prices_provider": pa.Column(str, nullable=True),
        "genai_prices_model": pa.Column(str, nullable=True),
        # Where the keys were looked up; the prices themselves cite their file row by row.
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
        # Optional: "true" for an offering added to the mapping before its first import, so
        # that validate_all does not ask for its observation in api_prices.csv yet.
        "not_yet_imported": pa.Column(
            str,
            pa.Check.isin(("true", "false"), error="must be true or false (or empty)"),
            nullable=True,
            required=False,
        ),
    },
    unique=API_KEY,
    strict=True,
    coerce=True,
    name="tracked_offerings",
)


GPU_SPECS_SCHEMA = pa.DataFrameSchema(
    {
        "gpu": pa.Column(str, unique=True),
        "vendor": pa.Column(str),
        "memory_gb": pa.Column(float, pa.Check.in_range(1, 1024, error="must be 1-1024 GB")),
        "memory_bandwidth_tb_per_s": pa.Column(
            float, pa.Check.in_range(0.1, 50, error="must be 0.1-50 TB/s"), nullable=True
        ),
        # Dense (no 2:4 sparsity) tensor throughput; empty where the chip lacks the format.
        **{
            f"dense_{fmt}_tflops": pa.Column(
                float,
                pa.Check.in_range(1, 100_000, error="must be 1-100,000 TFLOP/s (dense)"),
                nullable=True,
            )
            for fmt in ("bf16", "fp8", "fp4")
        },
        "source_url": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
    name="gpu_specs",
)

SERVING_SCHEMA = pa.DataFrameSchema(
    {
        "assumption_id": pa.Column(
            str,
            pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*$", error="must be lowercase-with-dashes"),
            unique=True,
        ),
        "label": pa.Column(str),
        "model": pa.Column(str),
        "precision": pa.Column(
            str, pa.Check.isin(("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "mxfp4"))
        ),
        "gpu": pa.Column(str),
        "gpus_per_replica": pa.Column(int, pa.Check.in_range(1, 64, error="must be 1-64 GPUs")),
        "min_memory_gb_per_replica": pa.Column(float, pa.Check.gt(0, error="must be > 0 GB")),
        "mode": pa.Column(str, pa.Check.isin(MODES)),
        "output_tokens_per_hour_per_replica": pa.Column(
            float, pa.Check.gt(0, error="must be > 0 tokens per hour")
        ),
        "article_default": pa.Column(
            str, pa.Check.isin(("true", "false"), error="must be true or false")
        ),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    strict=True,
    coerce=True,
    name="serving_assumptions",
)


MODEL_SPECS_SCHEMA = pa.DataFrameSchema(
    {
        "model": pa.Column(str, unique=True),
        "hf_id": pa.Column(str),
        "total_params_b": pa.Column(float, pa.Check.in_range(0.01, 10_000)),
        "active_params_b": pa.Column(float, pa.Check.in_range(0.01, 10_000)),
        "layers": pa.Column(int, pa.Check.in_range(1, 1_000)),
        "hidden_size": pa.Column(int, pa.Check.gt(0)),
        "attention_heads": pa.Column(int, pa.Check.gt(0)),
        "kv_heads": pa.Column(int, pa.Check.gt(0)),
        "head_dim": pa.Column(int, pa.Check.gt(0)),
        "intermediate_size": pa.Column(int, pa.Check.gt(0)),
        "vocab_size": pa.Column(int, pa.Check.gt(0)),
        "experts": pa.Column(int, pa.Check.ge(1)),
        "experts_per_token": pa.Column(int, pa.Check.ge(1)),
        "source_url": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "note": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["active_params_b"] <= df["total_params_b"],
            error="active_params_b must be <= total_params_b",
        ),
        pa.Check(
            lambda df: df["experts_per_token"] <= df["experts"],
            error="experts_per_token must be <= experts",
        ),
    ],
    strict=True,
    coerce=True,
    name="model_specs",
)

MEASURED_SCHEMA = pa.DataFrameSchema(
    {
        "point_id": pa.Column(str, unique=True),
        "model": pa.Column(str),
        "gpu": pa.Column(str),
        "gpus": pa.Column(int, pa.Check.in_range(1, 64, error="must be 1-64 GPUs")),
        "precision": pa.Column(str, pa.Check.isin(PRECISIONS)),
        "input_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "output_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "concurrency": pa.Column(
            "Int64",
            pa.Check.ge(1, error="must be >= 1 (empty: offline maximum load)"),
            nullable=True,
        ),
        "output_tokens_per_second": pa.Column(
            float, pa.Check.gt(0, error="must be > 0 tokens/s (all GPUs of the replica)")
        ),
        "engine": pa.Column(str, nullable=True),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
    name="throughput_measured",
)

EFFICIENCY_SCHEMA = pa.DataFrameSchema(
    {
        "factor": pa.Column(str, pa.Check.isin(FACTORS), unique=True),
        "value": pa.Column(float, pa.Check.in_range(0, 1, error="must be in [0, 1]")),
        "fitted_on_points": pa.Column(str),
        "points": pa.Column(int, pa.Check.ge(1)),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    strict=True,
    coerce=True,
    name="throughput_efficiency",
)


# --------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------


def load_api_prices(path: Path = paths.API_PRICES_CSV) -> pd.DataFrame:
    """All API price observations, validated; raises :class:`TableError` on a bad row."""
    table = read_table(path, API_SCHEMA, rules=[_NOTE_FOR_ESTIMATES, _LONG_CONTEXT_TOGETHER])
    if "usd_per_million_cache_write_1h_tokens" not in table:
        at = table.columns.get_loc("usd_per_million_cache_write_tokens") + 1
        table.insert(at, "usd_per_million_cache_write_1h_tokens", float("nan"))
    return table


def load_api_price_tiers(path: Path = paths.API_PRICE_TIERS_CSV) -> pd.DataFrame:
    """Service-tier prices (batch, flex, priority) of API observations; none when absent.

    Each row belongs to the ``api_prices.csv`` observation with the same provider, model id
    and date; a row with ``long_context_threshold_tokens`` holds the tier's prices for
    prompts above that length.
    """
    if not Path(path).is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in API_TIER_SCHEMA.columns})
    return read_table(path, API_TIER_SCHEMA, rules=[_NOTE_FOR_ESTIMATES])


def load_gpu_prices(path: Path = paths.GPU_PRICES_CSV) -> pd.DataFrame:
    """All GPU price observations, validated; raises :class:`TableError` on a bad row."""
    return read_table(path, GPU_SCHEMA, rules=[_NOTE_FOR_ESTIMATES])


def load_withdrawals(path: Path = paths.WITHDRAWALS_CSV) -> pd.DataFrame:
    """All recorded withdrawals of API offerings, validated; none when the file is absent."""
    if not Path(path).is_file():
        return no_withdrawals()
    return read_table(path, WITHDRAWALS_SCHEMA, rules=[_NOTE_FOR_ESTIMATES])


def no_withdrawals() -> pd.DataFrame:
    """An empty withdrawals table with the loader's columns and types."""
    return pd.DataFrame(
        {
            "provider": pd.Series(dtype=str),
            "model_id": pd.Series(dtype=str),
            "withdrawn_on": pd.Series(dtype="datetime64[ns]"),
            "kind": pd.Series(dtype=str),
            "confidence": pd.Series(dtype=str),
            "source_url": pd.Series(dtype=str),
            "note": pd.Series(dtype=str),
        }
    )


def load_tracked(path: Path = paths.TRACKED_CSV) -> pd.DataFrame:
    """The reviewed mapping of tracked offerings to source keys, validated."""
    return read_table(path, TRACKED_SCHEMA)


def load_gpu_specs(path: Path = paths.GPU_SPECS_CSV) -> pd.DataFrame:
    """GPU specs (memory, bandwidth), one row per exact SKU, validated."""
    return read_table(path, GPU_SPECS_SCHEMA)


def with_serving_rates(table: pd.DataFrame) -> pd.DataFrame:
    """A validated serving table with ``article_default`` as bool and ``tokens_per_second``."""
    return table.assign(
        article_default=table["article_default"] == "true",
        tokens_per_second=table["output_tokens_per_hour_per_replica"] / SECONDS_PER_HOUR,
    )


def load_serving(
    path: Path = paths.SERVING_CSV, *, gpu_specs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Serving assumptions, validated; adds ``tokens_per_second`` per replica.

    A ``gpu`` other than ``any`` must be a SKU in the GPU specs table.
    """
    table = read_table(path, SERVING_SCHEMA)
    specs = load_gpu_specs() if gpu_specs is None else gpu_specs
    known = set(specs["gpu"])
    unknown = (table["gpu"] != ANY_GPU) & ~table["gpu"].isin(known)
    if unknown.any():
        rule = f"must be 'any' or a SKU in gpu_specs.csv: {', '.join(sorted(known))}"
        raise TableError(row_problems(table, unknown, path, "gpu", rule))
    return with_serving_rates(table)


def load_model_specs(path: Path = paths.MODEL_SPECS_CSV) -> pd.DataFrame:
    """Model architectures (parameters, layers, heads), one row per model, validated."""
    return read_table(path, MODEL_SPECS_SCHEMA)


def load_measured(path: Path = paths.MEASURED_CSV) -> pd.DataFrame:
    """Measured serving throughput points (shipped or a user's), validated."""
    return read_table(path, MEASURED_SCHEMA)


def load_efficiency_table(path: Path = paths.EFFICIENCY_CSV) -> pd.DataFrame:
    """The efficiency table itself (factors, points used, error figures), validated."""
    return read_table(path, EFFICIENCY_SCHEMA)


def load_efficiency(path: Path = paths.EFFICIENCY_CSV) -> Efficiency:
    """The fitted efficiency factors shipped in ``data/throughput_efficiency.csv``."""
    table = load_efficiency_table(path)
    missing = [f for f in FACTORS if f not in set(table["factor"])]
    if missing:
        raise TableError([Problem(Path(path), None, "factor", missing[0], "factor missing")])
    return Efficiency(**table.set_index("factor")["value"].astype(float).to_dict())


#: Reviewed readings of the price history (rules in :mod:`infermodel.tables.provenance`): one row =
#: a
#: person's verdict on one field of one observation of ``api_prices.csv``.
READINGS_SCHEMA = pa.DataFrameSchema(
    {
        "reading_id": pa.Column(str, pa.Check.str_matches(r"^R[0-9]+$"), unique=True),
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        "field": pa.Column(str, pa.Check.isin(list(provenance.FIELDS))),
        "observed_on": date_column("observed_on"),
        "source": pa.Column(str),
        "verdict": pa.Column(str, pa.Check.isin(provenance.VERDICTS)),
        "usd_per_million_tokens": _usd_per_million(required=False),
        "reason": pa.Column(str),
        "reviewed_by": pa.Column(str),
        "reviewed_on": date_column("reviewed_on"),
        "source_url": pa.Column(str),
    },
    unique=[*API_KEY, "field", "observed_on", "source"],
    strict=True,
    coerce=True,
    name="price_readings",
)


def load_price_readings(path: Path = paths.PRICE_READINGS_CSV) -> pd.DataFrame:
    """The reviewed readings of the price history, validated; none when the file is absent."""
    if not Path(path).is_file():
        return provenance.no_readings()
    return read_table(path, READINGS_SCHEMA)
