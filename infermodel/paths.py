"""Where the kit's files live: every shipped path, built from this file's location.

Nothing depends on the current working directory. The kit is used from a clone (``make``
installs it in editable mode): the shipped tables sit in ``data/`` and the notebooks in
``notebooks/`` beside the package. This module imports nothing from ``infermodel``.
"""

from __future__ import annotations

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
SERVING_ENGINES_CSV = DATA_DIR / "serving_engines.csv"
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
