"""Stage 1: read *.txt and *.jsonl inputs into Articles; bad input becomes ErrorRows, never an exception.

Nothing read is evaluated or unpickled (JSON only), and no path is ever built from an article id.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.rows import ErrorRow

DATE_HEADER = re.compile(r"\A\s*date (\d{4}-\d{2}-\d{2})\b[ \t]*(?:\r\n|\r|\n)?")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# spaCy parses a text of at most 1,000,000 characters by default; longer "articles" are dumps, not news.
MAX_ARTICLE_CHARS = 1_000_000
# A text whose control characters exceed this share (tabs and line ends aside) is a binary file.
MAX_CONTROL_SHARE = 0.02
TEXT_CONTROLS = "\t\n\r\x0b\x0c"


class ParserChars(dict):
    """One-to-one replacements that keep offsets while sparing spaCy characters it mis-tokenizes.

    Apostrophe look-alikes become apostrophes. Control characters and direction marks (which sit at word
    edges, e.g. around a name) become spaces; zero-width characters ("boundary neutral"), which sit inside
    words, stay: spaCy keeps "Wit\u200bkoff" one token. Filled lazily, one lookup per distinct character,
    so importing costs nothing.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        bad_control = category == "Cc" and char not in TEXT_CONTROLS
        direction_mark = category == "Cf" and unicodedata.bidirectional(char) != "BN"
        self[code] = " " if bad_control or direction_mark else char
        return self[code]


PARSER_CHARS = ParserChars({0x02BC: "\u2019", 0x2032: "'", 0x00A0: " ", 0x2028: "\n", 0x2029: "\n"})


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    source: str
    text: str
    published: date | None = None
    title: str | None = None
    url: str | None = None
    header_end: int = 0  # end of a leading `date YYYY-MM-DD` header, which is metadata, not prose

    @property
    def content_sha256(self) -> str:
        meta = json.dumps([self.article_id, self.text, str(self.published), self.title, self.url])
        return hashlib.sha256(meta.encode("utf-8")).hexdigest()

    def text_for_parser(self) -> str:
        """The text with the date header blanked and odd characters mapped; same length as `text`."""
        return (" " * self.header_end + self.text[self.header_end :]).translate(PARSER_CHARS)


class InputError(ValueError):
    """An input that cannot become an article; its message says why, for the errors table."""


def clean(value: str) -> str:
    """VALUE with lone surrogates (undecodable file names, JSON "\\ud800") as U+FFFD; same length."""
    return LONE_SURROGATE.sub("\ufffd", value)


def parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"published is not a YYYY-MM-DD date: {str(value)[:40]!r}") from None


def check_text(text: object) -> str:
    """TEXT if it is article text, else an InputError saying what it is instead."""
    if not isinstance(text, str):
        raise InputError("text is missing or not a string")
    if not text.strip():
        raise InputError("text is empty")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(f"text has {len(text):,} characters, more than the {MAX_ARTICLE_CHARS:,} "
                         f"an article may have: split it into several articles")
    controls = sum(1 for c in text if c < " " and c not in TEXT_CONTROLS)
    if controls > max(2, MAX_CONTROL_SHARE * len(text)):
        raise InputError(f"looks like a binary file, not text: {controls:,} of {len(text):,} "
                         f"characters are control characters")
    return clean(text)


def optional_str(value: object) -> str | None:
    return clean(value) if isinstance(value, str) else None


def make_article(article_id: str, source: str, text: object, meta: dict) -> Article:
    text = check_text(text)
    header = DATE_HEADER.match(text)
    published = parse_date(meta.get("published")) or (parse_date(header.group(1)) if header else None)
    return Article(
        article_id=clean(article_id),
        source=clean(source),
        text=text,
        published=published,
        title=optional_str(meta.get("title")),
        url=optional_str(meta.get("url")),
        header_end=header.end() if header else 0,
    )


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when DATA looks like mostly-ASCII UTF-16 with no byte-order mark."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd > 0.6 * len(data) / 2 and even == 0:
        return "utf-16-le"
    if even > 0.6 * len(data) / 2 and odd == 0:
        return "utf-16-be"
    return None


def decode(data: bytes) -> str:
    """The text of a file's bytes: UTF-8 (with or without BOM) or UTF-16 (with BOM or plainly so)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    encoding = utf16_without_bom(data)
    return data.decode(encoding) if encoding else data.decode("utf-8-sig")


def read_sidecar(path: Path) -> dict:
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        meta = json.loads(sidecar.read_bytes().decode("utf-8-sig"))
    except (ValueError, RecursionError) as err:
        raise InputError(f"sidecar {sidecar.name} is not valid JSON: {reason(err)}") from None
    if not isinstance(meta, dict):
        raise InputError(f"sidecar {sidecar.name} is JSON {type(meta).__name__}, not an object")
    return meta


def read_txt(path: Path) -> Article:
    text = decode(path.read_bytes())
    meta = read_sidecar(path)
    try:
        return make_article(path.stem, str(path), text, meta)
    except InputError as err:
        if "published" in str(err) and "published" in meta:
            raise InputError(f"sidecar {path.with_suffix('.json').name}: {err}") from None
        raise


def record_id(record: dict) -> str:
    article_id = record.get("id")
    if isinstance(article_id, bool) or not isinstance(article_id, (str, int)):
        raise InputError("record has no id (a string or an integer)")
    if not str(article_id).strip():
        raise InputError("record has an empty id")
    return str(article_id)


def read_jsonl(path: Path) -> Iterator[Article | ErrorRow]:
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            source = clean(f"{path}:{number}")
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
                if not isinstance(record, dict):
                    raise InputError(f"line is JSON {type(record).__name__}, not an object")
                yield make_article(record_id(record), source, record.get("text"), record)
            except (ValueError, RecursionError) as err:
                yield ErrorRow(source=source, article_id=None, stage="read", error=reason(err))


def reason(err: BaseException) -> str:
    """ERR in words a person understands, for the errors table."""
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err.msg} at column {err.colno}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 or UTF-16 text ({err.reason} at byte {err.start})"
    if isinstance(err, RecursionError):
        return "invalid JSON: nested too deeply"
    if isinstance(err, FileNotFoundError):
        return "file disappeared before it could be read"
    if isinstance(err, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(err, PermissionError):
        return "permission denied: the pipeline may not read this file"
    if isinstance(err, OSError):
        return f"cannot read the file: {err.strerror or err}"
    return str(err)


def input_files(root: Path) -> list[Path]:
    """Every path named *.txt or *.jsonl under ROOT, in a stable order (those that are not files are reported)."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".jsonl"))


def check_regular_file(path: Path) -> None:
    """Raise unless PATH is a regular file: reading a FIFO would block, a directory cannot be read."""
    if path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise InputError("broken symbolic link")
    if not path.exists():
        raise FileNotFoundError(path)
    raise InputError("is a directory, not a file" if path.is_dir() else "not a regular file (a pipe, socket or device)")


def read_file(path: Path) -> Iterator[Article | ErrorRow]:
    """The articles of one input file, or the reasons they could not be read."""
    try:
        check_regular_file(path)
        if path.suffix == ".jsonl":
            yield from read_jsonl(path)
        else:
            yield read_txt(path)
    except (ValueError, OSError) as err:
        yield ErrorRow(source=clean(str(path)), article_id=None, stage="read", error=reason(err))


def read_articles(root: Path) -> Iterator[Article | ErrorRow]:
    """Articles of every input under ROOT, first-seen id winning; duplicates become errors."""
    seen: set[str] = set()
    for path in input_files(root):
        for item in read_file(path):
            if isinstance(item, Article):
                if item.article_id in seen:
                    item = ErrorRow(item.source, item.article_id, "read",
                                    f"duplicate article id {item.article_id!r}: an earlier input has it")
                else:
                    seen.add(item.article_id)
            yield item
