"""The registry of shipped tables, and the rules that span them.

:data:`SHIPPED` registers each table of :mod:`infermodel.tables` with its path and loader;
:func:`validate_all` loads them all and checks the rules across tables (every GPU SKU priced
or assumed has a spec row, every withdrawal and tier row names an observed offering, ...).
:func:`data_hash` fingerprints the shipped data for run records.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel.errors import Problem, TableError
from infermodel.tables import (
    API_KEY,
    MODEL_CLASS,
    gpu_billing,
    load_api_price_tiers,
    load_api_prices,
    load_efficiency_table,
    load_gpu_prices,
    load_gpu_specs,
    load_measured,
    load_model_specs,
    load_price_readings,
    load_serving,
    load_tracked,
    load_withdrawals,
    model_key,
    offerings,
    provenance,
)
from infermodel.tables.api_terms import (
    load_api_rate_limits,
    load_bill_models,
    load_scheduled_retirements,
    load_uplifts,
)
from infermodel.tables.reading import row_problems
from infermodel.tables.serving_targets import load_serving_targets

# --------------------------------------------------------------------------------------
# The registry of shipped tables, and the rules across them
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One shipped table: its name, where it lives and how it is read."""

    name: str
    path: Path
    load: Callable[[Path], pd.DataFrame]


#: Every shipped table, in the order :func:`validate_all` checks them.
SHIPPED = {
    table.name: table
    for table in (
        Table("api_prices", paths.API_PRICES_CSV, load_api_prices),
        Table("gpu_prices", paths.GPU_PRICES_CSV, load_gpu_prices),
        Table("gpu_billing_rules", paths.GPU_BILLING_RULES_CSV, gpu_billing.load_billing_rules),
        Table("api_price_tiers", paths.API_PRICE_TIERS_CSV, load_api_price_tiers),
        Table("withdrawals", paths.WITHDRAWALS_CSV, load_withdrawals),
        Table("scheduled_retirements", paths.SCHEDULED_RETIREMENTS_CSV, load_scheduled_retirements),
        Table("uplifts", paths.UPLIFTS_CSV, load_uplifts),
        Table("api_rate_limits", paths.API_RATE_LIMITS_CSV, load_api_rate_limits),
        Table("price_readings", paths.PRICE_READINGS_CSV, load_price_readings),
        Table("tracked_offerings", paths.TRACKED_CSV, load_tracked),
        Table("gpu_specs", paths.GPU_SPECS_CSV, load_gpu_specs),
        Table("model_specs", paths.MODEL_SPECS_CSV, load_model_specs),
        Table("throughput_measured", paths.MEASURED_CSV, load_measured),
        Table("throughput_efficiency", paths.EFFICIENCY_CSV, load_efficiency_table),
        Table("serving_assumptions", paths.SERVING_CSV, load_serving),
        Table("bill_models", paths.BILL_MODELS_CSV, load_bill_models),
        Table("serving_latency_targets", paths.SERVING_TARGETS_CSV, load_serving_targets),
    )
}


def check_gpus_known(gpu_prices: pd.DataFrame, known_gpus: set[str], path: Path) -> list[Problem]:
    """Rows of ``gpu_prices`` whose ``gpu`` has no row in the GPU specs table."""
    rule = f"unknown GPU SKU; add it to gpu_specs.csv or use one of {', '.join(sorted(known_gpus))}"
    return row_problems(gpu_prices, ~gpu_prices["gpu"].isin(known_gpus), path, "gpu", rule)


def _line(index: object) -> int:
    return int(index) + 2  # the header is line 1


def _unknown_offering(
    row: pd.Series, line: int, models: pd.Series, first: pd.Series, path: Path
) -> Problem | None:
    """The problem of a row whose (provider, model_id) names no offering of api_prices."""
    provider, model_id = row["provider"], row["model_id"]
    if provider not in models.index:
        valid = ", ".join(sorted(models.index))
        rule = f"no API offering of this provider in api_prices.csv (providers: {valid})"
        return Problem(Path(path), line, "provider", provider, rule)
    if (provider, model_id) not in first.index:
        close = difflib.get_close_matches(model_id, list(models[provider]), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        rule = f"no {provider} offering with this model_id in api_prices.csv{hint}"
        return Problem(Path(path), line, "model_id", model_id, rule)
    return None


def check_withdrawals(
    withdrawals: pd.DataFrame, api_prices: pd.DataFrame, path: Path
) -> list[Problem]:
    """Withdrawals that name no offering of ``api_prices``, or precede its first observation.

    A withdrawal of an offering that was never observed would silently do nothing; one dated
    before the first observation contradicts it.
    """
    first = api_prices.groupby(API_KEY)["observed_on"].min()
    models = api_prices.groupby("provider")["model_id"].unique()
    problems = []
    for index, row in withdrawals.iterrows():
        problem = _unknown_offering(row, _line(index), models, first, path)
        if problem is not None:
            problems.append(problem)
        elif row["withdrawn_on"] < first[(row["provider"], row["model_id"])]:
            provider, model_id = row["provider"], row["model_id"]
            rule = (
                f"before the first observation of {provider} {model_id} in api_prices.csv "
                f"({first[(provider, model_id)].date()}); a withdrawal follows an observation"
            )
            when = row["withdrawn_on"].strftime("%Y-%m-%d")
            problems.append(Problem(Path(path), _line(index), "withdrawn_on", when, rule))
    return problems


def check_scheduled_retirements(
    scheduled: pd.DataFrame, api_prices: pd.DataFrame, path: Path
) -> list[Problem]:
    """Scheduled retirements that name no offering of ``api_prices`` (any date is allowed)."""
    first = api_prices.groupby(API_KEY)["observed_on"].min()
    models = api_prices.groupby("provider")["model_id"].unique()
    found = [_unknown_offering(r, _line(i), models, first, path) for i, r in scheduled.iterrows()]
    return [problem for problem in found if problem is not None]


def check_tiers(tiers: pd.DataFrame, api_prices: pd.DataFrame, path: Path) -> list[Problem]:
    """Tier rows that belong to no observation of ``api_prices`` (same offering and date)."""
    observed = pd.MultiIndex.from_frame(api_prices[[*API_KEY, "observed_on"]])
    belongs = pd.MultiIndex.from_frame(tiers[[*API_KEY, "observed_on"]]).isin(observed)
    rule = (
        "no api_prices.csv observation of this offering on this date; a tier row belongs to "
        "the standard-price observation of the same provider, model_id and observed_on"
    )
    return row_problems(tiers, pd.Series(~belongs, index=tiers.index), path, "observed_on", rule)


def check_rate_limits(limits: pd.DataFrame, tracked: pd.DataFrame, path: Path) -> list[Problem]:
    """Rate limits of a provider with no tracked offering, or whose pattern matches none.

    A limit that matches no tracked offering would silently bound nothing.
    """
    models = tracked.groupby("provider")["model_id"].unique()
    problems = []
    for index, row in limits.iterrows():
        provider, pattern = row["provider"], row["model_pattern"]
        if provider not in models.index:
            valid = ", ".join(sorted(models.index))
            rule = f"no tracked offering of this provider in tracked_offerings.csv ({valid})"
            problems.append(Problem(Path(path), _line(index), "provider", provider, rule))
        elif not fnmatch.filter(list(models[provider]), pattern):
            close = difflib.get_close_matches(pattern, list(models[provider]), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            rule = f"matches no tracked {provider} model_id (an fnmatch pattern){hint}"
            problems.append(Problem(Path(path), _line(index), "model_pattern", pattern, rule))
    return problems


def check_tracked(tracked: pd.DataFrame, api_prices: pd.DataFrame, path: Path) -> list[Problem]:
    """Tracked offerings with no observation in ``api_prices`` and not marked not yet imported.

    Reported on ``provider`` when that provider has no offering at all, else on ``model_id``.
    """
    observed = pd.MultiIndex.from_frame(api_prices[API_KEY])
    known = pd.MultiIndex.from_frame(tracked[API_KEY]).isin(observed)
    flag = tracked.get("not_yet_imported", pd.Series(pd.NA, index=tracked.index, dtype=object))
    unknown = pd.Series(~known & ~flag.fillna("").eq("true").to_numpy(), index=tracked.index)
    providers = sorted(set(api_prices["provider"]))
    other = ~tracked["provider"].isin(providers)
    fix = "import it ('infermodel prices import ... --write') or set not_yet_imported=true"
    return sorted(
        row_problems(
            tracked,
            unknown & other,
            path,
            "provider",
            f"no API offering of this provider in api_prices.csv (providers: "
            f"{', '.join(providers)}); fix the spelling, or {fix}",
        )
        + row_problems(
            tracked,
            unknown & ~other,
            path,
            "model_id",
            f"no observation of this offering in api_prices.csv; fix the spelling, or {fix}",
        ),
        key=lambda problem: problem.line,
    )


def check_bill_models(
    bill_models: pd.DataFrame, api_prices: pd.DataFrame, path: Path
) -> list[Problem]:
    """Rows of ``bill_models.csv`` whose ``offering_id`` is no API offering of ``api_prices``,
    or that repeat a (provider, model) another row maps (ignoring case and spelling of the
    provider, as bills are matched)."""
    known = sorted(set(offerings.ids(api_prices)))
    problems = []
    for index, row in bill_models.iterrows():
        if row["offering_id"] not in known:
            close = difflib.get_close_matches(row["offering_id"], known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            rule = f"no API offering with this id in api_prices.csv{hint}"
            problems.append(
                Problem(Path(path), _line(index), "offering_id", row["offering_id"], rule)
            )
    key = (
        bill_models["provider"].map(offerings.provider_slug)
        + "\0"
        + bill_models["billed_model"].str.casefold()
    )
    rule = "the same provider and model (ignoring case) as an earlier row; a bill line maps once"
    problems += row_problems(bill_models, key.duplicated(), path, "billed_model", rule)
    return problems


def check_models_known(
    frame: pd.DataFrame, models: pd.DataFrame, path: Path, *, classes_allowed: bool
) -> list[Problem]:
    """Rows whose ``model`` matches no model of ``model_specs.csv`` (by :func:`model_key`).

    With ``classes_allowed``, a model class with a version wildcard (:data:`MODEL_CLASS`, the
    article's "Llama 3.x 70B") is accepted.
    """
    keys = {model_key(m) for m in models["model"]} | {model_key(h) for h in models["hf_id"]}
    unknown = ~frame["model"].map(model_key).isin(keys)
    exempt = ""
    if classes_allowed:
        unknown &= ~frame["model"].str.contains(MODEL_CLASS)
        exempt = "; a model class with a version wildcard (like 'Llama 3.x 70B') needs no row"
    rule = f"not a model in model_specs.csv (models: {', '.join(models['model'])}){exempt}"
    return row_problems(frame, unknown, path, "model", rule)


def check_serving_targets(
    targets: pd.DataFrame,
    serving: pd.DataFrame,
    models: pd.DataFrame,
    known_gpus: set[str],
    path: Path,
) -> list[Problem]:
    """Latency targets whose replica is unknown or whose serving row is missing or differs.

    Each target names a model of ``model_specs.csv`` and a GPU of ``gpu_specs.csv`` exactly (the
    estimator reads their specs), and has a ``realtime`` row in ``serving_assumptions.csv``
    with the same id, model, precision, GPU and GPU count, whose rate
    :func:`infermodel.estimator.latency.write_serving_rows` writes.
    """
    problems = row_problems(
        targets,
        ~targets["model"].isin(set(models["model"])),
        path,
        "model",
        "must be a model of model_specs.csv, exactly as spelt there",
    )
    problems += row_problems(
        targets, ~targets["gpu"].isin(known_gpus), path, "gpu", "must be a SKU of gpu_specs.csv"
    )
    by_id = serving.set_index("assumption_id")
    missing = ~targets["assumption_id"].isin(by_id.index)
    problems += row_problems(
        targets,
        missing,
        path,
        "assumption_id",
        "has no serving_assumptions.csv row; run infermodel.estimator.latency.write_serving_rows()",
    )
    for field, serving_field in (
        ("model", "model"),
        ("precision", "precision"),
        ("gpu", "gpu"),
        ("gpus_per_replica", "gpus_per_replica"),
    ):
        other = targets["assumption_id"].map(by_id[serving_field])
        differs = ~missing & (other.astype(str) != targets[field].astype(str))
        problems += row_problems(
            targets, differs, path, field, f"differs from the serving row's {serving_field}"
        )
    not_realtime = ~missing & (targets["assumption_id"].map(by_id["mode"]) != "realtime")
    problems += row_problems(
        targets, not_realtime, path, "assumption_id", "its serving row must have mode realtime"
    )
    return problems


def _cross_table_problems(tables: dict[str, pd.DataFrame], files: dict[str, Path]) -> list[Problem]:
    """Every rule across tables, over the tables that loaded."""
    problems: list[Problem] = []
    if "api_prices" in tables:
        api = tables["api_prices"]
        if "api_price_tiers" in tables:
            tiers = tables["api_price_tiers"]
            problems += check_tiers(tiers, api, files["api_price_tiers"])
        if "price_readings" in tables:
            readings = tables["price_readings"]
            problems += provenance.check_readings(readings, api, files["price_readings"])
        if "scheduled_retirements" in tables:
            problems += check_scheduled_retirements(
                tables["scheduled_retirements"], api, files["scheduled_retirements"]
            )
        if "withdrawals" in tables:
            problems += check_withdrawals(tables["withdrawals"], api, files["withdrawals"])
        if "tracked_offerings" in tables:
            tracked = tables["tracked_offerings"]
            problems += check_tracked(tracked, api, files["tracked_offerings"])
        if "bill_models" in tables:
            problems += check_bill_models(tables["bill_models"], api, files["bill_models"])
    if "gpu_prices" in tables and "gpu_billing_rules" in tables:
        problems += gpu_billing.check_prices_have_rules(
            tables["gpu_prices"], tables["gpu_billing_rules"], files["gpu_prices"]
        )
    if "api_rate_limits" in tables and "tracked_offerings" in tables:
        problems += check_rate_limits(
            tables["api_rate_limits"], tables["tracked_offerings"], files["api_rate_limits"]
        )
    if "gpu_specs" in tables:
        known = set(tables["gpu_specs"]["gpu"])
        if "gpu_prices" in tables:
            problems += check_gpus_known(tables["gpu_prices"], known, files["gpu_prices"])
        if "throughput_measured" in tables:
            measured = tables["throughput_measured"]
            problems += check_gpus_known(measured, known, files["throughput_measured"])
    if {"serving_latency_targets", "serving_assumptions", "model_specs", "gpu_specs"} <= set(
        tables
    ):
        problems += check_serving_targets(
            tables["serving_latency_targets"],
            tables["serving_assumptions"],
            tables["model_specs"],
            set(tables["gpu_specs"]["gpu"]),
            files["serving_latency_targets"],
        )
    if "model_specs" in tables:
        models = tables["model_specs"]
        for name, classes in (("serving_assumptions", True), ("throughput_measured", False)):
            if name in tables:
                problems += check_models_known(
                    tables[name], models, files[name], classes_allowed=classes
                )
    return problems


def validate_all(data_dir: Path = paths.DATA_DIR) -> dict[str, int]:
    """Check every shipped table under ``data_dir``; return row counts per table.

    Collects the problems of all tables (schemas, then the rules across tables) and raises
    one :class:`TableError` listing them all. Across tables: every GPU SKU priced, assumed
    or measured has a spec row; every withdrawal names an offering of ``api_prices.csv`` and
    is dated on or after its first observation; every scheduled retirement names one; every
    tracked offering has an observation there (or is marked ``not_yet_imported``); every
    model a bill may name (``bill_models.csv``) maps to an offering there, once; every
    latency target names a known model and GPU and has its realtime serving row; every
    serving assumption and measurement names a model of ``model_specs.csv`` (a serving
    assumption may name a model class such as the article's "Llama 3.x 70B"); every rate
    limit names a provider with tracked offerings and a pattern matching one of them.
    """
    data_dir = Path(data_dir)
    files = {
        name: data_dir / table.path.relative_to(paths.DATA_DIR) for name, table in SHIPPED.items()
    }
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, table in SHIPPED.items():
        if name == "serving_assumptions":
            continue  # read against the GPU specs below
        try:
            tables[name] = table.load(files[name])
        except TableError as exc:
            problems.extend(exc.problems)
    if "gpu_specs" in tables:
        try:
            tables["serving_assumptions"] = load_serving(
                files["serving_assumptions"], gpu_specs=tables["gpu_specs"]
            )
        except TableError as exc:
            problems.extend(exc.problems)
    problems += _cross_table_problems(tables, files)
    if problems:
        raise TableError(problems)
    return {name: len(table) for name, table in tables.items()}


def data_hash(files: Sequence[Path] | None = None) -> str:
    """SHA-256 over the shipped data tables (names and bytes), for run records."""
    files = sorted(paths.DATA_DIR.rglob("*.csv")) if files is None else list(files)
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).relative_to(paths.ROOT_DIR).as_posix().encode())
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()
