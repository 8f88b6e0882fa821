"""The answer in words: sentences built from the computed tables of each analysis.

Every sentence a report states about a result comes from a function here, so that it is
tested (``tests/narrative/test_narrative.py``) and never contradicts the numbers or the parameters.
Each ``*_answer`` function takes the tables an analysis computed and returns 3-6 plain
sentences with the numbers that decide; offerings are named by their labels
(:func:`infermodel.display.offering_labels`), numbers are rounded for reading
(``$0.88 per million tokens``, ``988 million tokens a month``, ``45% of draws``).
:func:`html` turns sentences into HTML that no Markdown renderer can mangle (a ``$`` stays a
dollar sign).
"""

from infermodel.narrative.article import claims_verdicts, formula_lines
from infermodel.narrative.base import (
    NO_MATH,
    TIE,
    Answer,
    cheapest,
    claim,
    html,
    markdown,
    markdown_text,
    names,
    paragraph,
    plain,
)
from infermodel.narrative.bills import bill_answer, bill_lead, reconcile_answer
from infermodel.narrative.changes import (
    change_labels,
    changes_lead,
    past_schedule,
    price_changes_answer,
)
from infermodel.narrative.costs import (
    article_answer,
    article_groups,
    article_readings,
    dispute_sentence,
    estimator_notes,
    left_out,
    not_on_sale,
    not_released,
    price_caveat,
    stack_base,
    stack_negatives,
    trace_answer,
    trace_lead,
    workload_lead,
    workload_name,
)
from infermodel.narrative.deadlines import deadline_answer
from infermodel.narrative.discrepancies import (
    disagreement_words,
    discrepancies_answer,
    discrepancies_headline,
)
from infermodel.narrative.estimator import (
    capacity_answer,
    error_regime_note,
    estimate_answer,
    latency_check_answer,
    latency_target_notes,
    refit_answer,
    regime_answer,
    trust_lines,
)
from infermodel.narrative.growth import (
    break_even_answer,
    maturity_answer,
    settings_lead,
    volume_lead,
)
from infermodel.narrative.ownership import buy_answer, commitment_answer, purchase_answer
from infermodel.narrative.sizing import log_label, reservation_answer, serverless_answer
from infermodel.narrative.spend import spend_answer
from infermodel.narrative.tiers import tier_answer
from infermodel.narrative.uncertainty import (
    calibration_notes,
    centred_note,
    concurrency_note,
    estimator_weaknesses,
    latency_notes,
    sensitivity_answer,
    stream_notes,
    throughput_answer,
)
from infermodel.narrative.verdict import conflicts, verdict
from infermodel.narrative.yours import (
    billing_basis,
    folder_lead,
    future_note,
    snapshot_numbers,
    user_numbers,
)

__all__ = [
    "NO_MATH",
    "TIE",
    "Answer",
    "article_answer",
    "article_groups",
    "article_readings",
    "bill_answer",
    "bill_lead",
    "billing_basis",
    "break_even_answer",
    "buy_answer",
    "calibration_notes",
    "capacity_answer",
    "centred_note",
    "change_labels",
    "changes_lead",
    "cheapest",
    "claim",
    "claims_verdicts",
    "commitment_answer",
    "concurrency_note",
    "conflicts",
    "deadline_answer",
    "disagreement_words",
    "discrepancies_answer",
    "discrepancies_headline",
    "dispute_sentence",
    "error_regime_note",
    "estimate_answer",
    "estimator_notes",
    "estimator_weaknesses",
    "folder_lead",
    "formula_lines",
    "future_note",
    "html",
    "latency_check_answer",
    "latency_notes",
    "latency_target_notes",
    "left_out",
    "log_label",
    "markdown",
    "markdown_text",
    "maturity_answer",
    "names",
    "not_on_sale",
    "not_released",
    "paragraph",
    "past_schedule",
    "plain",
    "price_caveat",
    "price_changes_answer",
    "purchase_answer",
    "reconcile_answer",
    "refit_answer",
    "regime_answer",
    "reservation_answer",
    "sensitivity_answer",
    "serverless_answer",
    "settings_lead",
    "snapshot_numbers",
    "spend_answer",
    "stack_base",
    "stack_negatives",
    "stream_notes",
    "throughput_answer",
    "tier_answer",
    "trace_answer",
    "trace_lead",
    "trust_lines",
    "user_numbers",
    "verdict",
    "volume_lead",
    "workload_lead",
    "workload_name",
]
