"""Fresh hostile inputs (issue 23's hundred), each a test that failed before its fix.

The table of all hundred, with the outcomes before and after, is in the issue's note; the
ones that needed a fix are here, by the command or file they hit.
"""

from __future__ import annotations

from infermodel import compare, gpu_sizing, narrative, prices, serving, tables

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
