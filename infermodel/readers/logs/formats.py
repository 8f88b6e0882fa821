"""The request-log formats the kit reads: one record per format, registered in one place.

A format is a family (how its rows are split: ``csv``, ``jsonl`` or ``parquet``), the column
names its logs carry (none for a generic format: its columns are named by a mapping, or by
the generic names), how it is told from its family's other formats by the first line, and
whether its rows hold prompt-cache block ids (Mooncake's ``hash_ids``). Adding a format is a
record here and :func:`register`; the reader (:mod:`infermodel.readers.logs`), its detection
(:func:`infermodel.readers.logs.files.format_of`) and its row checks
(:mod:`infermodel.readers.logs.row_checks`) read it from :data:`REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: How each family's rows are split, in words (to tell a format forced on the wrong file).
FAMILY_WORDS = {"csv": "CSV", "jsonl": "JSON lines", "parquet": "Parquet"}


@dataclass(frozen=True)
class LogFormat:
    """One request-log format."""

    name: str
    #: ``csv``, ``jsonl`` or ``parquet`` (:data:`FAMILY_WORDS`).
    family: str
    #: Its columns: keyword arguments of :class:`~infermodel.readers.logs.ColumnMapping`
    #: (empty: a generic format, named by a mapping or the generic names).
    columns: Mapping[str, str] = field(default_factory=dict)
    #: Whether a first line (a CSV header's names, or a JSON line's text) is this format's,
    #: before its family's generic format; ``None`` for the generic format itself.
    claims: Callable[[str, set[str]], bool] | None = None
    #: Its rows carry prompt-cache block ids (``hash_ids``, :data:`BLOCK_IDS`).
    block_ids: bool = False

    @property
    def words(self) -> str:
        """The family in words: ``CSV``, ``JSON lines`` or ``Parquet``."""
        return FAMILY_WORDS[self.family]


#: The column of a format's prompt-cache block ids.
BLOCK_IDS = "hash_ids"

#: Every format, by name, in the order the kit lists them.
REGISTRY: dict[str, LogFormat] = {}


def register(log_format: LogFormat) -> LogFormat:
    """Add ``log_format`` to :data:`REGISTRY` (a name registered twice is a bug)."""
    if log_format.name in REGISTRY:
        raise ValueError(f"log format {log_format.name!r} is registered twice")
    if log_format.family not in FAMILY_WORDS:
        raise ValueError(f"log format {log_format.name!r}: unknown family {log_format.family!r}")
    REGISTRY[log_format.name] = log_format
    return log_format


def detect(family: str, first_line: str, header: set[str]) -> str:
    """The format of a log of ``family`` from its first line: the first registered format
    of that family that claims it, else the family's generic format."""
    generic = None
    for log_format in REGISTRY.values():
        if log_format.family != family:
            continue
        if log_format.claims is None:
            generic = generic or log_format.name
        elif log_format.claims(first_line, header):
            return log_format.name
    assert generic is not None, f"no generic {family} format registered"
    return generic


register(LogFormat(
    "azure", "csv",
    columns={"input_tokens": "ContextTokens", "output_tokens": "GeneratedTokens",
             "timestamp": "TIMESTAMP"},
    claims=lambda _, header: {"TIMESTAMP", "ContextTokens", "GeneratedTokens"} <= header,
))  # fmt: skip
register(LogFormat(
    "mooncake", "jsonl",
    columns={"input_tokens": "input_length", "output_tokens": "output_length",
             "timestamp": "timestamp", "timestamp_unit": "ms"},
    claims=lambda line, _: all(f'"{key}"' in line
                               for key in ("input_length", "output_length", BLOCK_IDS)),
    block_ids=True,
))  # fmt: skip
register(LogFormat("csv", "csv"))
register(LogFormat("jsonl", "jsonl"))
register(LogFormat("parquet", "parquet"))

#: The names of every format (``trace --trace-format``, ``fmt=``).
FORMATS = tuple(REGISTRY)
