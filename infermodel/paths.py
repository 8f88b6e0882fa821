"""Where the kit's files live.

Every path the library uses is built here, from this file's location, so nothing depends on
the current working directory. The kit is used from a clone (``make`` installs it in editable
mode): the shipped tables sit in ``data/`` and the notebooks in ``notebooks/`` beside the
package. This module imports nothing from ``infermodel``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent

DATA_DIR = ROOT_DIR / "data"
PRICES_DIR = DATA_DIR / "prices"
API_PRICES_CSV = PRICES_DIR / "api_prices.csv"
GPU_PRICES_CSV = PRICES_DIR / "gpu_prices.csv"
GPU_SPECS_CSV = DATA_DIR / "gpu_specs.csv"
SERVING_CSV = DATA_DIR / "serving_assumptions.csv"

NOTEBOOKS_DIR = ROOT_DIR / "notebooks"
REPORTS_DIR = ROOT_DIR / "reports"
REPORT_MANIFEST = NOTEBOOKS_DIR / "report.yml"
