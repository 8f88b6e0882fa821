"""``infermodel throughput``: roofline estimate of serving throughput."""

from __future__ import annotations

import argparse
import sys

from infermodel import tables
from infermodel.cli import options
from infermodel.cli.options import UsageError
from infermodel.estimator import latency, throughput
from infermodel.formulas.roofline import PRECISIONS


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
    options.add_format(tp, help_text="output format")
    tp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("models: " + ", ".join(tables.load_model_specs()["model"]))
        print("gpus: " + ", ".join(tables.load_gpu_specs()["gpu"]))
        print("precisions: " + ", ".join(PRECISIONS))
        return 0
    needed = ["model", "gpu", "gpus", "precision", "input_tokens", "output_tokens"]
    missing = ["--" + n.replace("_", "-") for n in needed if getattr(args, n) is None]
    if missing:
        raise UsageError(
            f"throughput needs {', '.join(missing)} (or --list); see 'infermodel throughput --help'"
        )
    config = (args.model, args.gpu, args.gpus, args.precision)
    config += (args.input_tokens, args.output_tokens)
    if args.itl_ms is None and args.ttft_ms is not None:
        raise UsageError("--ttft-ms needs --itl-ms (a latency target is an ITL, and a TTFT)")
    if args.itl_ms is not None and args.concurrency is not None:
        raise UsageError("give --itl-ms or --concurrency, not both: the target sets the batch")
    if args.itl_ms is None:
        table = throughput.estimate(*config, concurrency=args.concurrency)
    else:
        table = latency.capacity_at_latency(*config, itl_ms=args.itl_ms, ttft_ms=args.ttft_ms)
        table = table.set_index("reading").reset_index()
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        shown = table.set_index("reading").T if "reading" in table else table.T
        print(shown.to_string(header="reading" in table, float_format="{:,.4g}".format))
    return 0
