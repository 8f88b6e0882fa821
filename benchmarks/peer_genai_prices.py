"""Peer comparison: the kit's price of each request against pydantic's genai-prices.

The same requests (seeded: prompts from 200 to 400,000 tokens, so both sides of every
long-context threshold, a share of them read from the prompt cache, outputs from 10 to 8,000
tokens) are priced on every tracked offering that genai-prices also prices, on one date:

- by ``infermodel spend`` (:func:`infermodel.pricing.spend.price_spend`: each request on its model
at
  the kit's prices of that day, long-context tiers per request, the providers' rules, the
  context windows);
- by ``genai_prices.calc_price`` (the installed package's data in force on that day).

A request agrees when the two costs are within ``--tolerance`` (1% by default). The script
prints the agreement rate, then the offerings where they differ, with both costs and the
fields of the two price tables that explain it, and the requests the kit refused (over a
context window) that genai-prices priced. Run from the project root:

    .venv/bin/python benchmarks/peer_genai_prices.py --date 2026-12-05 --requests 1200
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import tables
from infermodel.pricing import spend
from infermodel.readers import logs
from infermodel.tables import offerings


def requests(count: int, seed: int) -> pd.DataFrame:
    """``count`` seeded requests: prompt, cached prompt and output tokens."""
    rng = np.random.default_rng(seed)
    prompt = np.exp(rng.uniform(np.log(200), np.log(400_000), count)).astype(np.int64)
    cached = np.where(rng.random(count) < 0.5, (prompt * rng.uniform(0, 0.9, count)), 0)
    output = np.exp(rng.uniform(np.log(10), np.log(8_000), count)).astype(np.int64)
    return pd.DataFrame(
        {"input_tokens": prompt, "cached_input_tokens": cached.astype(np.int64),
         "output_tokens": output}
    )  # fmt: skip


def peers(tracked: pd.DataFrame) -> pd.DataFrame:
    """Tracked offerings genai-prices prices: offering id, provider and model ids there."""
    both = tracked[tracked["genai_prices_provider"].notna()].copy()
    both["offering_id"] = offerings.ids(both)
    return both[["offering_id", "genai_prices_provider", "genai_prices_model"]]


def kit_costs(reqs: pd.DataFrame, pairs: pd.DataFrame, day: str) -> pd.DataFrame:
    """Every request on every offering, priced by ``infermodel spend`` (one log, one day)."""
    rows = pairs[["offering_id"]].merge(reqs, how="cross")
    log = rows.assign(model=rows["offering_id"], timestamp=f"{day} 12:00:00")
    columns = ["timestamp", "model", "input_tokens", "cached_input_tokens", "output_tokens"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.csv"
        log[columns].to_csv(path, index=False)
        shapes = spend.price_spend(logs.read_trace(path)).shapes
    shapes = shapes.assign(kit_usd=shapes["cost_usd"] / shapes["requests"])
    keys = ["offering_id", "input_tokens", "cached_input_tokens", "output_tokens"]
    return rows.merge(shapes[[*keys, "kit_usd", "unpriced_reason"]], on=keys, how="left")


def genai_costs(rows: pd.DataFrame, pairs: pd.DataFrame, day: str) -> pd.Series:
    """genai-prices' cost of each row (NaN where it prices none)."""
    from genai_prices import Usage, calc_price

    when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)
    keys = pairs.set_index("offering_id")
    costs = []
    for row in rows.itertuples(index=False):
        peer = keys.loc[row.offering_id]
        usage = Usage(
            input_tokens=int(row.input_tokens),
            cache_read_tokens=int(row.cached_input_tokens),
            output_tokens=int(row.output_tokens),
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                price = calc_price(
                    usage, peer["genai_prices_model"],
                    provider_id=peer["genai_prices_provider"], genai_request_timestamp=when,
                )  # fmt: skip
            costs.append(float(price.total_price))
        except LookupError:
            costs.append(np.nan)
    return pd.Series(costs, index=rows.index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", default="2026-12-05", help="the day priced (YYYY-MM-DD)")
    parser.add_argument("--requests", type=int, default=1200, help="requests per offering")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--tolerance", type=float, default=0.01, help="relative agreement")
    args = parser.parse_args()
    pairs = peers(tables.load_tracked())
    rows = kit_costs(requests(args.requests, args.seed), pairs, args.date)
    rows["genai_usd"] = genai_costs(rows, pairs, args.date)
    both = rows[rows["kit_usd"].notna() & rows["genai_usd"].notna()]
    apart = (both["kit_usd"] - both["genai_usd"]).abs() / both[["kit_usd", "genai_usd"]].max(axis=1)
    agree = apart <= args.tolerance
    refused = rows[rows["kit_usd"].isna() & rows["genai_usd"].notna()]
    print(
        f"On {args.date}, {len(both):,} request-prices on {both['offering_id'].nunique()} "
        f"offerings priced by both: infermodel and genai-prices agree within "
        f"{args.tolerance:.0%} on {agree.mean():.1%} ({int(agree.sum()):,}); "
        f"{len(refused):,} requests the kit refused (context window, no price that day) "
        f"genai-prices priced; {int(rows['genai_usd'].isna().sum()):,} genai-prices does not price."
    )
    differ = both[~agree].assign(apart=apart[~agree])
    if len(differ):
        summary = differ.groupby("offering_id").agg(
            requests=("apart", "size"),
            median_apart=("apart", "median"),
            kit_usd=("kit_usd", "sum"),
            genai_usd=("genai_usd", "sum"),
        )
        print("\nWhere they differ (by offering):")
        print(summary.sort_values("requests", ascending=False).to_string())
    if len(refused):
        print("\nRefused by the kit, priced by genai-prices (by reason):")
        print(refused.groupby("unpriced_reason").size().sort_values(ascending=False).head(10))


if __name__ == "__main__":
    main()
