"""Monte Carlo speed: the library against a plain Python loop and a bare numpy floor.

Evaluates the full cost model (every offering of the 20M-token table at May-2025 prices, API
rows with input / cached-input / output prices and DIY rows with the article's formula)
under the same draws of utilization and throughput, three ways, in one run:

- **library**: :func:`infermodel.analyses.sensitivity.simulate_costs`, one array expression
  (offerings x draws), with the formulas' argument checks;
- **loop**: a plain Python loop calling the same :mod:`infermodel.formulas` functions on one
  draw and one offering at a time (run on a sample of the draws and scaled up, since the
  full run would take many minutes; the per-call cost does not depend on the draw count);
- **floor**: the same arithmetic written inline in numpy, no checks, no pandas.

It checks that the three give the same costs, then prints the times and the ratios. Run:

    .venv/bin/python benchmarks/monte_carlo.py [--draws 1000000] [--loop-draws 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from infermodel import formulas, prices
from infermodel.analyses import sensitivity
from infermodel.pricing import compare
from infermodel.tables import serving
from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION
from infermodel.workloads import Workload

DISTRIBUTIONS = {
    "utilization": ["triangular", 0.5, 0.8, 0.95],
    "tokens_per_hour_per_replica": ["lognormal", 1_000_000, 7_569_000],
}


def best_of(repeats: int, function, *args):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def loop(table, samples, draws: int) -> np.ndarray:
    """One formula call per (offering, draw), as a spreadsheet-style script would do it."""
    rows = table.to_dict("records")
    out = np.empty((len(rows), draws))
    for i, row in enumerate(rows):
        for j in range(draws):
            if row["platform_type"] == "diy_gpu":
                out[i, j] = formulas.gpu_cost_usd(
                    row["total_tokens"],
                    samples["tokens_per_hour_per_replica"][j] / SECONDS_PER_HOUR,
                    samples["utilization"][j],
                    row["usd_per_gpu_hour"],
                    gpus_per_replica=row["gpus_per_replica"],
                )
            else:
                cached_price = row["usd_per_million_cached_input_tokens"]
                out[i, j] = formulas.api_cost_usd(
                    row["input_tokens"],
                    row["output_tokens"],
                    row["usd_per_million_input_tokens"],
                    row["usd_per_million_output_tokens"],
                    cached_input_tokens=row["cached_input_tokens"],
                    usd_per_million_cached_input_tokens=(
                        row["usd_per_million_input_tokens"]
                        if np.isnan(cached_price)
                        else cached_price
                    ),
                )
    return out


def floor(constants, samples) -> np.ndarray:
    """The same arithmetic inline: the fastest this can be in numpy."""
    is_api, tokens, in_tok, cached_tok, out_tok, p_in, p_cached, p_out, gpu_price, gpus = constants
    out = np.empty((len(is_api), len(samples["utilization"])))
    out[is_api] = (
        (in_tok * p_in[is_api] + cached_tok * p_cached[is_api] + out_tok * p_out[is_api])
        / TOKENS_PER_MILLION
    )[:, None]
    seconds = tokens / (samples["tokens_per_hour_per_replica"] / SECONDS_PER_HOUR)
    out[~is_api] = (
        seconds / samples["utilization"] / SECONDS_PER_HOUR * (gpu_price * gpus)[~is_api, None]
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--loop-draws", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    snapshot = prices.as_of("2025-05-31")
    assumptions = serving.select(serving.load_serving(), "article")
    workload = Workload.from_total(
        20_000_000, output_share=0.6, cached_input_share=0.3, requests=10_000
    )
    table = compare.cost_table(workload, snapshot, assumptions)
    samples = sensitivity.draw(DISTRIBUTIONS, draws=args.draws, seed=sensitivity.DEFAULT_SEED)
    is_api = (table["platform_type"] != "diy_gpu").to_numpy()
    constants = (
        is_api,
        workload.total_tokens,
        workload.input_tokens,
        workload.cached_input_tokens,
        workload.output_tokens,
        table["usd_per_million_input_tokens"].to_numpy(float),
        table["usd_per_million_cached_input_tokens"]
        .fillna(table["usd_per_million_input_tokens"])
        .to_numpy(float),
        table["usd_per_million_output_tokens"].to_numpy(float),
        table["usd_per_gpu_hour"].to_numpy(float),
        table["gpus_per_replica"].to_numpy(float),
    )

    library_s, library = best_of(args.repeats, sensitivity.simulate_costs, table, samples)
    floor_s, floored = best_of(args.repeats, floor, constants, samples)
    few = {name: values[: args.loop_draws] for name, values in samples.items()}
    loop_sample_s, looped = best_of(1, loop, table, few, args.loop_draws)
    loop_s = loop_sample_s * args.draws / args.loop_draws

    np.testing.assert_allclose(library, floored, rtol=1e-12)
    np.testing.assert_allclose(library[:, : args.loop_draws], looped, rtol=1e-12)
    summary_s, _ = best_of(1, sensitivity.monte_carlo, table, DISTRIBUTIONS)

    offerings, draws = library.shape
    print(f"cost model: {offerings} offerings x {draws:,} draws = {offerings * draws:,} costs")
    print("all three agree to 1e-12 (loop checked on its sample)")
    print(f"library (infermodel.analyses.sensitivity.simulate_costs): {library_s:8.3f} s")
    print(
        f"plain Python loop over infermodel.formulas:      {loop_s:8.1f} s  "
        f"(measured {loop_sample_s:.2f} s on {args.loop_draws:,} draws, scaled)"
    )
    print(f"bare numpy floor (inline arithmetic):           {floor_s:8.3f} s")
    print(f"library speed-up over the loop:  {loop_s / library_s:10,.0f}x  (aim >= 50x)")
    print(f"library time / floor time:       {library_s / floor_s:10.2f}x (aim <= 2x)")
    print(f"whole monte_carlo() incl. P10/P50/P90 and P(DIY < API): {summary_s:.2f} s")


if __name__ == "__main__":
    main()
