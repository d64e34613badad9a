"""The command line: the only module that knows about argv, messages and exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from pipeline.config import load_config
from pipeline.engine import EngineError
from pipeline.inputs import InputMissing, check_input
from pipeline.runner import run
from pipeline.store import OutputLocked, open_output


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line saying what to do, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def count(minimum: int):
    """An argparse type: an integer of at least MINIMUM."""

    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, not {value}")
        return number

    parse.__name__ = "integer"
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="process an input folder into Parquet tables")
    run_cmd.add_argument("--input", required=True,
                         help="folder, file, or fsspec URL (s3://..., gs://..., memory://...) of articles: *.txt, "
                              "*.jsonl(.gz), *.csv, *.parquet; *.html, *.warc(.gz) with pip install '.[web]'")
    run_cmd.add_argument("--output", required=True,
                         help="folder, or fsspec URL (s3://bucket/prefix, gs://..., memory://...), the tables go to")
    run_cmd.add_argument("--config", type=Path, help="TOML settings file (default: pipeline.toml)")
    run_cmd.add_argument("--model", help="installed spaCy model package to use")
    run_cmd.add_argument("--n-process", type=count(0), help="worker processes (0 = every core)")
    run_cmd.add_argument("--batch-size", type=count(1), help="texts per nlp.pipe batch")
    run_cmd.add_argument("--full-refresh", action="store_true",
                         help="re-process every article, not only new or changed ones")
    run_cmd.add_argument("--engine", choices=["local", "dask"], help="local process pool or a Dask cluster")
    run_cmd.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_input(args.input)
    except InputMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        output = open_output(args.output)
    except ValueError as err:  # fsspec: "Protocol not known: foo"
        print(f"error: cannot write to {args.output}: {err} (give a folder or a URL such as s3://bucket/prefix "
              "with --output)", file=sys.stderr)
        return 2
    except ImportError as err:  # fsspec: "Install s3fs to access S3", from the missing module's error
        package = getattr(err.__cause__, "name", None)
        hint = f" (pip install {package})" if package else ""
        print(f"error: cannot write to {args.output}: {err}{hint}", file=sys.stderr)
        return 1
    try:
        cfg = load_config(args.config).with_options(
            model=args.model, n_process=args.n_process, batch_size=args.batch_size,
            engine=args.engine or ("dask" if args.scheduler else None), scheduler=args.scheduler)
        summary = run(args.input, output, cfg, full_refresh=args.full_refresh)
    except OutputLocked as err:
        print(f"error: {err}", file=sys.stderr)
        return 4
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 5
    except RuntimeError as err:
        from pipeline.parse import ModelError  # noqa: PLC0415 - spaCy is slow to import; needed only here

        if not isinstance(err, ModelError):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 3
    except OSError as err:
        print(f"error: cannot write {err.filename or args.output}: {err.strerror or err} "
              f"(give a writable folder with --output)", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{summary.articles} articles, {summary.errors} errors -> {summary.output} "
          f"({summary.processed} processed, {summary.removed} dropped this run)")
    return 0
