"""Importing prices: compare a source with the shipped history, then append what is new.

Nobody should retype hundreds of prices. A price file is read by a reader
(:func:`infermodel.readers.litellm.read_litellm`,
:func:`infermodel.readers.genai_prices.read_genai_prices`) into a
:class:`~infermodel.readers.price_files.Source`.

Only the offerings in the small reviewed mapping ``data/prices/tracked_offerings.csv`` are
imported. :func:`review` compares what the source says on its date with the observations
already shipped and labels each tracked offering ``new`` | ``changed`` | ``unchanged`` |
``missing`` | ``withdrawn`` | ``duplicate`` | ``implausible``; :func:`write` appends the new
observation rows (and the retirement dates the source schedules, to
``scheduled_retirements.csv``: a schedule is never a withdrawal) only when nothing is wrong,
validating the result first, so a refused import leaves every file as it was.

Plausibility: a price (input, output or cached input) that moves more than
:data:`MAX_CHANGE_FACTOR` times either way against the newest earlier observation of the same
offering, to or from zero, or an input or output price below
:data:`MIN_PLAUSIBLE_USD_PER_MILLION` (a per-token or per-thousand-token figure read as per
million lands there) makes the offering ``implausible``: the review says old, new and factor,
and :func:`write` refuses unless the offering's ``model_id`` is in ``accept``
(``--accept-change MODEL_ID`` on the command line). The unit checks of the readers
(:func:`infermodel.readers.price_files.per_million`) come first and stay.

Writes go through :mod:`infermodel.tables.writes` (by column name, under a lock, atomic, existing
bytes kept); :func:`write` reviews the source again inside the lock, so a second import
running at the same time sees the rows the first one wrote.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infermodel import paths, prices, tables
from infermodel.errors import InputError, TableError
from infermodel.readers.price_files import ImportRefused, Quote, Source
from infermodel.tables import api_terms, registry, writes

#: Columns written to ``api_prices.csv``, in file order.
API_COLUMNS = list(tables.API_SCHEMA.columns)
WITHDRAWAL_COLUMNS = list(tables.WITHDRAWALS_SCHEMA.columns)
TIER_COLUMNS = list(tables.API_TIER_SCHEMA.columns)
SCHEDULED_COLUMNS = list(api_terms.SCHEDULED_RETIREMENTS_SCHEMA.columns)
_PRICE_FIELDS = [
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_cache_write_tokens",
    "usd_per_million_cache_write_1h_tokens",
    "batch_discount_fraction",
    "long_context_threshold_tokens",
    "usd_per_million_input_tokens_long_context",
    "usd_per_million_output_tokens_long_context",
]
#: Prices the plausibility check compares with the newest earlier observation.
_CHECKED_FIELDS = _PRICE_FIELDS[:3]
#: A price moving by more than this factor either way needs --accept-change. [-]
MAX_CHANGE_FACTOR = 10.0
#: Input or output prices below this need --accept-change: the cheapest tracked offering
#: ever shipped is 0.05 USD/Mtok, and a per-token or per-thousand-token price read as per
#: million lands well below. [USD/Mtok]
MIN_PLAUSIBLE_USD_PER_MILLION = 0.01
_ACCEPT_OPTION = "--accept-change"


#: Columns of the review table, one row per tracked offering.
_REVIEW_COLUMNS = ["status", "provider", "model_id", "key", "detail"]


# --------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------


@dataclass
class Review:
    """The outcome of comparing a source with the shipped observations.

    ``tracked`` and ``accepted`` are what the review was made with, so that :func:`write`
    can make it again, under the lock, against the files it appends to.
    """

    source: Source
    table: pd.DataFrame
    rows: pd.DataFrame
    withdrawals: pd.DataFrame
    tracked: pd.DataFrame | None = None
    accepted: tuple[str, ...] = field(default=())
    #: Service-tier rows (``api_price_tiers.csv``) of the observations in ``rows``.
    tiers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TIER_COLUMNS))
    #: Retirement dates the source schedules (rows for ``scheduled_retirements.csv``).
    scheduled: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SCHEDULED_COLUMNS))

    def counts(self) -> dict[str, int]:
        return self.table["status"].value_counts().to_dict()

    def render(self) -> str:
        """The review as text for a person: one line per tracked offering, then totals."""
        lines = [
            f"Review of {self.source.described_as}, observed_on {self.source.observed_on.date()}"
        ]
        for row in self.table.itertuples(index=False):
            detail = f": {row.detail}" if row.detail else ""
            lines.append(f"  {row.status:<12} {row.provider} {row.model_id} [{row.key}]{detail}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        lines.append(f"Totals: {counts}")
        return "\n".join(lines)


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _same(a: object, b: object) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return abs(float(a) - float(b)) < 1e-9


def _fmt(value: object) -> str:
    return "-" if _missing(value) else f"{float(value):g}"


def _factor(before: float, after: float) -> str:
    """How ``after`` compares with ``before``: a percentage, or a factor for large moves."""
    ratio = after / before
    if 1 / MAX_CHANGE_FACTOR <= ratio <= MAX_CHANGE_FACTOR:
        return f"{ratio - 1:+.0%}"
    return _times(ratio)


def _times(ratio: float) -> str:
    """A factor as a person reads it: ``x0.001``, ``x10.5``, ``x12,000``."""
    return f"x{ratio:,.0f}" if ratio >= 100 else f"x{ratio:.3g}"


def _changes(old: pd.Series, new: Mapping[str, object]) -> list[str]:
    changes = []
    for name in _PRICE_FIELDS:
        before, after = old.get(name), new.get(name)
        if not _same(before, after):
            text = f"{name.removeprefix('usd_per_million_')} {_fmt(before)} -> {_fmt(after)}"
            if not _missing(before) and not _missing(after) and before:
                text += f" ({_factor(float(before), float(after))})"
            changes.append(text)
    return changes


def _implausible(previous: pd.Series | None, observation: Mapping[str, object]) -> list[str]:
    """Why the prices of ``observation`` look wrong (empty when they look right).

    Each reason names the price, old -> new [USD/Mtok] and the factor between them.
    """
    reasons = []
    for name in _CHECKED_FIELDS:
        after = observation.get(name)
        before = None if previous is None else previous.get(name)
        if _missing(after):
            continue
        after, why = float(after), []
        if not _missing(before) and float(before) != after:
            before = float(before)
            ratio = after / before if before else float("inf")
            if before == 0 or after == 0:
                why.append("to or from zero")
            elif not 1 / MAX_CHANGE_FACTOR <= ratio <= MAX_CHANGE_FACTOR:
                direction = "up" if ratio > 1 else "down"
                why.append(f"{_times(ratio)}, more than {MAX_CHANGE_FACTOR:g}x {direction}")
        if 0 < after < MIN_PLAUSIBLE_USD_PER_MILLION and "cached" not in name:
            why.append(
                f"below {MIN_PLAUSIBLE_USD_PER_MILLION:g}: looks like a per-token or "
                "per-thousand-token price"
            )
        if why:
            old = "" if _missing(before) else f"{float(before):g} -> "
            short = name.removeprefix("usd_per_million_")
            reasons.append(f"{short} {old}{after:g} USD/Mtok ({'; '.join(why)})")
    return reasons


@dataclass(frozen=True)
class _History:
    """What the shipped tables say on the source's date, for each offering."""

    newest: pd.DataFrame  # newest observation on or before the date, indexed by API_KEY
    withdrawn: set  # (provider, model_id) withdrawn on or before the date
    recorded: set  # (provider, model_id, withdrawn_on) already in withdrawals.csv
    same_day: set  # (provider, model_id) observed on the date itself
    observed: set  # (provider, model_id) observed on any date

    @classmethod
    def of(cls, api_prices: pd.DataFrame, withdrawals: pd.DataFrame, when) -> _History:
        newest = prices.newest_on_or_before(api_prices, when, tables.API_KEY)
        _, withdrawn_now = prices.split_withdrawn(newest, withdrawals, when)
        on_day = api_prices[api_prices["observed_on"] == when]
        return cls(
            newest=newest.set_index(tables.API_KEY),
            withdrawn=set(zip(withdrawn_now["provider"], withdrawn_now["model_id"], strict=True)),
            recorded=set(
                zip(
                    withdrawals["provider"],
                    withdrawals["model_id"],
                    withdrawals["withdrawn_on"],
                    strict=True,
                )
            ),
            same_day=set(zip(on_day["provider"], on_day["model_id"], strict=True)),
            observed=set(zip(api_prices["provider"], api_prices["model_id"], strict=True)),
        )


def _observation(row: pd.Series, key: str, quote: Quote, source: Source) -> dict[str, object]:
    """The ``api_prices.csv`` row for what ``source`` says about one tracked offering."""
    observation: dict[str, object] = {c: None for c in API_COLUMNS}
    observation.update(
        platform_type=row["platform_type"],
        provider=row["provider"],
        model=row["model"],
        model_id=row["model_id"],
        observed_on=source.observed_on,
        confidence="confirmed",
        source_url=source.source_url,
    )
    observation.update({k: v for k, v in quote.prices.items() if k in _PRICE_FIELDS})
    note = [f"key {key} in {source.described_as}", *quote.remarks]
    if quote.scheduled_retirement_on is not None:
        when = quote.scheduled_retirement_on.date()
        note.append(f"source schedules retirement on {when} (not a withdrawal)")
    note.append(f"imported by 'infermodel prices import {source.name}'")
    observation["note"] = "; ".join(note)
    return observation


def _scheduled_retirement(
    row: pd.Series, key: str, quote: Quote, source: Source
) -> dict[str, object]:
    """The ``scheduled_retirements.csv`` row for a source's deprecation date (not a withdrawal)."""
    return {
        "provider": row["provider"],
        "model_id": row["model_id"],
        "scheduled_on": quote.scheduled_retirement_on,
        "source": f"{source.described_as}, key {key}, deprecation_date",
        "source_url": source.source_url,
        "read_on": source.observed_on,
        "note": f"a date the source schedules, not a retirement notice; imported by "
        f"'infermodel prices import {source.name}'",
    }


def _assessed(observation: dict[str, object], history: _History, accepted: bool) -> tuple[str, str]:
    """Status and detail of a priced observation against the newest earlier one."""
    ident = (observation["provider"], observation["model_id"])
    previous = history.newest.loc[ident] if ident in history.newest.index else None
    if previous is None:
        status = "new"
        detail = (
            f"in {_fmt(observation['usd_per_million_input_tokens'])} / out "
            f"{_fmt(observation['usd_per_million_output_tokens'])} USD/Mtok"
        )
    else:
        changes = _changes(previous, observation)
        since = f"vs {previous['observed_on'].date()}"
        status = "changed" if changes else "unchanged"
        detail = f"{'; '.join(changes)} ({since})" if changes else since
    reasons = _implausible(previous, observation)
    if not reasons:
        return status, detail
    if accepted:
        return status, f"{detail}; accepted by {_ACCEPT_OPTION}: {'; '.join(reasons)}"
    since = "" if previous is None else f" vs {previous['observed_on'].date()}"
    return "implausible", f"{'; '.join(reasons)}{since}{_accept_hint(observation['model_id'])}"


def _accept_hint(model_id: object) -> str:
    return f"; check the source's unit, or if the source is right pass {_ACCEPT_OPTION} {model_id}"


def _judged(
    row: pd.Series, key: str, source: Source, history: _History, accepted: bool
) -> tuple[str, str, dict | None, dict | None]:
    """(status, detail, observation or None, scheduled retirement or None) of one offering."""
    ident = (row["provider"], row["model_id"])
    if ident in history.withdrawn:
        return "withdrawn", "withdrawal on record", None, None
    if key not in source.quotes:
        close = difflib.get_close_matches(key, list(source.quotes.keys()), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return "missing", f"not in the source{hint}", None, None
    quote = source.quotes[key]
    if quote is None:
        return "missing", "listed without a price", None, None
    if ident in history.same_day:
        detail = f"an observation dated {source.observed_on.date()} is already recorded"
        return "duplicate", detail, None, None
    observation = _observation(row, key, quote, source)
    status, detail = _assessed(observation, history, accepted)
    scheduled = None
    if quote.scheduled_retirement_on is not None:  # a plan: the price is recorded all the same
        scheduled = _scheduled_retirement(row, key, quote, source)
        detail += f"; source schedules retirement on {quote.scheduled_retirement_on.date()}"
    return status, detail, (None if status == "implausible" else observation), scheduled


def _accepted(tracked: pd.DataFrame, accept: Sequence[str]) -> tuple[str, ...]:
    """``accept`` checked against the tracked model ids (a typo must not pass silently)."""
    known = list(tracked["model_id"])
    for name in accept:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(
                f"{_ACCEPT_OPTION} {name!r}: not the model_id of a tracked offering{hint} "
                f"(model ids are listed in {paths.TRACKED_CSV.name})"
            )
    return tuple(accept)


def review(
    source: Source,
    *,
    tracked: pd.DataFrame | None = None,
    api_prices: pd.DataFrame | None = None,
    withdrawals: pd.DataFrame | None = None,
    accept: Sequence[str] = (),
) -> Review:
    """Compare ``source`` with the shipped observations for every tracked offering.

    Statuses: ``new`` (no earlier observation), ``changed`` / ``unchanged`` (against the
    newest observation on or before the source's date), ``missing`` (the mapped key is not in
    the source or has no price), ``withdrawn`` (a withdrawal is already recorded: skipped),
    ``duplicate`` (an observation on that date already exists),
    ``implausible`` (a price moves more than :data:`MAX_CHANGE_FACTOR` times either way, to or
    from zero, or looks per-token; not written unless its ``model_id`` is in ``accept``).
    Offerings with no key for this source are not listed.
    """
    tracked = tables.load_tracked() if tracked is None else tracked
    api_prices = tables.load_api_prices() if api_prices is None else api_prices
    withdrawals = tables.load_withdrawals() if withdrawals is None else withdrawals
    accepted = _accepted(tracked, accept)
    keyed = tracked
    if source.key_column == "genai_prices_key":
        keyed = tracked.assign(
            genai_prices_key=tracked["genai_prices_provider"] + "/" + tracked["genai_prices_model"]
        )
    history = _History.of(api_prices, withdrawals, source.observed_on)
    report, rows, plans = [], [], []
    for offering in keyed.itertuples(index=False):
        row = pd.Series(offering._asdict())
        key = source.key_of(row)
        if key is None:
            continue
        status, detail, observation, scheduled = _judged(
            row, key, source, history, row["model_id"] in accepted
        )
        report.append([status, row["provider"], row["model_id"], key, detail])
        rows += [observation] if observation is not None else []
        plans += [scheduled] if scheduled is not None else []
    table = pd.DataFrame(report, columns=_REVIEW_COLUMNS)
    rows = pd.DataFrame(rows, columns=API_COLUMNS)
    return Review(
        source,
        table,
        rows,
        pd.DataFrame(columns=WITHDRAWAL_COLUMNS),  # only --withdraw-missing adds withdrawals
        tracked=tracked,
        accepted=accepted,
        tiers=_tier_rows(rows, table, source),
        scheduled=pd.DataFrame(plans, columns=SCHEDULED_COLUMNS),
    )


def _tier_rows(rows: pd.DataFrame, table: pd.DataFrame, source: Source) -> pd.DataFrame:
    """The ``api_price_tiers.csv`` rows of the observations to write, from their quotes."""
    keys = table.set_index(["provider", "model_id"])["key"]
    out = []
    for row in rows.itertuples(index=False):
        key = keys[(row.provider, row.model_id)]
        for tier in source.quotes[key].tiers:
            out.append(
                {
                    "provider": row.provider,
                    "model_id": row.model_id,
                    "observed_on": row.observed_on,
                    **tier,
                    "confidence": "confirmed",
                    "source_url": source.source_url,
                    "note": f"key {key} in {source.described_as}, {tier['service_tier']} "
                    f"tier; imported by 'infermodel prices import {source.name}'",
                }
            )
    return pd.DataFrame(out, columns=TIER_COLUMNS)


# --------------------------------------------------------------------------------------
# Write
# --------------------------------------------------------------------------------------


def _csv_cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, float):
        return format(round(value, 6), ".10g")
    return str(value)


def _cells(rows: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, str]]:
    """``rows`` as text cells by column name, for :func:`infermodel.tables.writes.appended`."""
    return [
        {c: _csv_cell(v) for c, v in zip(columns, r, strict=True)}
        for r in rows[columns].itertuples(index=False)
    ]


def _refuse_duplicates(result: Review) -> None:
    duplicates = result.table[result.table["status"] == "duplicate"]
    if not duplicates.empty:
        listed = ", ".join(f"{r.provider} {r.model_id}" for r in duplicates.itertuples())
        raise ImportRefused(
            f"refusing to write: {len(duplicates)} observation(s) dated "
            f"{result.source.observed_on.date()} already recorded ({listed}); this source was "
            "imported before (duplicate observation). Nothing written."
        )


def _refuse_implausible(result: Review) -> None:
    odd = result.table[result.table["status"] == "implausible"]
    if not odd.empty:
        listed = "; ".join(
            f"{r.provider} {r.model_id}: {r.detail.removesuffix(_accept_hint(r.model_id))}"
            for r in odd.itertuples()
        )
        flags = " ".join(f"{_ACCEPT_OPTION} {m}" for m in odd["model_id"])
        raise ImportRefused(
            f"refusing to write: {len(odd)} offering(s) with implausible prices ({listed}); "
            f"check the source's unit, or if the source is right pass {flags}. Nothing written."
        )


def _withdrawals_to_write(
    result: Review, *, allow_missing: bool, withdraw_missing: bool
) -> pd.DataFrame:
    """The withdrawals to append; refuses when tracked offerings are missing (unless told)."""
    missing = result.table[result.table["status"] == "missing"]
    withdrawals = result.withdrawals
    if withdraw_missing:
        # Only offerings the source no longer lists; one listed without a price is not gone.
        unlisted = missing[missing["detail"].str.startswith("not in the source")]
        missing = missing.drop(unlisted.index)
    else:
        unlisted = missing.iloc[0:0]
    if not unlisted.empty:
        extra = pd.DataFrame(
            {
                "provider": unlisted["provider"],
                "model_id": unlisted["model_id"],
                "withdrawn_on": result.source.observed_on,
                "kind": "unlisted",
                "confidence": "estimated",
                "source_url": result.source.source_url,
                "note": "no longer listed (key " + unlisted["key"] + f") in "
                f"{result.source.described_as}; withdrawn on or before this date, exact date "
                "unknown; recorded by --withdraw-missing",
            }
        )
        withdrawals = pd.concat([withdrawals, extra], ignore_index=True)
    if not missing.empty and not allow_missing:
        listed = "\n".join(
            f"  {r.provider} {r.model_id} -> {r.key}: {r.detail}" for r in missing.itertuples()
        )
        raise ImportRefused(
            f"refusing to write: {len(missing)} tracked offering(s) map to a model the source "
            f"lacks:\n{listed}\nFix the key in {paths.TRACKED_CSV.name}, or pass "
            "--allow-missing to write the others, or --withdraw-missing to record them as "
            "withdrawn. Nothing written."
        )
    return withdrawals


def _checked(
    api_data: bytes,
    withdrawals_data: bytes,
    withdrawals_path: Path,
    scheduled: tuple[bytes, Path],
    tiers: tuple[bytes, Path],
) -> None:
    """Load the new tables from a scratch copy and refuse what :func:`validate_all` would.

    That is a schema break, a withdrawal of an offering never observed or dated before its
    first observation, a scheduled retirement of an offering never observed, or a tier row
    that belongs to no observation. ``scheduled`` and ``tiers`` are (new bytes, path) of
    ``scheduled_retirements.csv`` and ``api_price_tiers.csv``.
    """
    with tempfile.TemporaryDirectory() as scratch:
        copies = {}
        for name, data, path in (
            ("api", api_data, paths.API_PRICES_CSV),
            ("withdrawals", withdrawals_data, withdrawals_path),
            ("scheduled", *scheduled),
            ("tiers", *tiers),
        ):
            copies[name] = Path(scratch) / name / Path(path).name
            copies[name].parent.mkdir()
            if data:  # an absent file stays absent: no rows
                copies[name].write_bytes(data)
        try:
            api = tables.load_api_prices(copies["api"])
        except TableError as exc:
            raise ImportRefused(
                f"refusing to write: the imported rows break the schema: {exc}"
            ) from None
        try:
            withdrawn = tables.load_withdrawals(copies["withdrawals"])
            planned = api_terms.load_scheduled_retirements(copies["scheduled"])
        except TableError as exc:
            raise ImportRefused(
                f"refusing to write: the withdrawals break the schema: {exc}"
            ) from None
        try:
            tier_rows = tables.load_api_price_tiers(copies["tiers"])
        except TableError as exc:
            raise ImportRefused(
                f"refusing to write: the service-tier rows break the schema: {exc}"
            ) from None
    problems = registry.check_withdrawals(withdrawn, api, withdrawals_path)
    problems += registry.check_scheduled_retirements(planned, api, scheduled[1])
    if problems:
        raise ImportRefused(
            f"refusing to write: the withdrawals break a rule across tables: {TableError(problems)}"
        )
    problems = registry.check_tiers(tier_rows, api, tiers[1])
    if problems:
        raise ImportRefused(
            f"refusing to write: the service-tier rows break a rule across tables: "
            f"{TableError(problems)}"
        )


#: Columns added to ``api_prices.csv`` after files were shipped without them.
_LATER_API_COLUMNS = ("usd_per_million_cache_write_1h_tokens",)


def _api_columns(existing: bytes, rows: pd.DataFrame) -> list[str]:
    """The columns to write: a file from before a later column keeps its header when the new
    rows leave that column empty (otherwise the write is refused, naming it)."""
    first = existing.decode("utf-8-sig", errors="replace").partition("\n")[0]
    return [
        c for c in API_COLUMNS if c not in _LATER_API_COLUMNS or c in first or rows[c].notna().any()
    ]


def write(
    result: Review,
    *,
    allow_missing: bool = False,
    withdraw_missing: bool = False,
    api_path: Path = paths.API_PRICES_CSV,
    withdrawals_path: Path = paths.WITHDRAWALS_CSV,
    tiers_path: Path | None = None,
    timeout: float = writes.LOCK_TIMEOUT_SECONDS,
    scheduled_path: Path | None = None,
) -> tuple[int, int]:
    """Append the reviewed observations (and withdrawals); return (rows, withdrawals) written.

    Under the write lock of every file (:func:`infermodel.tables.writes.locked`; a second import
    waits up to ``timeout`` seconds), the source is reviewed again against the files as they
    are now, so rows another import wrote meanwhile count. Refuses, writing nothing, when an
    observation for the same offering and date exists (``duplicate``), when a price is
    ``implausible`` and not accepted, or when a tracked offering is ``missing`` unless
    ``allow_missing`` (write the others) or ``withdraw_missing`` (record each missing one as
    withdrawn on the source's date) is given. The retirement dates the source schedules go
    to ``scheduled_path`` (default: ``scheduled_retirements.csv`` beside ``withdrawals_path``),
    never to the withdrawals, and the observations' service-tier prices to ``tiers_path``
    (default: ``api_price_tiers.csv`` beside ``api_path``). Rows are appended by column name;
    the new tables are validated before any file is replaced.
    """
    api_path, withdrawals_path = Path(api_path), Path(withdrawals_path)
    scheduled_path = Path(
        scheduled_path or withdrawals_path.with_name(paths.SCHEDULED_RETIREMENTS_CSV.name)
    )
    tiers_path = Path(tiers_path or api_path.with_name(paths.API_PRICE_TIERS_CSV.name))
    files = (api_path, withdrawals_path, scheduled_path, tiers_path)
    with writes.locked(*files, timeout=timeout):
        now = review(
            result.source,
            tracked=result.tracked,
            api_prices=tables.load_api_prices(api_path),
            withdrawals=tables.load_withdrawals(withdrawals_path),
            accept=result.accepted,
        )
        _refuse_duplicates(now)
        _refuse_implausible(now)
        withdrawals = _withdrawals_to_write(
            now, allow_missing=allow_missing, withdraw_missing=withdraw_missing
        )
        old = {path: writes.read_bytes(path) for path in files}
        new = dict(old)
        for path, rows, columns in (
            (api_path, now.rows, _api_columns(old[api_path], now.rows)),
            (withdrawals_path, withdrawals, WITHDRAWAL_COLUMNS),
            (scheduled_path, now.scheduled, SCHEDULED_COLUMNS),
            (tiers_path, now.tiers, TIER_COLUMNS),
        ):
            if len(rows):
                new[path] = writes.appended(
                    old[path], _cells(rows, columns), columns=columns, path=path
                )
        _checked(
            new[api_path],
            new[withdrawals_path],
            withdrawals_path,
            (new[scheduled_path], scheduled_path),
            (new[tiers_path], tiers_path),
        )
        for path in files:
            if new[path] != old[path]:
                writes.replace_file(path, new[path])
    return len(now.rows), len(withdrawals)
