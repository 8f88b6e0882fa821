"""Inputs that used to give a wrong number without a word (issue 23, third round).

Each test shows the number worked out by hand, or the one line that now refuses the input.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from infermodel import cli

AS_OF = ["--as-of", "2025-05-31"]
A100 = "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("infermodel: error:")]
    assert len(lines) == 1, err
    return lines[0]


# --- the DIY token basis ---------------------------------------------------------------------


def test_break_even_follows_the_diy_token_basis(capsys):
    # RunPod A100 PCIe community cloud: $1.19/GPU-hour, 2M output tokens/h (article-batch-2m),
    # utilization 0.8. Half the workload's tokens are output. On the output basis a busy hour
    # serves 2M x 0.8 = 1.6M output tokens, which carry 3.2M tokens of the mix:
    # 1.19 / 3.2 = $0.371875 per million tokens (the total basis: 1.19 / 1.6 = $0.74375).
    costs = {}
    for basis in ("total", "output"):
        status, out, err = run(
            capsys, "break-even", *AS_OF, "--format", "csv", "--output-share", "0.5",
            "--diy-token-basis", basis, "--provider", "runpod", "--provider", "openai",
        )  # fmt: skip
        assert status == 0, err
        table = pd.read_csv(io.StringIO(out))
        row = table[table["diy_offering_id"] == A100].iloc[0]
        costs[basis] = row["diy_usd_per_million_tokens_busy"]
        assert (table["diy_token_basis"] == basis).all()
    assert costs["total"] == pytest.approx(1.19 / 1.6, rel=1e-9)
    assert costs["output"] == pytest.approx(1.19 / 3.2, rel=1e-9)


def test_the_output_basis_without_output_tokens_is_refused_not_free(capsys):
    # --output-share 0 leaves no output token: every rented GPU was priced at $0.
    for command in ("table", "break-even"):
        status, out, err = run(
            capsys, command, *AS_OF, "--output-share", "0", "--diy-token-basis", "output"
        )
        line = one_error_line(err)
        assert status == 2 and out == ""
        assert "diy_token_basis 'output'" in line and "would cost $0" in line


# --- trace --min-replicas under hourly autoscaling --------------------------------------------


def one_minute_log(folder) -> str:
    path = folder / "minute.csv"
    rows = [f"2025-05-01 00:00:{s:02d},100,100" for s in range(0, 60, 10)]
    path.write_text("timestamp,input_tokens,output_tokens\n" + "\n".join(rows) + "\n")
    return str(path)


def test_min_replicas_bill_the_log_not_a_whole_autoscaling_window(capsys, tmp_path):
    # A log of one minute, one replica kept on (--min-replicas 1), RunPod A100 community cloud
    # at $1.19/GPU-hour billed by the second. Autoscaled: that replica runs the minute, 60 s:
    # 1.19 x 60 / 3600 = $0.019833 (it was billed the whole hourly window, $1.19, 60x).
    # Sized for the peak: the same replica plus its billed 30 s cold start, 90 s = $0.02975.
    status, out, err = run(
        capsys, "trace", one_minute_log(tmp_path), *AS_OF, "--format", "csv",
        "--min-replicas", "1", "--provider", "runpod",
    )  # fmt: skip
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out)).set_index("offering_id")
    row = table.loc[A100]
    assert row["cost_usd_autoscaled"] == pytest.approx(1.19 * 60 / 3600, rel=1e-9)
    assert row["cost_usd_peak_sized"] == pytest.approx(1.19 * 90 / 3600, rel=1e-9)
    diy = table[table["platform_type"] == "diy_gpu"]
    assert (diy["cost_usd_autoscaled"] <= diy["cost_usd_peak_sized"] * (1 + 1e-12)).all()
