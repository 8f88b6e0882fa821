"""Fresh hostile inputs (issue 23's hundred), each a test that failed before its fix.

The table of all hundred, with the outcomes before and after, is in the issue's note; the
ones that needed a fix are here, by the command or file they hit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import TEST_DATA

from infermodel import cli, narrative, prices, tables
from infermodel.errors import DataError, InputError
from infermodel.pricing import compare, gpu_sizing
from infermodel.readers import focus, logs
from infermodel.readers.logs import files as log_files
from infermodel.reports import folders
from infermodel.tables import serving

# --- the request-log page ---------------------------------------------------------------------


def test_no_serverless_logs_is_an_empty_comparison_not_a_crash():
    # -p 'serverless_logs=[]' (the parameter's comment says "[] to skip") failed the page:
    # pd.concat of nothing, then a KeyError on the empty headline.
    snapshot = prices.as_of("2026-12-01")
    chosen = serving.select(tables.load_serving(), ["article-batch-2m"])
    pairs = compare.priced_pairs(snapshot, chosen)
    headline, sweep = gpu_sizing.serverless_on_logs({}, pairs, [0, 60], as_of=snapshot.as_of)
    assert headline.empty and list(headline.columns) == gpu_sizing.HEADLINE_COLUMNS
    assert sweep.empty and list(sweep.columns) == gpu_sizing.SWEEP_COLUMNS
    assert headline.assign(log=headline["log"].map(narrative.log_label)).empty
    assert narrative.serverless_answer(headline, logs=[]) == [
        "No shipped log was chosen for the serverless comparison (serverless_logs is empty), "
        "so this section compares nothing."
    ]


# --- report ----------------------------------------------------------------------------------


def test_a_previous_report_without_tables_is_still_the_kits(tmp_path):
    # Hostile input 91/92: a report whose notebooks saved no table has an empty tables/,
    # which its record's file list does not name; it was refused as "holding 'tables'".
    report = tmp_path / "r"
    (report / "tables").mkdir(parents=True)
    (report / "index.html").write_text("old")
    (report / "run_record.json").write_text('{"files": ["index.html", "run_record.json"]}')
    assert folders.check_target(str(report) + "/") == report.resolve()
    link = tmp_path / "link"
    link.symlink_to(report)
    assert folders.check_target(link) == report.resolve()


def test_a_parameter_given_twice_is_refused(tmp_path, capsys):
    # Hostile input 93: the last -p as_of won without a word (and built a 150 s report).
    status = cli.main(["report", "--out", str(tmp_path / "r"), "-p", "as_of=2025-05-31",
                       "-p", "as_of=2025-06-30"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert "-p as_of is given twice ('2025-05-31' and '2025-06-30'); give it once" in err
    assert not (tmp_path / "r").exists()


# --- trace ---------------------------------------------------------------------------------

H = "timestamp,input_tokens,output_tokens\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_line_numbers_hold_after_text_duckdb_latin1_refuses(tmp_path):
    # Hostile input 34: a curly quote or dash (UTF-8 bytes 0x80-0x9F) before a bad row made
    # the line count fail: "File is not latin-1 encoded".
    rows = "2025-05-01 00:00:00,100,10,\u201csmart\u201d \u2014 quotes\n"
    rows += "2025-05-01 00:00:01,\uff11\uff12,10,a\n"  # full-width digits: not a number
    path = write(tmp_path / "log.csv", H.replace("\n", ",model\n") + rows)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path)
    assert [(p.line, p.field, p.value) for p in caught.value.problems] == [
        (3, "input_tokens", "\uff11\uff12")
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [(" +12 ", 12), ("-0", 0), (".5e1", 5), ("1e3", 1000), ("1_000", None), ("0x10", None),
     ("Infinity", None), ("1,000", None)],
)  # fmt: skip
def test_a_token_count_as_text_is_a_plain_number_or_not_one(tmp_path, text, value):
    # Hostile input 36: DuckDB's cast read "1_000" as 1000 (Spark's as nothing).
    path = write(tmp_path / "log.csv", f'input_tokens,output_tokens\n"{text}",1\n')
    if value is None:
        with pytest.raises(logs.BadRowsError) as caught:
            logs.read_trace(path)
        assert caught.value.counts == {"non_numeric": 1}
    else:
        assert logs.read_trace(path).summary().loc[0, "input_tokens"] == value


def test_a_line_past_the_longest_a_log_may_have_says_so(tmp_path):
    # Hostile input 41: the message dumped 300 characters of the line.
    path = tmp_path / "log.jsonl"
    path.write_text('{"input_tokens": 1, "output_tokens": 1, "p": "' + "x" * (17 << 20) + '"}\n')
    with pytest.raises(DataError) as caught:
        logs.read_trace(path)
    assert str(caught.value) == (
        f"{path}: cannot be read as jsonl: line 1 is {(17 << 20) + 48:,} bytes long, past the "
        f"{log_files.MAX_LINE_BYTES:,} bytes a log's line may have (a line is one request: is it "
        "the file you meant?)"
    )


@pytest.mark.parametrize("ids", ["7", "[99999999999999999999999]", "[1.5]", '"seven"', "null"])
def test_mooncake_hash_ids_that_are_no_list_of_ids_are_malformed(tmp_path, ids):
    # Hostile inputs 45, 46: read as "no block", i.e. no cached tokens, without a word.
    line = '{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": %s}\n'
    path = write(tmp_path / "log.jsonl", line % "[1, 2]" + line % ids)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path, fmt="mooncake")
    assert caught.value.counts == {"malformed": 1}
    assert (caught.value.problems[0].line, caught.value.problems[0].field) == (2, "hash_ids")


@pytest.mark.slow
def test_a_file_name_with_a_line_break_or_escape_stays_one_line(tmp_path, capsys):
    # Hostile input 54: the error about "a\nb.csv" printed on two lines.
    for name in ("a\nb.csv", "\x1b[31mred.csv"):
        path = write(tmp_path / name, "x")
        status = cli.main(["trace", str(path), "--as-of", "2025-05-31"])
        err = capsys.readouterr().err
        assert status == 2 and err.count("\n") == 1 and "\x1b" not in err
        assert repr(str(path))[1:-1] in err


@pytest.mark.parametrize(("forced", "kind"), [("mooncake", "JSON lines"), ("parquet", "Parquet")])
def test_a_format_forced_on_a_file_of_another_kind_says_so(tmp_path, forced, kind):
    # Hostile inputs 55, 56: "the log has no columns", or DuckDB's "No magic bytes".
    path = write(tmp_path / "log.csv", H + "2025-05-01 00:00:00,100,10\n")
    with pytest.raises(InputError) as caught:
        logs.read_trace(path, fmt=forced)
    assert str(caught.value) == (
        f"{path}: format {forced} reads {kind}, but the file is CSV (detected: csv); give its "
        "format or let it be detected (--trace-format, fmt=)"
    )


@pytest.mark.slow
def test_rented_gpus_left_out_for_want_of_timestamps_are_named(tmp_path, capsys):
    # Hostile inputs 37, 62: a log without timestamps priced the APIs only, without a word.
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n100,10\n")
    status = cli.main(["trace", str(path), "--as-of", "2025-05-31", "--format", "csv"])
    err = capsys.readouterr().err
    assert status == 0
    assert "GPU offering(s): the log has no timestamps, and rented GPUs are sized" in err


# --- bill and prices import -------------------------------------------------------------------

BILL = TEST_DATA / "bills" / "real_openai_anthropic.csv"


def test_a_bill_line_of_spaces_only_is_named(tmp_path):
    # Hostile input 65: DuckDB then misread the header: "not a FOCUS export: it lacks ...".
    head, first, rest = BILL.read_text().split("\n", 2)
    path = write(tmp_path / "bill.csv", f"{head}\n{first}\n\n   \n{rest}")
    with pytest.raises(DataError) as caught:
        focus.read_bill(path)
    assert str(caught.value).startswith(f"{path}:4: a line of spaces only")


def test_a_models_mapping_is_checked_like_the_shipped_one(tmp_path, capsys):
    # Hostile input 73: a mapping naming one model twice (or an unknown offering) was used.
    mapping = write(tmp_path / "models.csv",
                    "provider,billed_model,offering_id,checked_on,source_url,note\n"
                    "OpenAI,gpt-x,openai/gpt-4o,2025-05-31,https://example.com,a\n"
                    "OpenAI,GPT-X,openai/gpt-4o-mini,2025-05-31,https://example.com,b\n"
                    "OpenAI,gpt-y,openai/gpt-9,2025-05-31,https://example.com,c\n")  # fmt: skip
    status = cli.main(["bill", str(BILL), "--models", str(mapping)])
    err = capsys.readouterr().err
    assert status == 1
    assert "models.csv:3: field 'billed_model' = 'GPT-X': the same provider and model" in err
    assert "models.csv:4: field 'offering_id' = 'openai/gpt-9': no API offering" in err


@pytest.mark.slow
def test_a_bill_period_before_any_price_names_its_line(tmp_path, capsys):
    # Hostile input 76: "no price observations on or before 1900-01-31", and no line.
    july = "2026-07-01T00:00:00Z,2026-08-01T00:00:00Z,Usage"
    text = BILL.read_text().replace(july, "1900-01-01T00:00:00Z,1900-02-01T00:00:00Z,Usage", 1)
    path = write(tmp_path / "bill.csv", text)
    status = cli.main(["bill", str(path), "--format", "csv"])
    err = capsys.readouterr().err
    assert status == 2
    said = "bill.csv:2: the charge period 1900-01-01 to 1900-02-01 is priced as of 1900-01-31"
    assert said in err


def test_an_observation_date_in_the_future_is_refused(tmp_path, capsys):
    # Hostile input 85: a review dated 2099 was shown as if the source spoke for then.
    path = write(tmp_path / "l.json", '{"gpt-4o": {"input_cost_per_token": 2.5e-06, '
                 '"output_cost_per_token": 1e-05}}')  # fmt: skip
    status = cli.main(["prices", "import", "litellm", str(path), "--observed-on", "2099-01-01"])
    err = capsys.readouterr().err
    assert status == 2
    assert "--observed-on 2099-01-01 is in the future (today is" in err
