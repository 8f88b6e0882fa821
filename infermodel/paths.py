"""Where the kit's files live: every shipped path, and where a user's own files go.

Nothing depends on the current working directory. The kit runs from two places:

- a **checkout** (``make`` installs it in editable mode): the shipped tables sit in ``data/``
  and the notebooks in ``notebooks/`` beside the package, the one source of both;
- an **installed** wheel or sdist (``pip install infermodel``): the build packs those same
  folders into the package as ``infermodel/_shipped/`` (``pyproject.toml``), read here
  through :mod:`importlib.resources`. Nothing ever writes there: what a command writes goes
  to the user data folder (:func:`user_data_dir`) or the folder the user names.

The **user data folder** (your own prices, contracts, owned GPUs; laid out like ``data/``) is
named by ``--data-dir DIR`` on every command, the ``data_dir`` notebook parameter, or the
environment variable :data:`DATA_DIR_VARIABLE`; :func:`user_data_dir` is the one place that
says which folder is in use (:mod:`infermodel.tables.user_data` reads and checks it). The kit
never writes into ``data/`` on behalf of a user folder.

This module imports nothing from ``infermodel``.
"""

from __future__ import annotations

import os
import re
import tempfile
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
PROVIDER_RULES_CSV = PRICES_DIR / "provider_rules.csv"
CONTEXT_WINDOWS_CSV = PRICES_DIR / "context_windows.csv"
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

#: The environment variable that names the user data folder (``--data-dir`` wins over it).
DATA_DIR_VARIABLE = "INFERMODEL_DATA_DIR"
#: The user data folder of an installed kit when none is named (e.g.
#: ``~/.local/share/infermodel`` on Linux).
DEFAULT_USER_DATA_DIR = Path(platformdirs.user_data_dir("infermodel", appauthor=False))
# The folder chosen for this process (--data-dir, the data_dir parameter); [] when none.
_CHOSEN: list[Path] = []


def choose_user_data_dir(folder: str | os.PathLike | None) -> None:
    """Use ``folder`` as the user data folder of this process (``None`` or ``""``: none
    chosen, so :data:`DATA_DIR_VARIABLE` decides)."""
    _CHOSEN.clear()
    if folder is not None and str(folder).strip():
        _CHOSEN.append(Path(os.fspath(folder)).expanduser().resolve())


def user_data_dir(option: str | os.PathLike | None = None) -> Path | None:
    """The user data folder: ``option`` (``--data-dir``), else the folder chosen for this
    process (:func:`choose_user_data_dir`: ``--data-dir``, the ``data_dir`` parameter), else
    ``$INFERMODEL_DATA_DIR``.

    An installed kit falls back to :data:`DEFAULT_USER_DATA_DIR`; a checkout has none unless
    one is named (its ``data/`` is the user's own source there). The folder is laid out like
    ``data/``; it need not exist yet (a command that writes creates it).
    """
    if option is not None and str(option).strip():
        return Path(os.fspath(option)).expanduser().resolve()
    if _CHOSEN:
        return _CHOSEN[0]
    named = os.environ.get(DATA_DIR_VARIABLE, "").strip()
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


def public_path(text: str | os.PathLike, report_dir: Path | None = None) -> str:
    """An absolute path written so that it names nothing of the machine it was made on.

    Relative to ``report_dir`` (inside it) or to the kit's checkout (inside it: ``data/x.csv``),
    under ``~`` (inside the home folder), else ``.../<name>``. A relative path is kept.
    """
    text = os.fspath(text)
    if not os.path.isabs(text):
        return text
    path = Path(os.path.normpath(text))
    bases = [(Path(report_dir).resolve(), ".")] if report_dir is not None else []
    bases += [(ROOT_DIR.resolve(), "."), (Path.home().resolve(), "~")]
    for base, shown in bases:
        if path == base or path.is_relative_to(base):
            relative = path.relative_to(base).as_posix()
            if shown == ".":
                return relative if relative != "." else "."
            return f"{shown}/{relative}" if relative != "." else shown
    return f".../{path.name}" if path.name else "..."


#: Characters that end a path inside text (a space, a quote, markup, punctuation).
_PATH_END = r"""[^\s'"<>(),;:=`\]\[{}|]*"""


def machine_prefixes(*extra: Path | str | None) -> list[str]:
    """The folders whose paths name the machine: ``extra`` (a staging folder), the checkout,
    the home folder and the temporary folder, longest first."""
    found = [*extra, ROOT_DIR, Path.home(), tempfile.gettempdir()]
    prefixes = {os.path.normpath(os.fspath(p)) for p in found if p} - {"/"}
    prefixes |= {os.path.realpath(p) for p in prefixes}
    return sorted(prefixes, key=len, reverse=True)


def scrub(text: str, report_dir: Path | None = None, *extra: Path | str | None) -> str:
    """``text`` with every path under a machine folder (:func:`machine_prefixes`) written by
    :func:`public_path`; everything else, ``https://`` addresses included, kept as it is."""
    prefixes = machine_prefixes(report_dir, *extra)
    pattern = re.compile(
        r"(?<![\w.~/-])(?:" + "|".join(re.escape(p) for p in prefixes) + r")(?=/|\b|$)" + _PATH_END
    )
    return pattern.sub(lambda m: public_path(m.group(0), report_dir), text)
