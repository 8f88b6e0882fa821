"""Where the kit's files live: every shipped path, built from this file's location.

Nothing depends on the current working directory. The kit is used from a clone (``make``
installs it in editable mode): the shipped tables sit in ``data/`` and the notebooks in
``notebooks/`` beside the package. This module imports nothing from ``infermodel``.

A **user data folder** (your own prices, contracts, owned GPUs; laid out like ``data/``) is
named by ``--data-dir DIR`` on every command, the ``data_dir`` notebook parameter, or the
environment variable :data:`DATA_DIR_VARIABLE`; :func:`user_data_dir` is the one place that
says which folder is in use (:mod:`infermodel.user_data` reads and checks it). The kit never
writes into ``data/`` on behalf of a user folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"

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
REPORTS_DIR = ROOT_DIR / "reports"

#: The environment variable that names a user data folder (``INFERMODEL_DATA_DIR=DIR``).
DATA_DIR_VARIABLE = "INFERMODEL_DATA_DIR"
# The folder chosen for this process (--data-dir, the data_dir parameter); [] when none.
_CHOSEN: list[Path] = []


def choose_user_data_dir(folder: str | os.PathLike | None) -> None:
    """Use ``folder`` as the user data folder of this process (``None`` or ``""``: none
    chosen, so :data:`DATA_DIR_VARIABLE` decides)."""
    _CHOSEN.clear()
    if folder is not None and str(folder).strip():
        _CHOSEN.append(Path(os.path.abspath(os.path.expanduser(str(folder)))))


def user_data_dir(option: str | os.PathLike | None = None) -> Path | None:
    """The user data folder in use, absolute, or ``None``; not checked here.

    ``option`` when given and not empty; else the folder chosen for this process
    (:func:`choose_user_data_dir`); else :data:`DATA_DIR_VARIABLE` when set and not empty.
    """
    if option is not None and str(option).strip():
        return Path(os.path.abspath(os.path.expanduser(str(option))))
    if _CHOSEN:
        return _CHOSEN[0]
    named = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(os.path.abspath(os.path.expanduser(named))) if named else None
