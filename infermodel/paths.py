"""Where the kit's files live: every shipped path, and where a user's own files go.

Nothing depends on the current working directory. The kit runs from two places:

- a **checkout** (``make`` installs it in editable mode): the shipped tables sit in ``data/``
  and the notebooks in ``notebooks/`` beside the package, the one source of both;
- an **installed** wheel or sdist (``pip install infermodel``): the build packs those same
  folders into the package as ``infermodel/_shipped/`` (``pyproject.toml``), read here
  through :mod:`importlib.resources`. Nothing ever writes there: what a command writes goes
  to the user data folder (:func:`user_data_dir`) or the folder the user names.

This module imports nothing from ``infermodel``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: The shipped tables and notebooks inside an installed package (absent in a checkout).
PACKED_DIR = Path(str(resources.files("infermodel").joinpath("_shipped")))
#: True when the kit runs from an installed package, not from its checkout.
INSTALLED = PACKED_DIR.is_dir()
#: The folder holding ``data/`` and ``notebooks/``: the checkout, or the packed copy.
ROOT_DIR = PACKED_DIR if INSTALLED else PACKAGE_DIR.parent

DATA_DIR = ROOT_DIR / "data"
PRICES_DIR = DATA_DIR / "prices"
API_PRICES_CSV = PRICES_DIR / "api_prices.csv"
API_PRICE_TIERS_CSV = PRICES_DIR / "api_price_tiers.csv"
GPU_PRICES_CSV = PRICES_DIR / "gpu_prices.csv"
GPU_BILLING_RULES_CSV = PRICES_DIR / "gpu_billing_rules.csv"
WITHDRAWALS_CSV = PRICES_DIR / "withdrawals.csv"
SCHEDULED_RETIREMENTS_CSV = PRICES_DIR / "scheduled_retirements.csv"
UPLIFTS_CSV = PRICES_DIR / "uplifts.csv"
TRACKED_CSV = PRICES_DIR / "tracked_offerings.csv"
PRICE_READINGS_CSV = PRICES_DIR / "price_readings.csv"
API_RATE_LIMITS_CSV = PRICES_DIR / "api_rate_limits.csv"
GPU_SPECS_CSV = DATA_DIR / "gpu_specs.csv"
MODEL_SPECS_CSV = DATA_DIR / "model_specs.csv"
SERVING_CSV = DATA_DIR / "serving_assumptions.csv"
MEASURED_CSV = DATA_DIR / "throughput_measured.csv"
EFFICIENCY_CSV = DATA_DIR / "throughput_efficiency.csv"
#: Real request logs shipped with the kit (``data/traces/README.md``), by short name.
TRACES_DIR = DATA_DIR / "traces"
SHIPPED_TRACES = {
    "azure-code-2023": TRACES_DIR / "azure2023_code.csv.gz",
    "azure-conversation-2023": TRACES_DIR / "azure2023_conv.csv.gz",
    "mooncake-conversation": TRACES_DIR / "mooncake_conversation_trace.jsonl.gz",
}
BILL_MODELS_CSV = DATA_DIR / "bill_models.csv"
SERVING_TARGETS_CSV = DATA_DIR / "serving_latency_targets.csv"

NOTEBOOKS_DIR = ROOT_DIR / "notebooks"
REPORT_MANIFEST = NOTEBOOKS_DIR / "report.yml"
QUARTERLY_MANIFEST = NOTEBOOKS_DIR / "quarterly.yml"

#: The environment variable that names the user data folder (``--data-dir`` wins over it).
DATA_DIR_VARIABLE = "INFERMODEL_DATA_DIR"
#: The user data folder of an installed kit when none is named (e.g.
#: ``~/.local/share/infermodel`` on Linux).
DEFAULT_USER_DATA_DIR = Path(platformdirs.user_data_dir("infermodel", appauthor=False))


def user_data_dir(option: str | os.PathLike | None = None) -> Path | None:
    """The user data folder: ``option`` (``--data-dir``), else ``$INFERMODEL_DATA_DIR``.

    An installed kit falls back to :data:`DEFAULT_USER_DATA_DIR`; a checkout has none unless
    one is named (its ``data/`` is the user's own source there). The folder is laid out like
    ``data/``; it need not exist yet (a command that writes creates it).
    """
    named = os.fspath(option) if option not in (None, "") else os.environ.get(DATA_DIR_VARIABLE)
    if named:
        return Path(named).expanduser().resolve()
    return DEFAULT_USER_DATA_DIR if INSTALLED else None


def reports_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Where a report goes when no ``--out`` is given: ``reports/`` of the checkout, or the
    ``reports/`` folder of the user data folder of an installed kit."""
    folder = user_data_dir(data_dir) if INSTALLED else None
    return folder / "reports" if folder is not None else ROOT_DIR / "reports"


#: The reports folder of the checkout (or of the user data folder when installed).
REPORTS_DIR = reports_dir()
