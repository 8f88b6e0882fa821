"""Importing prices: compare a source with the shipped history, then append what is new.

Nobody should retype hundreds of prices. A price file is read by a reader
(:func:`infermodel.readers.litellm.read_litellm`,
:func:`infermodel.readers.genai_prices.read_genai_prices`) into a
:class:`~infermodel.readers.price_sources.Source`.

Only the offerings in the small reviewed mapping ``data/prices/tracked_offerings.csv`` are
imported. :func:`review` compares what the source says on its date with the observations
already shipped and labels each tracked offering ``new`` | ``changed`` | ``unchanged`` |
``missing`` | ``retired`` | ``withdrawn`` | ``duplicate``; :func:`write` appends the new
observation rows (and withdrawals for ``retired`` offerings) only when nothing is wrong,
validating the result first, so a refused import leaves every file as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from infermodel import paths, prices, tables
from infermodel.errors import TableError
from infermodel.readers.price_sources import ImportRefused, Source

#: Columns written to ``api_prices.csv``, in file order.
API_COLUMNS = list(tables.API_SCHEMA.columns)
WITHDRAWAL_COLUMNS = list(tables.WITHDRAWALS_SCHEMA.columns)
_PRICE_FIELDS = [
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_cache_write_tokens",
    "batch_discount_fraction",
    "long_context_threshold_tokens",
    "usd_per_million_input_tokens_long_context",
    "usd_per_million_output_tokens_long_context",
]


# --------------------------------------------------------------------------------------
# Review and write
# --------------------------------------------------------------------------------------


@dataclass
class Review:
    """The outcome of comparing a source with the shipped observations."""

    source: Source
    table: pd.DataFrame
    rows: pd.DataFrame
    withdrawals: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return self.table["status"].value_counts().to_dict()

    def render(self) -> str:
        """The review as text for a person: one line per tracked offering, then totals."""
        lines = [
            f"Review of {self.source.described_as}, observed_on {self.source.observed_on.date()}"
        ]
        for row in self.table.itertuples(index=False):
            detail = f": {row.detail}" if row.detail else ""
            lines.append(f"  {row.status:<10} {row.provider} {row.model_id} [{row.key}]{detail}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        lines.append(f"Totals: {counts}")
        return "\n".join(lines)


def _same(a: object, b: object) -> bool:
    a_missing, b_missing = a is None or pd.isna(a), b is None or pd.isna(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    return abs(float(a) - float(b)) < 1e-9


def _fmt(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):g}"


def _changes(old: pd.Series, new: Mapping[str, object]) -> list[str]:
    changes = []
    for name in _PRICE_FIELDS:
        before, after = old.get(name), new.get(name)
        if not _same(before, after):
            text = f"{name.removeprefix('usd_per_million_')} {_fmt(before)} -> {_fmt(after)}"
            if before is not None and not pd.isna(before) and after is not None and before:
                text += f" ({(float(after) - float(before)) / float(before):+.0%})"
            changes.append(text)
    return changes


def review(
    source: Source,
    *,
    tracked: pd.DataFrame | None = None,
    api_prices: pd.DataFrame | None = None,
    withdrawals: pd.DataFrame | None = None,
) -> Review:
    """Compare ``source`` with the shipped observations for every tracked offering.

    Statuses: ``new`` (no earlier observation), ``changed`` / ``unchanged`` (against the
    newest observation on or before the source's date), ``missing`` (the mapped key is not in
    the source or has no price), ``retired`` (the source says the model was retired on or
    before its date: a withdrawal is proposed, no price), ``withdrawn`` (a withdrawal is
    already recorded: skipped), ``duplicate`` (an observation on that date already exists).
    Offerings with no key for this source are not listed.
    """
    tracked = tables.load_tracked() if tracked is None else tracked
    api_prices = tables.load_api_prices() if api_prices is None else api_prices
    withdrawals = tables.load_withdrawals() if withdrawals is None else withdrawals
    when = source.observed_on
    if source.key_column == "genai_prices_key":
        tracked = tracked.assign(
            genai_prices_key=tracked["genai_prices_provider"] + "/" + tracked["genai_prices_model"]
        )
    newest = prices.newest_on_or_before(api_prices, when, tables.API_KEY)
    _, withdrawn_now = prices.split_withdrawn(newest, withdrawals, when)
    withdrawn_keys = set(zip(withdrawn_now["provider"], withdrawn_now["model_id"], strict=True))
    recorded_keys = set(
        zip(
            withdrawals["provider"],
            withdrawals["model_id"],
            withdrawals["withdrawn_on"],
            strict=True,
        )
    )
    same_day = set(
        zip(
            *[api_prices.loc[api_prices["observed_on"] == when, c] for c in tables.API_KEY],
            strict=True,
        )
    )
    newest_by_key = newest.set_index(tables.API_KEY)
    source_keys = list(source.quotes.keys())
    report, rows, retire = [], [], []
    for offering in tracked.itertuples(index=False):
        row = pd.Series(offering._asdict())
        key = source.key_of(row)
        if key is None:
            continue
        ident = (row["provider"], row["model_id"])
        entry = {"provider": ident[0], "model_id": ident[1], "key": key}
        if ident in withdrawn_keys:
            report.append({**entry, "status": "withdrawn", "detail": "withdrawal on record"})
            continue
        if key not in source.quotes:
            close = difflib.get_close_matches(key, source_keys, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            report.append({**entry, "status": "missing", "detail": f"not in the source{hint}"})
            continue
        quote = source.quotes[key]
        if quote is None:
            report.append({**entry, "status": "missing", "detail": "listed without a price"})
            continue
        if quote.retired_on is not None and quote.retired_on <= when:
            detail = f"source says retired on {quote.retired_on.date()}"
            if (*ident, quote.retired_on) in recorded_keys:
                report.append({**entry, "status": "withdrawn", "detail": detail})
                continue
            report.append({**entry, "status": "retired", "detail": detail})
            retire.append(
                {
                    "provider": ident[0],
                    "model_id": ident[1],
                    "withdrawn_on": quote.retired_on,
                    "confidence": "confirmed",
                    "source_url": source.source_url,
                    "note": f"key {key} in {source.described_as} gives deprecation_date "
                    f"{quote.retired_on.date()}; imported by 'infermodel prices import "
                    f"{source.name}'",
                }
            )
            continue
        if ident in same_day:
            report.append(
                {
                    **entry,
                    "status": "duplicate",
                    "detail": f"an observation dated {when.date()} is already recorded",
                }
            )
            continue
        observation = {c: None for c in API_COLUMNS}
        observation.update(
            platform_type=row["platform_type"],
            provider=ident[0],
            model=row["model"],
            model_id=ident[1],
            observed_on=when,
            confidence="confirmed",
            source_url=source.source_url,
        )
        observation.update({k: v for k, v in quote.prices.items() if k in _PRICE_FIELDS})
        note = [f"key {key} in {source.described_as}"]
        note += quote.remarks
        if quote.retired_on is not None:
            note.append(f"source gives retirement date {quote.retired_on.date()}")
        note.append(f"imported by 'infermodel prices import {source.name}'")
        observation["note"] = "; ".join(note)
        rows.append(observation)
        if ident in newest_by_key.index:
            previous = newest_by_key.loc[ident]
            changes = _changes(previous, observation)
            since = f"vs {previous['observed_on'].date()}"
            status = "changed" if changes else "unchanged"
            detail = f"{'; '.join(changes)} ({since})" if changes else since
        else:
            status = "new"
            detail = (
                f"in {_fmt(observation['usd_per_million_input_tokens'])} / out "
                f"{_fmt(observation['usd_per_million_output_tokens'])} USD/Mtok"
            )
        report.append({**entry, "status": status, "detail": detail})
    table = pd.DataFrame(report, columns=["status", "provider", "model_id", "key", "detail"])
    return Review(
        source,
        table,
        pd.DataFrame(rows, columns=API_COLUMNS),
        pd.DataFrame(retire, columns=WITHDRAWAL_COLUMNS),
    )


def _csv_cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, float):
        return format(round(value, 6), ".10g")
    return str(value)


def _appended(path: Path, header: list[str], rows: pd.DataFrame) -> str:
    """The text of ``path`` with ``rows`` appended (the file's existing bytes unchanged)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not text:
        writer.writerow(header)
    elif not text.endswith("\n"):
        text += "\n"
    for record in rows[header].itertuples(index=False):
        writer.writerow([_csv_cell(v) for v in record])
    return text + buffer.getvalue()


def _replace_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    os.replace(temp, path)


def write(
    result: Review,
    *,
    allow_missing: bool = False,
    withdraw_missing: bool = False,
    api_path: Path = paths.API_PRICES_CSV,
    withdrawals_path: Path = paths.WITHDRAWALS_CSV,
) -> tuple[int, int]:
    """Append the reviewed observations (and withdrawals); return (rows, withdrawals) written.

    Refuses, writing nothing, when an observation for the same offering and date exists
    (``duplicate``), or when a tracked offering is ``missing`` unless ``allow_missing`` (write
    the others) or ``withdraw_missing`` (record each missing one as withdrawn on the source's
    date) is given. The appended tables are validated before either file is replaced.
    """
    table = result.table
    duplicates = table[table["status"] == "duplicate"]
    if not duplicates.empty:
        listed = ", ".join(f"{r.provider} {r.model_id}" for r in duplicates.itertuples())
        raise ImportRefused(
            f"refusing to write: {len(duplicates)} observation(s) dated "
            f"{result.source.observed_on.date()} already recorded ({listed}); this source was "
            "imported before (duplicate observation). Nothing written."
        )
    missing = table[table["status"] == "missing"]
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
    api_text = _appended(Path(api_path), API_COLUMNS, result.rows) if len(result.rows) else None
    wd_text = (
        _appended(Path(withdrawals_path), WITHDRAWAL_COLUMNS, withdrawals)
        if len(withdrawals)
        else None
    )
    # Validate both new tables from temporary copies before touching the real files.
    with tempfile.TemporaryDirectory() as scratch:
        if api_text is not None:
            check = Path(scratch) / Path(api_path).name
            check.write_text(api_text, encoding="utf-8")
            try:
                tables.load_api_prices(check)
            except TableError as exc:
                raise ImportRefused(
                    f"refusing to write: the imported rows break the schema: {exc}"
                ) from None
        if wd_text is not None:
            check = Path(scratch) / Path(withdrawals_path).name
            check.write_text(wd_text, encoding="utf-8")
            try:
                tables.load_withdrawals(check)
            except TableError as exc:
                raise ImportRefused(
                    f"refusing to write: the withdrawals break the schema: {exc}"
                ) from None
    if api_text is not None:
        _replace_atomically(Path(api_path), api_text)
    if wd_text is not None:
        _replace_atomically(Path(withdrawals_path), wd_text)
    return len(result.rows), len(withdrawals)
