"""Does a serving assumption fit the traffic, and does the throughput estimator agree with it?

An alternative the kit proposes for real traffic must be served the way that traffic needs:

- :func:`fits_traffic`: requests answered as they arrive (``realtime`` traffic) need a
  real-time serving assumption (``mode`` ``realtime``: a stream speed or a latency target);
  a batch throughput, reached only with long queues of requests, does not fit them. A batch
  job fits either mode.
- :func:`estimator_view`: the throughput estimator (:mod:`infermodel.estimator.throughput`) on the
same
  model, GPU, GPU count and precision. A configuration it disputes by more than
  :data:`DISPUTE_FACTOR` (the assumption promises more than twice, or less than half, what
  the estimator finds), or cannot serve at all (no tensor cores for the precision, a model
  that does not fit), is flagged ``disputed`` with the reason in words.

Readings: a serving assumption's model ``Llama 3.x 70B`` (the article's "a large LLM") is
estimated as Llama-3.3-70B (Llama 3, 3.1 and 3.3 70B share one architecture); a real-time
assumption the estimator did not make (the article's 60 tok/s) is one stream per replica at
its rate, checked against the estimator's speed for one stream at that rate
(:func:`infermodel.estimator.throughput.at_stream_speed`); an assumption the estimator made (its
source
names ``infermodel.``) agrees with it by construction. The estimate is for
``input_tokens`` / ``output_tokens`` per request (1,000 each unless the traffic says).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from infermodel import checks, tables
from infermodel.errors import InputError
from infermodel.estimator import throughput
from infermodel.tables import specs

#: An assumption more than this many times the estimate (or less than its inverse) is
#: disputed. [-]
DISPUTE_FACTOR = 2.0
#: Modes of serving that fit each kind of traffic.
FITTING_MODES = {"batch": ("batch", "realtime"), "realtime": ("realtime",)}
#: Columns of :func:`estimator_view`.
VIEW_COLUMNS = [
    "serving_assumption",
    "gpu",
    "tokens_per_second",
    "estimated_tokens_per_second",
    "assumed_over_estimated",
    "disputed",
    "estimator_says",
]


def fits_traffic(modes, traffic: str) -> np.ndarray:
    """Whether each serving ``mode`` fits ``traffic`` (``batch`` or ``realtime``)."""
    checks.one_of("traffic", traffic, tuple(FITTING_MODES))
    return np.isin(np.asarray(modes, dtype=object), FITTING_MODES[traffic])


def estimator_model(model: str, models: pd.DataFrame | None = None) -> str | None:
    """The model of ``data/model_specs.csv`` that estimates a serving assumption's model
    (``Llama 3.x 70B`` as Llama-3.3-70B); None when the estimator does not know it."""
    models = tables.load_model_specs() if models is None else models
    for name in (str(model), str(model).replace("3.x", "3.3")):
        try:
            return specs.resolve_model(name, models)
        except InputError:
            continue
    return None


def _estimate(row, model, lengths, models, gpu_specs) -> tuple[float, str]:
    """The estimator's throughput for one (assumption, GPU), or NaN and why it has none."""
    gpus = int(row["gpus_per_replica"])
    shape = (model, row["gpu"], gpus, str(row["precision"]).lower(), *lengths)
    try:
        if row["mode"] == "realtime":
            speed = float(row["tokens_per_second"])
            found = throughput.at_stream_speed(*shape, tokens_per_second_per_stream=speed)
            at = found.iloc[0]
            if not at["meets_target"]:
                return np.nan, _plain(
                    f"no stream reaches {speed:,.0f} tok/s on {gpus} x {row['gpu']}: one "
                    f"stream alone gets {at['output_tokens_per_second_per_stream']:,.0f}"
                )
            return float(at["output_tokens_per_second"]), ""
        names = ("model", "gpu", "gpus", "precision", "input_tokens", "output_tokens")
        found = throughput.estimate_table(
            pd.DataFrame([dict(zip(names, shape, strict=True))]),
            models=models,
            gpu_specs=gpu_specs,
        ).iloc[0]
    except InputError as error:
        return np.nan, _plain(str(error).split(";")[0])
    if not found["fits"]:
        return np.nan, _plain(throughput.not_fit_message(found).split(":")[0])
    return float(found["output_tokens_per_second"]), ""


def estimator_view(
    rows: pd.DataFrame, *, input_tokens: int = 1000, output_tokens: int = 1000
) -> pd.DataFrame:
    """The estimator's throughput for each (serving assumption, GPU) of DIY ``rows``.

    ``rows`` are DIY rows of a cost table (``serving_assumption``, ``gpu``, ``model`` with
    the precision in brackets or a ``precision`` column, ``gpus_per_replica``, ``mode``,
    ``tokens_per_second``) or of :func:`infermodel.tables.serving.pairs`. Returns
    :data:`VIEW_COLUMNS`, one row per (assumption, GPU): ``estimated_tokens_per_second``
    [tokens/s] (NaN when the estimator cannot serve it), ``assumed_over_estimated`` [-],
    ``disputed`` and ``estimator_says`` (why, in words; "" when it agrees).
    """
    if rows.empty:
        return pd.DataFrame(columns=VIEW_COLUMNS)
    models, gpu_specs = tables.load_model_specs(), tables.load_gpu_specs()
    frame = rows.rename(columns={"assumption_id": "serving_assumption"})
    if "precision" not in frame:
        split = frame["model"].str.extract(r"^(?P<base>.*) \((?P<precision>[^)]*)\)$")
        frame = frame.assign(model=split["base"], precision=split["precision"])
    frame = frame.drop_duplicates(["serving_assumption", "gpu"])
    out = []
    for row in frame.to_dict("records"):
        made = str(row.get("serving_source_url") or row.get("source_url") or "")
        model = estimator_model(row["model"], models)
        assumed = float(row["tokens_per_second"])
        if made.startswith("infermodel."):
            estimated, says = assumed, ""
        elif model is None:
            estimated, says = np.nan, f"the estimator has no specs for {row['model']}"
        else:
            lengths = (int(input_tokens), int(output_tokens))
            estimated, says = _estimate(row, model, lengths, models, gpu_specs)
        ratio = assumed / estimated if estimated and np.isfinite(estimated) else np.nan
        far = np.isfinite(ratio) and not 1 / DISPUTE_FACTOR <= ratio <= DISPUTE_FACTOR
        if far:
            says = (
                f"the estimator finds {estimated:,.0f} tok/s for this replica, "
                f"{_times(ratio)} the assumed {assumed:,.0f}"
            )
        out.append(
            {
                "serving_assumption": row["serving_assumption"],
                "gpu": row["gpu"],
                "tokens_per_second": assumed,
                "estimated_tokens_per_second": estimated,
                "assumed_over_estimated": ratio,
                "disputed": bool(far or says),
                "estimator_says": says,
            }
        )
    return pd.DataFrame(out, columns=VIEW_COLUMNS)


def _plain(text: str) -> str:
    """An estimator message for people: no parenthesised column names, GPU SKUs in words."""
    text = re.sub(r" \([^)]*\)", "", text)
    return re.sub(
        r"\b([A-Z]+\d+[A-Za-z]*(?:-[A-Za-z0-9]+)*-\d+GB)\b",
        lambda m: m.group(1).replace("-", " "),
        text,
    )


def _times(ratio: float) -> str:
    """``1/2.3 of`` or ``2.3 times`` the assumption, as the estimate relates to it."""
    return f"1/{ratio:.1f} of" if ratio > 1 else f"{1 / ratio:.1f} times"


__all__ = ["DISPUTE_FACTOR", "FITTING_MODES", "estimator_model", "estimator_view", "fits_traffic"]
