"""Scale constants, each named for what it converts, with its definition.

Formulas use these names instead of bare ``1e6`` or ``3600`` so that a reader can see which
conversion happens where. Sizes are decimal (1 GB = 1e9 bytes, 1 TB/s = 1e12 bytes/s,
1 TFLOP/s = 1e12 FLOP/s) except GPU memory capacity, which vendors quote in GiB.
"""

from __future__ import annotations

#: Tokens in one million tokens; API prices are quoted per million tokens. [tokens/Mtok]
TOKENS_PER_MILLION = 1_000_000

#: Seconds in one hour; GPU rental is quoted per GPU-hour (the article's "3600"). [s/h]
SECONDS_PER_HOUR = 3_600

#: Seconds in one minute. [s/min]
SECONDS_PER_MINUTE = 60

#: Minutes in one hour. [min/h]
MINUTES_PER_HOUR = 60
#: Hours in one day (a requests-per-day limit). [h/day]
HOURS_PER_DAY = 24

#: Hours in an average month (365.25 days x 24 h / 12). [h/month]
HOURS_PER_MONTH = 365.25 * 24 / 12

#: Seconds per millisecond. [s/ms]
SECONDS_PER_MS = 1e-3

#: Bytes per 1e9 bytes (decimal gigabyte, as model sizes are quoted). [B/GB]
BYTES_PER_GB = 1e9

#: Bytes per GiB: GPU memory capacities are quoted in GiB though labelled "GB" (nvidia-smi
#: shows 81,559 MiB usable on an "80 GB" H100). [B/GiB]
BYTES_PER_GPU_MEMORY_GB = 2**30

#: Bytes/s per TB/s (memory bandwidth). [B/s per TB/s]
BYTES_PER_S_PER_TB_PER_S = 1e12

#: FLOP/s per TFLOP/s. [FLOP/s per TFLOP/s]
FLOPS_PER_TFLOPS = 1e12

#: Parameters per billion parameters. [-]
PARAMETERS_PER_BILLION = 1e9
