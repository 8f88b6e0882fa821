"""``infermodel throughput``: serving throughput estimated from specs, engine by engine.

An estimate (``--model ... --engine vllm``), the capacity at a latency target (``--itl-ms``),
or a refit of the estimator on the measured points, printing its errors before and after
(``--refit``; ``--write`` replaces the fitted factors and the rows that rest on them).
Text output states the answer first; the estimator's warnings also go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infermodel import narrative, parameters, paths, tables
from infermodel.cli import options
from infermodel.cli.options import UsageError
from infermodel.estimator import latency, refit, throughput
from infermodel.estimator.throughput_rows import efficiency_summary
from infermodel.formulas.roofline import KV_CACHE_DTYPES, PRECISIONS
from infermodel.tables import serving_engines


def add_parser(commands) -> None:
    """Add ``throughput`` to the subcommands."""
    tp = commands.add_parser(
        "throughput", help="estimate serving throughput from model and GPU specs"
    )
    tp.add_argument("--list", action="store_true", help="print the accepted model and GPU names")
    tp.add_argument("--model", help="model name, any case (see --list)")
    tp.add_argument("--gpu", help="GPU SKU, any case (see --list)")
    tp.add_argument(
        "--gpus", type=options.ruled("--gpus"), help="GPUs in the replica (tensor parallel)"
    )
    tp.add_argument(
        "--precision",
        help="bf16, fp16, fp8, int8, int4, fp4 or mxfp4 (MoE experts in MXFP4, the rest BF16)",
    )
    tp.add_argument(
        "--input-tokens", type=options.ruled("--input-tokens"), help="prompt tokens per request"
    )
    tp.add_argument(
        "--output-tokens",
        type=options.ruled("--output-tokens"),
        help="generated tokens per request [tokens]",
    )
    tp.add_argument(
        "--concurrency",
        type=options.ruled("--concurrency"),
        default=None,
        help="requests in flight (default: the largest batch that fits, maximum throughput)",
    )
    tp.add_argument(
        "--itl-ms",
        type=options.ruled("--itl-ms"),
        default=None,
        help="latency target: the most concurrent streams whose mean inter-token latency "
        "is at most this [ms/token], beside the maximum",
    )
    tp.add_argument(
        "--ttft-ms",
        type=options.ruled("--ttft-ms"),
        default=None,
        help="with --itl-ms: time to first token at most this [ms] (queueing not modelled)",
    )
    _engine_options(tp)
    options.add_format(tp, help_text="output format")
    tp.set_defaults(handler=run)


def _engine_options(tp) -> None:
    tp.add_argument(
        "--engine",
        type=options.ruled("--engine"),
        default=serving_engines.DEFAULT_ENGINE,
        help="serving engine whose defaults and fitted factors apply: vllm (default), sglang "
        "or trtllm (TensorRT-LLM, NVIDIA GPUs only)",
    )
    tp.add_argument(
        "--kv-cache-dtype",
        type=options.ruled("--kv-cache-dtype"),
        default=None,
        help=f"KV-cache dtype, {', '.join(KV_CACHE_DTYPES)} (default: the engine's own for "
        "these weights, data/serving_engines.csv)",
    )
    tp.add_argument(
        "--max-num-seqs",
        type=options.ruled("--max-num-seqs"),
        default=None,
        help="the engine's cap on running requests (default or 0: the engine's own)",
    )
    tp.add_argument(
        "--speculative-decoding",
        action="store_true",
        help="the deployment uses speculative decoding (not modelled: the estimate warns)",
    )
    tp.add_argument(
        "--disaggregated",
        action="store_true",
        help="prefill and decode run on separate replicas (not modelled: the estimate warns)",
    )
    tp.add_argument(
        "--refit",
        action="store_true",
        help="refit the estimator on the measured points and print the errors before and after",
    )
    tp.add_argument(
        "--write",
        action="store_true",
        help="with --refit: replace data/throughput_efficiency.csv and the estimated and "
        "latency rows of data/serving_assumptions.csv",
    )
    tp.add_argument(
        "--measured",
        type=options.ruled("--measured", parameters.RULES["measured_csv"]),
        default=None,
        help="with --refit: measured points to fit (default data/throughput_measured.csv)",
    )


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("models: " + ", ".join(tables.load_model_specs()["model"]))
        print("gpus: " + ", ".join(tables.load_gpu_specs()["gpu"]))
        print("precisions: " + ", ".join(PRECISIONS))
        print("engines: " + ", ".join(serving_engines.ENGINES))
        return 0
    if args.refit:
        return _refit(args)
    if args.write or args.measured:
        raise UsageError("--write and --measured go with --refit")
    needed = ["model", "gpu", "gpus", "precision", "input_tokens", "output_tokens"]
    missing = ["--" + n.replace("_", "-") for n in needed if getattr(args, n) is None]
    if missing:
        raise UsageError(
            f"throughput needs {', '.join(missing)} (or --list, or --refit); see "
            "'infermodel throughput --help'"
        )
    config = (args.model, args.gpu, args.gpus, args.precision)
    config += (args.input_tokens, args.output_tokens)
    if args.itl_ms is None and args.ttft_ms is not None:
        raise UsageError("--ttft-ms needs --itl-ms (a latency target is an ITL, and a TTFT)")
    if args.itl_ms is not None and args.concurrency is not None:
        raise UsageError("give --itl-ms or --concurrency, not both: the target sets the batch")
    engine = dict(
        engine=args.engine,
        kv_cache_dtype=args.kv_cache_dtype or None,
        max_num_seqs=args.max_num_seqs or None,
        speculative_decoding=args.speculative_decoding,
        disaggregated=args.disaggregated,
    )
    if args.itl_ms is None:
        table = throughput.estimate(*config, concurrency=args.concurrency, **engine)
        answer = narrative.estimate_answer(table.iloc[0], efficiency_summary(paths.EFFICIENCY_CSV))
    else:
        table = latency.capacity_at_latency(
            *config, itl_ms=args.itl_ms, ttft_ms=args.ttft_ms, **engine
        )
        answer = narrative.capacity_answer(table)
    for line in narrative.trust_lines(table["warning"]):
        print(f"warning: {line}", file=sys.stderr)
    _print(table, args.format, answer)
    return 0


def _print(table, fmt: str, answer: list[str]) -> None:
    if fmt == "csv":
        table.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        print("\n".join(answer) + "\n")
        shown = table.set_index("reading").T if "reading" in table else table.T
        print(shown.to_string(header="reading" in table, float_format="{:,.4g}".format))


def _refit(args: argparse.Namespace) -> int:
    measured = Path(args.measured) if args.measured else paths.MEASURED_CSV
    result = refit.refit(measured_path=measured, write=args.write)
    answer = narrative.refit_answer(result.errors, result.rows, result.written)
    if args.format == "csv":
        result.errors.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(result.errors.to_json(orient="records", indent=1) + "\n")
    else:
        print("\n".join(answer) + "\n")
        print(result.errors.to_string(index=False, float_format="{:,.1f}".format) + "\n")
        print(result.rows.to_string(index=False, float_format="{:,.1f}".format))
    return 0
