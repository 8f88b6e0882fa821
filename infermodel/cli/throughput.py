"""``infermodel throughput``: roofline estimate of serving throughput."""

from __future__ import annotations

import argparse
import sys

from infermodel import tables, throughput
from infermodel.cli import options
from infermodel.cli.options import UsageError
from infermodel.roofline import PRECISIONS


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
    table = throughput.estimate(
        args.model,
        args.gpu,
        args.gpus,
        args.precision,
        args.input_tokens,
        args.output_tokens,
        concurrency=args.concurrency,
    )
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        print(table.T.to_string(header=False, float_format="{:,.4g}".format))
    return 0
