"""The public API on one screen: ``import infermodel as im`` gives these names, and no more.

Pinned here (pyhf's test_public_api.py does the same), so a name is added or removed on
purpose. The old module paths of the 0.1 layout resolve to where they moved, with a warning.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import infermodel
from infermodel import _moved

PUBLIC = [
    "Workload",
    "article_workload",
    "prices_on",
    "PriceSnapshot",
    "serving_assumptions",
    "cost_table",
    "cheapest_by_platform",
    "read_trace",
    "price_trace",
    "read_bill",
    "reprice_bill",
    "reconcile_bill",
    "estimate_throughput",
    "monte_carlo",
    "tornado",
    "break_even_table",
    "deadline_options",
    "validate_data",
    "InfermodelError",
    "InputError",
    "DataError",
    "NoPricesError",
    "__version__",
]


def test_the_public_api_is_pinned_and_fits_on_one_screen():
    assert infermodel.__all__ == PUBLIC
    assert len(PUBLIC) <= 25


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_every_public_name_resolves_and_says_what_it_is(name):
    value = getattr(infermodel, name)
    assert (value.__doc__ or "").strip(), f"infermodel.{name} has no docstring"
    assert name in dir(infermodel)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'cost_tabel'"):
        _ = infermodel.cost_tabel


def test_import_infermodel_loads_no_table_pandas_or_spark():
    # A fresh interpreter: what `import infermodel` alone brings in.
    code = (
        "import sys; before = set(sys.modules); import infermodel; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.split('.')[0] in "
        "{'pandas', 'pandera', 'pyspark', 'numpy', 'duckdb'} or m.startswith('infermodel.'))); "
        "print(sorted(k for k, v in sys.modules.items() if v is None))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["['infermodel._moved']", "[]"]


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_an_old_module_path_resolves_to_where_it_moved_with_a_warning(old):
    new = _moved.MOVED[old]
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert any(
        issubclass(w.category, FutureWarning) and f"{old} moved to {new}" in str(w.message)
        for w in caught
    )
    sys.modules.pop(old, None)


@pytest.mark.slow
def test_no_module_of_the_kit_imports_an_old_path():
    # The aliases are for users' code only; the kit's own imports name the new paths.
    code = (
        "import warnings; warnings.simplefilter('error', FutureWarning); import pkgutil, "
        "importlib, infermodel\n"
        "for m in pkgutil.walk_packages(infermodel.__path__, 'infermodel.'):\n"
        "    if 'spark' not in m.name and m.name != 'infermodel.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
