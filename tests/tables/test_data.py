"""The schema check over the shipped tables, the May-2025 snapshot, and bad-input cases.

Bad-input tests corrupt COPIES of the tables (the ``tmp_data`` fixture) and check that the
:class:`~infermodel.errors.TableError` names the file, the line (header = line 1, first data
row = line 2), the field and a rule a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import paths, prices, tables
from infermodel.errors import NoPricesError, TableError
from infermodel.tables import registry

# The project's May-2025 price facts, copied whole (source and licence: tests/data/README.md).
FACTS_CSV = TEST_DATA / "source" / "may2025-price-facts.csv"

API_REL = paths.API_PRICES_CSV.relative_to(paths.DATA_DIR)
GPU_REL = paths.GPU_PRICES_CSV.relative_to(paths.DATA_DIR)
SERVING_REL = paths.SERVING_CSV.relative_to(paths.DATA_DIR)
SPECS_REL = paths.GPU_SPECS_CSV.relative_to(paths.DATA_DIR)


def read_text_table(path: Path) -> pd.DataFrame:
    """A CSV as text cells, exactly as written (empty cells stay empty strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def line_of(row: int) -> int:
    """File line of data row ``row`` (0-based): the header is line 1."""
    return row + 2


@pytest.fixture(scope="module")
def may2025() -> prices.PriceSnapshot:
    return prices.as_of("2025-05-31")


# --------------------------------------------------------------------------------------
# The shipped tables
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_validate_all_passes_on_shipped_data():
    counts = registry.validate_all()
    assert set(counts) == {
        "api_prices",
        "api_price_tiers",
        "gpu_prices",
        "withdrawals",
        "scheduled_retirements",
        "uplifts",
        "api_rate_limits",
        "gpu_billing_rules",
        "tracked_offerings",
        "price_readings",
        "gpu_specs",
        "model_specs",
        "throughput_measured",
        "throughput_efficiency",
        "serving_engines",
        "serving_assumptions",
        "bill_models",
        "serving_latency_targets",
        "context_windows",
        "provider_rules",
    }
    assert all(rows > 0 for rows in counts.values()), counts
    assert counts["api_prices"] == len(read_text_table(paths.API_PRICES_CSV))
    assert counts["gpu_prices"] == len(read_text_table(paths.GPU_PRICES_CSV))
    assert counts["gpu_specs"] == len(read_text_table(paths.GPU_SPECS_CSV))
    assert counts["serving_assumptions"] == len(read_text_table(paths.SERVING_CSV))


@pytest.mark.slow
def test_validate_all_on_an_untouched_copy(tmp_data):
    assert registry.validate_all(tmp_data) == registry.validate_all()


@pytest.mark.parametrize("path", [paths.API_PRICES_CSV, paths.GPU_PRICES_CSV], ids=["api", "gpu"])
def test_every_price_row_has_source_and_date(path):
    raw = read_text_table(path)
    for column in ("source_url", "observed_on", "confidence"):
        empty = raw.index[raw[column].str.strip() == ""]
        assert empty.empty, f"{path.name}: empty {column} on lines {[line_of(i) for i in empty]}"
    dates = pd.to_datetime(raw["observed_on"], format="%Y-%m-%d")
    assert (dates <= pd.Timestamp.today()).all()


@pytest.mark.parametrize(
    "loader", [tables.load_api_prices, tables.load_gpu_prices], ids=["api", "gpu"]
)
def test_estimated_rows_say_what_was_assumed(loader):
    table = loader()
    estimated = table[table["confidence"] != "confirmed"]
    assert estimated["note"].notna().all()


# The offerings the project brief demands in the May-2025 snapshot: (provider, pattern on
# the model name).
REQUIRED_API = [
    ("OpenAI", r"GPT-4\.5"),
    ("OpenAI", r"GPT-4o"),
    ("OpenAI", r"GPT-4o mini"),
    ("Anthropic", r"Claude 3 Opus"),
    ("Anthropic", r"Claude 3 Sonnet"),
    ("Anthropic", r"Claude 3\.7 Sonnet"),
    ("Anthropic", r"Claude 3 Haiku"),
    ("Google", r"Gemini 2\.5 Pro\b.*"),
    ("Google", r"Gemini 1\.5 Pro"),
    ("Google", r"Gemini 2\.0 Flash"),
    *[
        (provider, pattern)
        for provider in ("Together AI", "Fireworks AI", "Replicate")
        for pattern in (
            r"Llama .*\b70B\b.*",
            r"Llama .*\b8B\b.*",
            r"Mixtral 8x7B\b.*",
            r"Mistral 7B\b.*",
        )
    ],
]
REQUIRED_GPU = [
    (provider, family) for provider in ("RunPod", "Lambda", "Modal") for family in ("H100", "A100")
]


@pytest.mark.parametrize(
    "provider, pattern", REQUIRED_API, ids=[f"{p}:{m}" for p, m in REQUIRED_API]
)
def test_may2025_snapshot_has_required_api_offering(may2025, provider, pattern):
    rows = may2025.api[may2025.api["provider"] == provider]
    matches = rows[rows["model"].str.fullmatch(pattern)]
    assert not matches.empty, f"{provider} has no model matching {pattern!r}: {list(rows['model'])}"
    assert (matches["observed_on"] <= pd.Timestamp("2025-05-31")).all()


@pytest.mark.parametrize(
    "provider, family", REQUIRED_GPU, ids=[f"{p}:{g}" for p, g in REQUIRED_GPU]
)
def test_may2025_snapshot_has_required_gpu_offering(may2025, provider, family):
    rows = may2025.gpu[may2025.gpu["provider"] == provider]
    assert rows["gpu"].str.startswith(family).any(), f"{provider}: {list(rows['gpu'])}"


def test_may2025_snapshot_covers_the_three_platform_types(may2025):
    assert set(may2025.api["platform_type"]) == {"proprietary_api", "managed_api"}
    assert set(may2025.gpu["platform_type"]) == {"diy_gpu"}


# --------------------------------------------------------------------------------------
# Cross-check against the project's May-2025 price facts (tests/data/source)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return pd.read_csv(FACTS_CSV)


# (facts provider, facts model prefix, our provider, our model_id, input, output) [USD/Mtok]
API_FACTS = [
    ("OpenAI", "GPT-4o (", "OpenAI", "gpt-4o", 2.5, 10.0),
    ("OpenAI", "GPT-4.5", "OpenAI", "gpt-4.5-preview", 75.0, 150.0),
    ("Anthropic", "Claude 3 Opus", "Anthropic", "claude-3-opus-20240229", 15.0, 75.0),
    ("Anthropic", "Claude 3 Haiku", "Anthropic", "claude-3-haiku-20240307", 0.25, 1.25),
    ("Google", "Gemini 2.0 Flash", "Google", "gemini-2.0-flash", 0.1, 0.4),
    (
        "Together.ai",
        "Llama 3.3 70B",
        "Together AI",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        0.88,
        0.88,
    ),
    ("Replicate", "Llama 3 70B", "Replicate", "meta/meta-llama-3-70b-instruct", 0.65, 2.75),
]


@pytest.mark.parametrize(
    "facts_provider, facts_model, provider, model_id, usd_in, usd_out",
    API_FACTS,
    ids=[row[3] for row in API_FACTS],
)
def test_api_prices_match_facts(
    may2025, facts, facts_provider, facts_model, provider, model_id, usd_in, usd_out
):
    fact = facts[(facts["provider"] == facts_provider) & facts["model"].str.startswith(facts_model)]
    assert len(fact) == 1, fact
    assert fact["price_input_per_1m_usd"].iloc[0] == pytest.approx(usd_in)
    assert fact["price_output_per_1m_usd"].iloc[0] == pytest.approx(usd_out)
    table = may2025.api
    ours = table[(table["provider"] == provider) & (table["model_id"] == model_id)]
    assert len(ours) == 1
    assert ours["usd_per_million_input_tokens"].iloc[0] == pytest.approx(usd_in)
    assert ours["usd_per_million_output_tokens"].iloc[0] == pytest.approx(usd_out)


# (facts provider, facts gpu text, our provider, gpu, tier, USD/GPU-h)
GPU_FACTS = [
    (
        "RunPod",
        "H100 80GB PCIe (Community Cloud)",
        "RunPod",
        "H100-PCIe-80GB",
        "community_cloud",
        1.99,
    ),
    (
        "RunPod",
        "A100 80GB PCIe (Community Cloud)",
        "RunPod",
        "A100-PCIe-80GB",
        "community_cloud",
        1.19,
    ),
    (
        "Lambda Labs",
        "H100 80GB PCIe (1x instance)",
        "Lambda",
        "H100-PCIe-80GB",
        "1x_instance",
        2.49,
    ),
]


@pytest.mark.parametrize(
    "facts_provider, facts_gpu, provider, gpu, tier, usd_per_hour",
    GPU_FACTS,
    ids=[f"{row[2]}:{row[3]}:{row[4]}" for row in GPU_FACTS],
)
def test_gpu_prices_match_facts(
    may2025, facts, facts_provider, facts_gpu, provider, gpu, tier, usd_per_hour
):
    fact = facts[(facts["provider"] == facts_provider) & (facts["gpu"] == facts_gpu)]
    assert len(fact) == 1, fact
    assert fact["gpu_hourly_usd"].iloc[0] == pytest.approx(usd_per_hour)
    table = may2025.gpu
    ours = table[(table["provider"] == provider) & (table["gpu"] == gpu) & (table["tier"] == tier)]
    assert len(ours) == 1
    assert ours["usd_per_gpu_hour"].iloc[0] == pytest.approx(usd_per_hour)


# --------------------------------------------------------------------------------------
# Bad input on copies of the tables
# --------------------------------------------------------------------------------------


def assert_problem(error: TableError, path: Path, line: int, field: str, rule: str) -> None:
    """``error`` names ``path``, ``line`` and ``field``, with a rule matching ``rule``."""
    text = str(error)
    assert f"{path}:{line}: field '{field}'" in text, text
    matching = [
        p for p in error.problems if Path(p.path) == path and p.line == line and p.field == field
    ]
    assert matching, [str(p) for p in error.problems]
    assert any(re.search(rule, p.rule) for p in matching), [p.rule for p in matching]


def future_date() -> str:
    return (dt.date.today() + dt.timedelta(days=400)).isoformat()


API_ROW = 3  # GPT-4.1, a confirmed row with a note (line 5)
GPU_ROW = 4  # RunPod H100-SXM-80GB secure_cloud (line 6)

# (id, cell edits on API_ROW, field, rule pattern)
API_CELL_CASES = [
    (
        "negative price",
        {"usd_per_million_input_tokens": "-2.5"},
        "usd_per_million_input_tokens",
        r"must be >= 0",
    ),
    (
        "per-token price",
        {"usd_per_million_output_tokens": "0.0000025"},
        "usd_per_million_output_tokens",
        r"per-token price",
    ),
    (
        "non-numeric price",
        {"usd_per_million_input_tokens": "2.5 USD"},
        "usd_per_million_input_tokens",
        r"must be a number",
    ),
    (
        "price per billion",
        {"usd_per_million_output_tokens": "8000"},
        "usd_per_million_output_tokens",
        r"check the unit",
    ),
    ("impossible month", {"observed_on": "2025-13-01"}, "observed_on", r"YYYY-MM-DD"),
    ("slashed date", {"observed_on": "2025/05/14"}, "observed_on", r"YYYY-MM-DD"),
    ("date in the future", {"observed_on": future_date()}, "observed_on", r"future"),
    (
        "unknown platform type",
        {"platform_type": "proprietary"},
        "platform_type",
        r"must be one of .*proprietary_api",
    ),
    ("unknown confidence", {"confidence": "sure"}, "confidence", r"must be one of .*confirmed"),
    ("empty source", {"source_url": ""}, "source_url", r"required"),
    (
        "batch discount as percent",
        {"batch_discount_fraction": "50"},
        "batch_discount_fraction",
        r"fraction in \(0, 1\)",
    ),
]


@pytest.mark.parametrize(
    "edits, field, rule", [c[1:] for c in API_CELL_CASES], ids=[c[0] for c in API_CELL_CASES]
)
def test_bad_api_cell(tmp_data, edits, field, rule):
    path = tmp_data / API_REL
    frame = read_text_table(path)
    for column, value in edits.items():
        frame.loc[API_ROW, column] = value
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    assert_problem(info.value, path, line_of(API_ROW), field, rule)
    # Every problem reported is about the broken row, not a neighbour.
    assert {p.line for p in info.value.problems} == {line_of(API_ROW)}, [
        str(p) for p in info.value.problems
    ]


def test_estimated_row_without_note_is_one_problem_naming_note(tmp_data):
    # One missing note is one problem, reported against the 'note' field, not one problem
    # per column of the row.
    path = tmp_data / API_REL
    frame = read_text_table(path)
    frame.loc[API_ROW, ["confidence", "note"]] = ["estimated", ""]
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    rule = r"required when confidence is not .confirmed."
    assert_problem(info.value, path, line_of(API_ROW), "note", rule)
    assert [(p.line, p.field) for p in info.value.problems] == [(line_of(API_ROW), "note")], [
        str(p) for p in info.value.problems
    ]


def test_negative_price_is_not_called_a_per_token_price(tmp_data):
    path = tmp_data / API_REL
    frame = read_text_table(path)
    frame.loc[API_ROW, "usd_per_million_input_tokens"] = "-2.5"
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    rules = [p.rule for p in info.value.problems]
    assert any("must be >= 0" in r for r in rules)
    assert not any("per-token" in r for r in rules), rules


def test_duplicate_observation_names_both_lines(tmp_data):
    path = tmp_data / API_REL
    frame = read_text_table(path)
    write_table(pd.concat([frame, frame.iloc[[1]]], ignore_index=True), path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    duplicate_line = line_of(len(frame))
    for line in (line_of(1), duplicate_line):
        assert_problem(info.value, path, line, "model_id", r"duplicate key")


def test_same_offering_on_another_date_is_not_a_duplicate(tmp_data):
    # Prices are append-only history: a new dated row for the same key is allowed.
    path = tmp_data / API_REL
    frame = read_text_table(path)
    newer = frame.iloc[[1]].assign(observed_on="2025-05-20")
    write_table(pd.concat([frame, newer], ignore_index=True), path)
    assert len(tables.load_api_prices(path)) == len(frame) + 1


@pytest.mark.parametrize(
    "column", ["source_url", "observed_on", "usd_per_million_output_tokens", "note"]
)
def test_missing_required_column(tmp_data, column):
    path = tmp_data / API_REL
    write_table(read_text_table(path).drop(columns=[column]), path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    assert_problem(info.value, path, 1, column, r"required column missing")
    # Nothing else is reported: no spurious problem from a check that needed the column.
    assert all(p.field == column for p in info.value.problems), [
        str(p) for p in info.value.problems
    ]


def test_extra_misspelled_column(tmp_data):
    path = tmp_data / API_REL
    frame = read_text_table(path)
    frame["usd_per_milion_input_tokens"] = frame["usd_per_million_input_tokens"]
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    assert_problem(info.value, path, 1, "usd_per_milion_input_tokens", r"unexpected column")
    assert "spelling" in str(info.value)


GPU_CELL_CASES = [
    ("per-second price", {"usd_per_gpu_hour": "0.0011"}, "usd_per_gpu_hour", r"per-second"),
    ("above 100 per hour", {"usd_per_gpu_hour": "120"}, "usd_per_gpu_hour", r"per GPU per hour"),
    ("negative price", {"usd_per_gpu_hour": "-2.99"}, "usd_per_gpu_hour", r"must be >= 0"),
    ("unknown pricing", {"pricing": "hourly"}, "pricing", r"must be one of .*on_demand"),
    (
        "unknown platform type",
        {"platform_type": "diy"},
        "platform_type",
        r"must be one of .*diy_gpu",
    ),
    (
        "zero billing increment",
        {"billing_increment_seconds": "0"},
        "billing_increment_seconds",
        r"> 0 seconds",
    ),
    ("impossible day", {"observed_on": "2025-02-30"}, "observed_on", r"YYYY-MM-DD"),
]


@pytest.mark.parametrize(
    "edits, field, rule", [c[1:] for c in GPU_CELL_CASES], ids=[c[0] for c in GPU_CELL_CASES]
)
def test_bad_gpu_cell(tmp_data, edits, field, rule):
    path = tmp_data / GPU_REL
    frame = read_text_table(path)
    for column, value in edits.items():
        frame.loc[GPU_ROW, column] = value
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_gpu_prices(path)
    assert_problem(info.value, path, line_of(GPU_ROW), field, rule)


@pytest.mark.slow
def test_unknown_gpu_sku_fails_validate_all(tmp_data):
    path = tmp_data / GPU_REL
    frame = read_text_table(path)
    frame.loc[GPU_ROW, "gpu"] = "H100-80GB"
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    assert_problem(info.value, path, line_of(GPU_ROW), "gpu", r"unknown GPU SKU.*gpu_specs\.csv")
    assert "H100-SXM-80GB" in str(info.value)  # lists the valid SKUs


@pytest.mark.slow
def test_unknown_serving_gpu(tmp_data):
    path = tmp_data / SERVING_REL
    frame = read_text_table(path)
    row = 6
    frame.loc[row, "gpu"] = "B200"
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_serving(path)
    assert_problem(info.value, path, line_of(row), "gpu", r"'any' or a SKU in gpu_specs\.csv")
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    assert_problem(info.value, path, line_of(row), "gpu", r"gpu_specs\.csv")


def test_bad_serving_cell(tmp_data):
    path = tmp_data / SERVING_REL
    frame = read_text_table(path)
    frame.loc[0, "gpus_per_replica"] = "0"
    frame.loc[1, "mode"] = "streaming"
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_serving(path)
    assert_problem(info.value, path, 2, "gpus_per_replica", r"1-64 GPUs")
    assert_problem(info.value, path, 3, "mode", r"must be one of .*batch")


@pytest.mark.slow
def test_validate_all_collects_problems_of_every_table(tmp_data):
    api = tmp_data / API_REL
    frame = read_text_table(api)
    frame.loc[API_ROW, "usd_per_million_output_tokens"] = "0.000008"
    write_table(frame, api)
    specs = tmp_data / SPECS_REL
    frame = read_text_table(specs)
    frame.loc[0, "memory_gb"] = "80000"
    write_table(frame, specs)
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    assert_problem(info.value, api, line_of(API_ROW), "usd_per_million_output_tokens", "per-token")
    assert_problem(info.value, specs, 2, "memory_gb", r"1-1024 GB")
    assert str(info.value).startswith(f"{len(info.value.problems)} problem(s)")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(TableError, match="file not found") as info:
        tables.load_api_prices(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------------------
# Rules across tables (issue 11): every reference names something that exists
# --------------------------------------------------------------------------------------

WITHDRAWALS_REL = paths.WITHDRAWALS_CSV.relative_to(paths.DATA_DIR)
TRACKED_REL = paths.TRACKED_CSV.relative_to(paths.DATA_DIR)
MEASURED_REL = paths.MEASURED_CSV.relative_to(paths.DATA_DIR)


def _edit(path: Path, row: int, **cells: str) -> None:
    frame = read_text_table(path)
    for column, value in cells.items():
        frame.loc[row, column] = value
    write_table(frame, path)


def _problems(data_dir: Path) -> TableError:
    with pytest.raises(TableError) as info:
        registry.validate_all(data_dir)
    return info.value


@pytest.mark.parametrize(
    ("cells", "field", "rule"),
    [
        (
            {"model_id": "claude-3-sonet-20240229"},
            "model_id",
            r"no Anthropic offering with this model_id in api_prices\.csv; did you mean "
            r"claude-3-sonnet-20240229",
        ),
        (
            {"provider": "Anthropic Inc"},
            "provider",
            r"no API offering of this provider in api_prices\.csv \(providers: Anthropic, ",
        ),
        (
            {"withdrawn_on": "2025-05-01"},
            "withdrawn_on",
            r"before the first observation of Anthropic claude-3-sonnet-20240229 in "
            r"api_prices\.csv \(2025-05-14\)",
        ),
    ],
    ids=["unknown-model", "unknown-provider", "before-first-observation"],
)
@pytest.mark.slow
def test_withdrawal_must_name_an_observed_offering_and_follow_it(tmp_data, cells, field, rule):
    path = tmp_data / WITHDRAWALS_REL
    _edit(path, 0, **cells)
    tables.load_withdrawals(path)  # the table alone is valid: only the rule across tables breaks
    error = _problems(tmp_data)
    assert_problem(error, path, 2, field, rule)
    assert [(p.path, p.line) for p in error.problems] == [(path, 2)]


@pytest.mark.slow
def test_withdrawal_on_the_day_of_the_first_observation_is_valid(tmp_data):
    _edit(tmp_data / WITHDRAWALS_REL, 0, withdrawn_on="2025-05-14")
    registry.validate_all(tmp_data)


@pytest.mark.slow
def test_tracked_offering_without_observation_fails_unless_marked_not_yet_imported(tmp_data):
    path = tmp_data / TRACKED_REL
    frame = read_text_table(path)
    new = frame.iloc[[1]].assign(model_id="gpt-4o-2026-11-01", model="GPT-4o (Nov 2026)")
    write_table(pd.concat([frame, new], ignore_index=True), path)
    line = line_of(len(frame))
    error = _problems(tmp_data)
    assert_problem(error, path, line, "model_id", r"no observation of this offering in api_pr")
    assert "set not_yet_imported=true" in str(error)
    frame = read_text_table(path).assign(not_yet_imported="")
    frame.loc[len(frame) - 1, "not_yet_imported"] = "true"
    write_table(frame, path)
    assert registry.validate_all(tmp_data)["tracked_offerings"] == len(frame)
    frame.loc[len(frame) - 1, "not_yet_imported"] = "yes"
    write_table(frame, path)
    assert_problem(_problems(tmp_data), path, line, "not_yet_imported", r"true or false")


@pytest.mark.slow
def test_tracked_offering_with_a_typo_in_provider_fails(tmp_data):
    path = tmp_data / TRACKED_REL
    _edit(path, 0, provider="Open AI")
    assert_problem(_problems(tmp_data), path, 2, "provider", r"no API offering of this provider")


@pytest.mark.parametrize(
    ("model", "valid"),
    [
        ("Llama 3.3 70B", True),  # matched as the kit matches a typed model name
        ("meta-llama/Llama-3.3-70B-Instruct", True),  # a Hugging Face id
        ("Llama 3.x 70B", True),  # the article's model class: no single architecture
        ("Llama 3.4 70B", False),
        ("Lama 3.3 70B", False),
    ],
)
@pytest.mark.slow
def test_serving_assumption_must_name_a_model_of_model_specs(tmp_data, model, valid):
    path = tmp_data / SERVING_REL
    row = 6  # measured-trtllm-h100x2-fp8
    _edit(path, row, model=model)
    if valid:
        registry.validate_all(tmp_data)
        return
    error = _problems(tmp_data)
    assert_problem(error, path, line_of(row), "model", r"not a model in model_specs\.csv")
    assert "Llama-3.3-70B" in str(error) and "version wildcard" in str(error)


@pytest.mark.slow
def test_measured_point_must_name_a_spec_model_and_gpu(tmp_data):
    path = tmp_data / MEASURED_REL
    _edit(path, 0, model="Llama 3.x 8B", gpu="H100")
    error = _problems(tmp_data)
    assert_problem(error, path, 2, "model", r"not a model in model_specs\.csv")
    assert "version wildcard" not in str(error)  # a measurement is of one model
    assert_problem(error, path, 2, "gpu", r"unknown GPU SKU")


@pytest.mark.slow
def test_cross_table_problems_are_listed_with_the_schema_problems(tmp_data):
    _edit(tmp_data / WITHDRAWALS_REL, 1, model_id="claude-3-opus")
    _edit(tmp_data / SPECS_REL, 0, memory_gb="80000")
    error = _problems(tmp_data)
    assert_problem(error, tmp_data / WITHDRAWALS_REL, 3, "model_id", r"did you mean")
    assert_problem(error, tmp_data / SPECS_REL, 2, "memory_gb", r"1-1024 GB")


# --------------------------------------------------------------------------------------
# Prices in force on a date
# --------------------------------------------------------------------------------------


@pytest.fixture
def two_gpt4o_observations(tmp_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GPT-4o observed at 5/15 USD on 2025-01-10 and at 2.5/10 on 2025-05-14, as tables."""
    frame = read_text_table(paths.API_PRICES_CSV)
    gpt4o = frame[(frame["model_id"] == "gpt-4o") & (frame["observed_on"] == "2025-05-14")]
    older = gpt4o.assign(
        observed_on="2025-01-10",
        usd_per_million_input_tokens="5",
        usd_per_million_output_tokens="15",
    )
    path = write_table(pd.concat([gpt4o, older], ignore_index=True), tmp_path / "api.csv")
    api = tables.load_api_prices(path)
    gpu = tables.load_gpu_prices().iloc[0:0]
    return api, gpu


@pytest.mark.parametrize(
    "date, usd_out, observed",
    [
        ("2025-05-31", 10.0, "2025-05-14"),
        ("2025-05-14", 10.0, "2025-05-14"),  # on the day: that day's observation
        ("2025-05-13", 15.0, "2025-01-10"),
        ("2025-01-10", 15.0, "2025-01-10"),
    ],
)
def test_as_of_takes_newest_observation_on_or_before(
    two_gpt4o_observations, date, usd_out, observed
):
    api, gpu = two_gpt4o_observations
    snapshot = prices.as_of(date, api_prices=api, gpu_prices=gpu)
    assert len(snapshot.api) == 1
    row = snapshot.api.iloc[0]
    assert row["usd_per_million_output_tokens"] == usd_out
    assert row["observed_on"] == pd.Timestamp(observed)
    assert row["age_days"] == (pd.Timestamp(date) - pd.Timestamp(observed)).days


def test_as_of_before_every_observation(two_gpt4o_observations):
    api, gpu = two_gpt4o_observations
    with pytest.raises(NoPricesError, match=r"2025-01-09.*earliest is 2025-01-10"):
        prices.as_of("2025-01-09", api_prices=api, gpu_prices=gpu)


def test_as_of_before_shipped_prices():
    with pytest.raises(NoPricesError, match="2020-01-01"):
        prices.as_of("2020-01-01")


@pytest.mark.parametrize("date", ["2025-13-01", "banana", "31/05/2025", "2025-05", ""])
def test_as_of_malformed_date(date):
    with pytest.raises(ValueError, match=r"as-of date must be a date YYYY-MM-DD") as info:
        prices.as_of(date)
    assert repr(date) in str(info.value)


def test_as_of_accepts_a_timestamp(may2025):
    assert prices.as_of(pd.Timestamp("2025-05-31 13:45")).as_of == may2025.as_of


def test_stale_flag(two_gpt4o_observations):
    api, gpu = two_gpt4o_observations
    fresh = prices.as_of("2025-05-31", api_prices=api, gpu_prices=gpu, stale_after_days=17)
    assert not fresh.api["stale"].any()  # exactly 17 days old: not older than 17
    stale = prices.as_of("2025-05-31", api_prices=api, gpu_prices=gpu, stale_after_days=16)
    assert stale.api["stale"].all()


def test_stale_default_is_120_days():
    assert tables.DEFAULT_STALE_AFTER_DAYS == 120
    late = prices.as_of("2025-11-27")  # 2025-05-14 is 197 days before (next row: 2025-11-28)
    gpt4o = late.api[late.api["model_id"] == "gpt-4o"].iloc[0]
    assert gpt4o["age_days"] == 197
    assert gpt4o["stale"]
    assert not prices.as_of("2025-05-31").api["stale"].any()


def test_negative_stale_after_days():
    with pytest.raises(ValueError, match="stale_after_days"):
        prices.as_of("2025-05-31", stale_after_days=-1)


def test_select_unknown_provider_lists_valid_ones(may2025):
    with pytest.raises(ValueError, match="unknown provider 'nosuch'") as info:
        may2025.select(providers=["nosuch"])
    for provider in may2025.providers:
        assert provider in str(info.value)


def test_select_is_case_insensitive(may2025):
    narrowed = may2025.select(providers=["openai", "RUNPOD"])
    assert set(narrowed.api["provider"]) == {"OpenAI"}
    assert set(narrowed.gpu["provider"]) == {"RunPod"}
    assert narrowed.as_of == may2025.as_of


def test_select_platform_types(may2025):
    managed = may2025.select(platform_types=["managed_api"])
    assert set(managed.api["platform_type"]) == {"managed_api"}
    assert managed.gpu.empty
    with pytest.raises(ValueError, match=r"unknown platform type 'api'.*proprietary_api"):
        may2025.select(platform_types=["api"])


def test_observations_give_provenance_per_offering(may2025):
    observations = may2025.observations()
    assert len(observations) == len(may2025.api) + len(may2025.gpu)
    assert observations["source_url"].notna().all()
    assert observations["observed_on"].notna().all()


def test_dates_in_another_format_are_refused_not_guessed(tmp_data):
    # A whole column written YYYY/MM/DD (or MM/DD/YYYY) must not be guessed into dates: the
    # schema's rule is YYYY-MM-DD, and a guessed day/month order can silently be wrong.
    path = tmp_data / API_REL
    frame = read_text_table(path)
    frame["observed_on"] = frame["observed_on"].str.replace("-", "/")
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_api_prices(path)
    assert_problem(info.value, path, 2, "observed_on", r"YYYY-MM-DD")


# --------------------------------------------------------------------------------------
# Observed on: the source's date; an estimate carried back from a later source says so
# --------------------------------------------------------------------------------------


def test_observed_on_is_the_sources_date_never_the_as_of_day(may2025):
    gpu = may2025.gpu.set_index(["provider", "gpu", "tier", "pricing"])
    # Modal's H100 price was read on techbytes.app on 2026-05-07 and is carried back to May
    # 2025: observed 2026-05-07 - 2025-05-31 = 341 days after the as-of date, an estimate.
    modal = gpu.loc[("Modal", "H100-SXM-80GB", "serverless", "on_demand")]
    assert modal["observed_on"] == pd.Timestamp("2026-05-07")
    assert modal["carried_back_to"] == pd.Timestamp("2025-05-31")
    assert modal["age_days"] == -341 and modal["confidence"] == "estimated"
    # carsonpo/gpus commit 5cf87344 is dated 2025-07-13.
    runpod = gpu.loc[("RunPod", "H100-SXM-80GB", "community_cloud", "on_demand")]
    assert runpod["observed_on"] == pd.Timestamp("2025-07-13")
    # No GPU observation in force on 2025-05-31 is dated that day: none was read on it.
    assert not (may2025.gpu["observed_on"] == may2025.as_of).any()
    carried = may2025.gpu["carried_back_to"].notna()
    assert (may2025.gpu.loc[carried, "age_days"] < 0).all()
    assert (may2025.gpu.loc[~carried, "age_days"] >= 0).all()
    # From its source's date on, the confirmed observation of that day is the one in force.
    later = prices.as_of("2026-06-01").gpu.set_index(["provider", "gpu", "tier", "pricing"])
    assert later.loc[("Modal", "H100-SXM-80GB", "serverless", "on_demand"), "confidence"] == (
        "confirmed"
    )


@pytest.mark.parametrize(
    ("confidence", "carried_back_to", "rule"),
    [
        ("confirmed", "2025-01-01", r"confidence is not 'confirmed'"),
        ("estimated", "2030-01-01", r"future"),
        ("estimated", "2026-12-02", r"before observed_on"),
    ],
)
def test_a_carried_back_price_is_an_estimate_before_its_source(
    tmp_data, confidence, carried_back_to, rule
):
    path = tmp_data / GPU_REL
    frame = read_text_table(path)
    last = len(frame) - 1  # observed 2026-12-01
    frame.loc[last, ["confidence", "carried_back_to", "note"]] = [confidence, carried_back_to, "x"]
    write_table(frame, path)
    with pytest.raises(TableError) as info:
        tables.load_gpu_prices(path)
    assert_problem(info.value, path, line_of(last), "carried_back_to", rule)
