"""How long a request each API offering takes: ``data/prices/context_windows.csv``.

One row says "on ``observed_on``, ``source_url`` said ``model_id`` at ``provider`` takes at
most ``max_input_tokens`` prompt tokens and generates at most ``max_output_tokens``". A request
over either is refused by the provider, so the kit never prices it: :func:`over_window` names
the offerings a workload or a log cannot be sent to, and why, and the pricing paths leave them
out (:mod:`infermodel.pricing.compare`, :mod:`infermodel.pricing.trace_pricing`) or list the
request as
unpriceable (:mod:`infermodel.pricing.spend`).

Reading: the newest reading on or before the date applies; before the first reading of an
offering, its first reading applies (a window is read rarely and seldom shrinks; the row's
date is in ``window_observed_on`` so a reader can see it). An offering with no reading has
an unknown window and is not checked (``window_known`` false).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from infermodel import paths
from infermodel.tables import API_KEY, CONFIDENCE_LEVELS
from infermodel.tables.reading import date_column, read_table

#: The most tokens any window may state: far above today's largest (about 10^7). [tokens]
MAX_WINDOW_TOKENS = 100_000_000

CONTEXT_WINDOWS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        "max_input_tokens": pa.Column(
            "Int64",
            pa.Check.in_range(1, MAX_WINDOW_TOKENS, error="must be 1-100,000,000 tokens"),
        ),
        "max_output_tokens": pa.Column(
            "Int64",
            pa.Check.in_range(1, MAX_WINDOW_TOKENS, error="must be 1-100,000,000 tokens"),
            nullable=True,
        ),
        "observed_on": date_column("observed_on"),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    unique=[*API_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="context_windows",
)


def load_context_windows(path: Path = paths.CONTEXT_WINDOWS_CSV) -> pd.DataFrame:
    """Context windows of API offerings, validated; none when the file is absent."""
    if not Path(path).is_file():
        return no_context_windows()
    return read_table(path, CONTEXT_WINDOWS_SCHEMA)


def no_context_windows() -> pd.DataFrame:
    """An empty windows table (no offering is checked)."""
    return pd.DataFrame(
        {
            "provider": pd.Series(dtype=object),
            "model_id": pd.Series(dtype=object),
            "max_input_tokens": pd.Series(dtype="Int64"),
            "max_output_tokens": pd.Series(dtype="Int64"),
            "observed_on": pd.Series(dtype="datetime64[ns]"),
            "confidence": pd.Series(dtype=object),
            "source_url": pd.Series(dtype=object),
            "note": pd.Series(dtype=object),
        }
    )


def windows_for(
    api: pd.DataFrame, as_of: pd.Timestamp, windows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each offering's window on ``as_of``, aligned on ``api``'s index.

    Columns ``max_input_tokens``, ``max_output_tokens`` [tokens, float; NaN where unknown],
    ``window_observed_on`` and ``window_source_url``; ``windows`` defaults to the shipped table.
    """
    windows = load_context_windows() if windows is None else windows
    ordered = windows.sort_values("observed_on", kind="stable")
    newest = ordered[ordered["observed_on"] <= as_of].groupby(API_KEY).tail(1)
    first = ordered.groupby(API_KEY).head(1)
    chosen = pd.concat([newest, first]).drop_duplicates(API_KEY, keep="first")
    columns = ["max_input_tokens", "max_output_tokens", "observed_on", "source_url"]
    merged = api[API_KEY].merge(chosen[[*API_KEY, *columns]], on=API_KEY, how="left")
    merged.index = api.index
    return pd.DataFrame(
        {
            "max_input_tokens": merged["max_input_tokens"].astype(float),
            "max_output_tokens": merged["max_output_tokens"].astype(float),
            "window_observed_on": merged["observed_on"],
            "window_source_url": merged["source_url"],
        },
        index=api.index,
    )


def over_window(
    windows: pd.DataFrame, *, prompt_tokens: float | np.ndarray, output_tokens: float | np.ndarray
) -> pd.Series:
    """Why a request of this size cannot be sent to each offering ("" where it can).

    ``windows`` is :func:`windows_for`; ``prompt_tokens`` and ``output_tokens`` are one
    request's (scalars, or one value per offering) [tokens]. E.g. ``"prompt of 300,000
    tokens above the 128,000-token context window (max input)"``.
    """
    prompt = np.broadcast_to(np.asarray(prompt_tokens, dtype=float), len(windows))
    output = np.broadcast_to(np.asarray(output_tokens, dtype=float), len(windows))
    max_in = windows["max_input_tokens"].to_numpy(dtype=float)
    max_out = windows["max_output_tokens"].to_numpy(dtype=float)
    reasons = []
    for p, o, mi, mo in zip(prompt, output, max_in, max_out, strict=True):
        if not np.isnan(mi) and p > mi:
            reasons.append(
                f"prompt of {p:,.0f} tokens above the {mi:,.0f}-token context window (max input)"
            )
        elif not np.isnan(mo) and o > mo:
            reasons.append(f"output of {o:,.0f} tokens above the {mo:,.0f}-token max output")
        else:
            reasons.append("")
    return pd.Series(reasons, index=windows.index, dtype=object)
