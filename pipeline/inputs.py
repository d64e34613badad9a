"""What a run reads: `--input` as a folder, a single file or an fsspec URL of either; one reader per file kind.

Kinds, by the end of a file's name (any case): .txt, .jsonl, .jsonl.gz (pipeline.articles); .csv, .parquet
(pipeline.tabular, columns named by the `[pipeline.columns]` setting); .html, .htm, .warc, .warc.gz
(pipeline.web, the `web` extra). A file of any other kind is counted and named in InputStats, not read; a
`NAME.json` beside `NAME.txt` is that file's sidecar. Local inputs are read with pathlib, URLs (s3://, gs://,
memory://, ...) through fsspec; file:// is local.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.articles import Article, InputError, Skipped, clean, date_error, reason
from pipeline.rows import ErrorRow
from pipeline.store import URL


@dataclass(frozen=True)
class Kind:
    """An input kind: its reader (module and function) and the pip extra its libraries come from, if any."""

    name: str
    module: str
    function: str
    extra: str | None = None
    needs: tuple[str, ...] = ()  # modules the extra provides
    takes_columns: bool = False

    def reader(self):
        return getattr(importlib.import_module(self.module), self.function)

    def missing(self) -> list[str]:
        return [m for m in self.needs if importlib.util.find_spec(m) is None]


TXT = Kind("txt", "pipeline.articles", "read_txt")
JSONL = Kind("jsonl", "pipeline.articles", "read_jsonl")
CSV = Kind("csv", "pipeline.tabular", "read_csv", takes_columns=True)
PARQUET = Kind("parquet", "pipeline.tabular", "read_parquet", takes_columns=True)
HTML = Kind("html", "pipeline.web", "read_html", "web", ("trafilatura", "htmldate", "lxml_html_clean"))
WARC = Kind("warc", "pipeline.web", "read_warc", "web", ("warcio", "trafilatura", "htmldate", "lxml_html_clean"))
KINDS = {
    ".jsonl.gz": JSONL,
    ".warc.gz": WARC,
    ".txt": TXT,
    ".jsonl": JSONL,
    ".csv": CSV,
    ".parquet": PARQUET,
    ".html": HTML,
    ".htm": HTML,
    ".warc": WARC,
}


class InputMissing(ValueError):
    """--input names nothing that can be read; the message says what to give instead."""


class MissingExtra(ValueError):
    """Inputs of a kind whose optional libraries are not installed; the message names the extra."""


@dataclass
class InputStats:
    """What read_articles met besides articles and errors; complete once its iterator is exhausted.

    files: files read, by kind ("txt", "warc", ...). skipped_files: files of no known kind, by path or URL.
    skipped_records: records read that are no article and no error (a WARC request, a 404 page, an image),
    by reason.
    """

    files: Counter = field(default_factory=Counter)
    skipped_files: list[str] = field(default_factory=list)
    skipped_records: Counter = field(default_factory=Counter)


def kind_of(name: str) -> Kind | None:
    lower = name.lower()
    return next((kind for suffix, kind in KINDS.items() if lower.endswith(suffix)), None)


@dataclass(frozen=True)
class RemotePath:
    """A file of an fsspec filesystem, with the few pathlib methods the readers use."""

    fs: Any
    path: str
    listed: frozenset[str] = frozenset()  # every file of the listing: sidecars are found without a request

    def __str__(self) -> str:
        return self.fs.unstrip_protocol(self.path)

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0] if "." in self.name.lstrip(".") else self.name

    def with_suffix(self, suffix: str) -> RemotePath:
        return RemotePath(self.fs, self.path[: len(self.path) - len(self.name)] + self.stem + suffix, self.listed)

    def is_file(self) -> bool:
        return self.path in self.listed

    def is_dir(self) -> bool:
        return False  # fs.find lists files only

    def open(self, mode: str = "rb"):
        return self.fs.open(self.path, mode)

    def read_bytes(self) -> bytes:
        with self.open() as file:
            return file.read()


def is_url(spec: str | os.PathLike) -> bool:
    return isinstance(spec, str) and bool(URL.match(spec)) and not spec.startswith("file://")


def local_path(spec: str | os.PathLike) -> Path:
    return Path(spec[len("file://") :] if isinstance(spec, str) and spec.startswith("file://") else spec)


def remote_root(url: str) -> tuple[Any, str]:
    """(filesystem, path) of URL; ImportError names the package a protocol needs."""
    from fsspec.core import url_to_fs  # noqa: PLC0415 - slow to import; only URL inputs need it

    try:
        return url_to_fs(url)
    except ImportError as err:
        package = getattr(err.__cause__, "name", None)
        raise InputMissing(f"cannot read {url}: {err}" + (f" (pip install {package})" if package else "")) from None


def check_input(spec: str | os.PathLike) -> None:
    """Raise InputMissing unless SPEC (a folder, a file or a URL) exists."""
    if is_url(spec):
        try:
            fs, root = remote_root(str(spec))
        except ValueError as err:  # fsspec: "Protocol not known: foo"
            raise InputMissing(f"cannot read {spec}: {err}") from None
        if not fs.exists(root):
            raise InputMissing(f"input {spec} does not exist: give an existing folder, file or URL with --input")
        return
    if not local_path(spec).exists():
        raise InputMissing(f"input {spec} does not exist: give an existing folder or file with --input")


def input_files(root: str | os.PathLike) -> list:
    """Every entry under ROOT (folders too), or ROOT itself when it is not a folder, in a stable order."""
    if is_url(root):
        fs, path = remote_root(str(root))
        if not fs.isdir(path):
            return [RemotePath(fs, path, frozenset([path]))]
        found = sorted(fs.find(path))
        listed = frozenset(found)
        return [RemotePath(fs, p, listed) for p in found]
    folder = local_path(root)
    return sorted(folder.rglob("*")) if folder.is_dir() else [folder]


def check_regular_file(path) -> None:
    """Raise unless PATH is a regular file: reading a FIFO would block, a directory cannot be read."""
    if not isinstance(path, Path) or path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise InputError("broken symbolic link")
    if not path.exists():
        raise FileNotFoundError(path)
    raise InputError("is a directory, not a file" if path.is_dir() else "not a regular file (a pipe, socket or device)")


def read_file(
    path, kind: Kind | None = None, columns: Mapping[str, str] | None = None
) -> Iterator[Article | ErrorRow | Skipped]:
    """The articles of one input file of KIND (by default its name's), the reasons they could not be read, and
    the records skipped."""
    try:
        check_regular_file(path)
        kind = kind or kind_of(path.name)
        if kind is None:
            raise InputError(f"not an input of a known kind ({', '.join(KINDS)})")
        reader = kind.reader()
        yield from reader(path, columns) if kind.takes_columns else reader(path)
    except (ValueError, OSError, EOFError, zlib.error) as err:
        yield ErrorRow(source=clean(str(path)), article_id=None, stage="read", error=reason(err))


def sort_inputs(paths: list, stats: InputStats) -> list[tuple[Any, Kind]]:
    """(path, kind) of each input to read; files of no known kind go to STATS (sidecars and folders do not)."""
    names = {str(p) for p in paths}
    readable = []
    for path in paths:
        kind = kind_of(path.name)
        if kind:
            readable.append((path, kind))
        elif not (path.name.endswith(".json") and str(path.with_suffix(".txt")) in names) and not path.is_dir():
            stats.skipped_files.append(clean(str(path)))
    return readable


def check_extras(kinds: set[Kind]) -> None:
    for kind in sorted(kinds, key=lambda k: k.name):
        if kind.extra and (missing := kind.missing()):
            raise MissingExtra(
                f"reading .{kind.name} inputs needs the optional '{kind.extra}' libraries "
                f"({', '.join(missing)} missing): pip install 'news-pipeline[{kind.extra}]'"
            )


def read_articles(
    root: str | os.PathLike, *, columns: Mapping[str, str] | None = None, stats: InputStats | None = None
) -> Iterator[Article | ErrorRow]:
    """Articles of every input under ROOT, first-seen id winning; duplicates and unreadable dates become errors.

    COLUMNS maps id, text, published, title, url to the column names of CSV and Parquet inputs. STATS, when
    given, collects the files and records that are not articles (see InputStats).
    """
    stats = stats if stats is not None else InputStats()
    inputs = sort_inputs(input_files(root), stats)
    check_extras({kind for _, kind in inputs})
    seen: set[str] = set()
    for path, kind in inputs:
        stats.files[kind.name] += 1
        for item in read_file(path, kind, columns):
            if isinstance(item, Skipped):
                stats.skipped_records[item.reason] += 1
                continue
            if isinstance(item, Article):
                if item.article_id in seen:
                    item = ErrorRow(
                        item.source,
                        item.article_id,
                        "read",
                        f"duplicate article id {item.article_id!r}: an earlier input has it",
                    )
                else:
                    seen.add(item.article_id)
                    problem = date_error(item)
                    if problem:
                        yield item
                        item = problem
            yield item
