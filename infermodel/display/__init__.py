"""Tables and figures for people: one formatter for every table a report shows.

Every displayed table goes through :func:`table` (or :func:`matrix` for a pivot): human
column names with units, no index, ``$`` amounts with the same decimals down a column,
thousands separators, percentages, an em dash for a missing value, no scientific notation,
negative money with a true minus sign (U+2212) before the ``$``, labels instead of ids, and at
most ``max_rows`` rows shown with the full table one click away (a ``<details>`` element).
The same functions format the numbers in the sentences of :mod:`infermodel.narrative` and in
chart labels, so a figure reads the same everywhere.

Formatting never changes a value: the CSV files a report saves keep every digit.
"""

from infermodel.display.columns import (
    COLUMNS,
    KINDS,
    NUMERIC_KINDS,
    column_spec,
    format_column,
)
from infermodel.display.numbers import (
    MAX_ROWS,
    MINUS,
    MISSING,
    TIMES,
    date,
    decimals_for,
    money,
    multiple,
    number,
    percent,
    source_link,
    tokens,
)
from infermodel.display.tables import Table, cost_table, matrix, observations, relabel, table
from infermodel.display.words import (
    BASIS_KEYS,
    BASIS_WORDS,
    BILLING_WORDS,
    COMPONENT_WORDS,
    INPUT_WORDS,
    MODE_WORDS,
    PRICING_WORDS,
    STAGE_WORDS,
    TIER_WORDS,
    gpu_name,
    label_map,
    offering_labels,
    platform_name,
    serving_descriptions,
    serving_label,
    serving_labels,
    tidy,
    words,
)

__all__ = [
    "BASIS_KEYS",
    "BASIS_WORDS",
    "BILLING_WORDS",
    "COLUMNS",
    "COMPONENT_WORDS",
    "INPUT_WORDS",
    "KINDS",
    "MAX_ROWS",
    "MINUS",
    "MISSING",
    "MODE_WORDS",
    "NUMERIC_KINDS",
    "PRICING_WORDS",
    "STAGE_WORDS",
    "TIER_WORDS",
    "TIMES",
    "Table",
    "column_spec",
    "cost_table",
    "date",
    "decimals_for",
    "format_column",
    "gpu_name",
    "label_map",
    "matrix",
    "money",
    "multiple",
    "number",
    "observations",
    "offering_labels",
    "percent",
    "platform_name",
    "relabel",
    "serving_descriptions",
    "serving_label",
    "serving_labels",
    "source_link",
    "table",
    "tidy",
    "tokens",
    "words",
]
