"""Scale constants, each named for what it converts, with its definition.

Formulas use these names instead of bare ``1e6`` or ``3600`` so that a reader can see which
conversion happens where.
"""

from __future__ import annotations

#: Tokens in one million tokens; API prices are quoted per million tokens. [tokens/Mtok]
TOKENS_PER_MILLION = 1_000_000

#: Seconds in one hour; GPU rental is quoted per GPU-hour (the article's "3600"). [s/h]
SECONDS_PER_HOUR = 3_600

#: Hours in an average month (365.25 days x 24 h / 12). [h/month]
HOURS_PER_MONTH = 365.25 * 24 / 12
