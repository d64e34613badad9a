"""Stage 1: what an article is, and the core input kinds (*.txt, *.jsonl, *.jsonl.gz); bad input becomes
ErrorRows, never an exception. pipeline.inputs lists the inputs and picks the reader of each kind.

Nothing read is evaluated or unpickled (JSON only), and no path is ever built from an article id.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pipeline.rows import ErrorRow

DATE_HEADER = re.compile(r"\A\s*date (\d{4}-\d{2}-\d{2})\b[ \t]*(?:\r\n|\r|\n)?")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
WORD = re.compile(r"[^\W\d_]+")
LINE = re.compile(r"[^\n]+")
MIN_CAPITAL_SHARE = 0.8  # of a line's cased letters, for the line to count as written in capitals
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
    published_error: str | None = None  # why a publication date that was given could not be read
    payload_sha256: str | None = None  # hash of the raw page an extracted article came from

    def __setstate__(self, state: list) -> None:
        """Unpickle; fields added since STATE was pickled (e.g. in a parse cache) take their defaults."""
        names = fields(self)
        for field, value in zip(names, [*state, *(f.default for f in names[len(state) :])]):
            object.__setattr__(self, field.name, value)

    @property
    def content_sha256(self) -> str:
        if self.payload_sha256:
            return self.payload_sha256
        meta = json.dumps([self.article_id, self.text, str(self.published), self.title, self.url])
        return hashlib.sha256(meta.encode("utf-8")).hexdigest()

    def text_for_parser(self) -> str:
        """The text with the date header blanked, capital lines re-cased, odd characters mapped; same length."""
        return recase_capitals(without_header(self.text, self.header_end)).translate(PARSER_CHARS)


@lru_cache(maxsize=1)
def lowercase_words() -> frozenset[str]:
    from pipeline.config import MODELS_DIR  # noqa: PLC0415 - config imports nothing from here, but keep it lazy

    lines = (MODELS_DIR / "parse" / "lowercase_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def recase_capitals(text: str) -> str:
    """TEXT with words of all-capital lines ("RUGBY - FIJI BEAT TONGA") in the case the article writes them
    elsewhere, else title case (function words lower, acronym-shaped words kept): spaCy was trained on
    mixed case. Same length; only the parser sees it."""
    lines = [m for m in LINE.finditer(text) if is_capital_line(m.group())]
    if not lines:
        return text
    chars, seen = list(text), written_forms(text)
    for line in lines:
        for word in WORD.finditer(line.group()):
            new = recased(word.group(), seen)
            if len(new) == len(word.group()):
                start = line.start() + word.start()
                chars[start : start + len(new)] = new
    return "".join(chars)


def written_forms(text: str) -> dict[str, str]:
    """Lower-cased word -> how the text writes it outside capitals, lower case winning ("Win" at a sentence start)."""
    seen: dict[str, str] = {}
    for word in WORD.findall(text):
        lower = word.lower()
        if not word.isupper() and (word == lower or lower not in seen):
            seen[lower] = word
    return seen


def is_capital_line(line: str) -> bool:
    upper = sum(c.isupper() for c in line)
    return upper >= 2 and upper >= MIN_CAPITAL_SHARE * (upper + sum(c.islower() for c in line))


def recased(word: str, seen: dict[str, str]) -> str:
    if not word.isupper() or len(word) < 2:
        return word
    lower = word.lower()
    if lower in seen:
        return seen[lower]
    if lower in lowercase_words():
        return lower
    return word if is_acronym_shaped(word) else word.capitalize()


def is_acronym_shaped(word: str) -> bool:
    """ "UN", "NYC", "PCT": two letters, or three without a vowel ("NEW" and "GET" are words)."""
    return len(word) == 2 or len(word) == 3 and not any(c in "AEIOU" for c in word)


def header_end(text: str) -> int:
    """End of TEXT's leading `date YYYY-MM-DD` header (metadata, not prose), 0 when it has none."""
    header = DATE_HEADER.match(text)
    return header.end() if header else 0


def without_header(text: str, end: int | None = None) -> str:
    """TEXT with its date header blanked (END, when known, is where it ends): same length, same offsets."""
    end = header_end(text) if end is None else end
    return " " * end + text[end:] if end else text


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record read that is neither an article nor an error (a WARC request record, a 404 page), and why."""

    reason: str


class InputError(ValueError):
    """An input that cannot become an article; its message says why, for the errors table."""


def clean(value: str) -> str:
    """VALUE with lone surrogates (undecodable file names, JSON "\\ud800") as U+FFFD; same length."""
    return LONE_SURROGATE.sub("\ufffd", value)


# Absolute dates only: "yesterday" or "Tuesday" would be read against today, not the article's day.
ABSOLUTE_DATES = {
    "PARSERS": ["custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    "STRICT_PARSING": True,
}


def parse_date(value: object) -> date | None:
    """The calendar day VALUE names as written (ISO 8601, "March 5, 2020", RFC 2822...), None when none is given.

    Raises InputError when VALUE is given but names no single day.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day = read_day(value.strip()[:100]) if isinstance(value, str) else None
    if day is None:
        raise InputError(f"publication date {str(value)[:40]!r} could not be read as a calendar day")
    return day


@lru_cache(maxsize=4096)
def read_day(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value).date()  # the common case, without dateparser's cost
    except ValueError:
        pass
    import dateparser  # noqa: PLC0415 - slow to import; most inputs give ISO dates

    try:
        found = dateparser.parse(value, languages=["en"], settings=ABSOLUTE_DATES)
    except (ValueError, OverflowError):
        return None
    return found.date() if found else None


def check_text(text: object) -> str:
    """TEXT if it is article text, else an InputError saying what it is instead."""
    if not isinstance(text, str):
        raise InputError("text is missing or not a string")
    if not text.strip():
        raise InputError("text is empty")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(
            f"text has {len(text):,} characters, more than the {MAX_ARTICLE_CHARS:,} "
            f"an article may have: split it into several articles"
        )
    controls = sum(1 for c in text if c < " " and c not in TEXT_CONTROLS)
    if controls > max(2, MAX_CONTROL_SHARE * len(text)):
        raise InputError(
            f"looks like a binary file, not text: {controls:,} of {len(text):,} characters are control characters"
        )
    return clean(text)


def optional_str(value: object) -> str | None:
    return clean(value) if isinstance(value, str) else None


def read_published(*values: object) -> tuple[date | None, str | None]:
    """The first of VALUES that names a day, and why an earlier given one could not be read (or None)."""
    problem = None
    for value in values:
        try:
            day = parse_date(value)
        except InputError as err:
            problem = problem or str(err)
            continue
        if day:
            return day, problem
    return None, problem


def make_article(
    article_id: str, source: str, text: object, meta: dict, *, where: str = "", payload_sha256: str | None = None
) -> Article:
    """An Article from TEXT and META's published, title and url; WHERE names the metadata's file in messages."""
    text = check_text(text)
    header = DATE_HEADER.match(text)
    published, problem = read_published(meta.get("published"), header.group(1) if header else None)
    return Article(
        article_id=clean(article_id),
        source=clean(source),
        text=text,
        published=published,
        title=optional_str(meta.get("title")),
        url=optional_str(meta.get("url")),
        header_end=header.end() if header else 0,
        published_error=clean(f"{where}{problem} ({fallback_words(published)})") if problem else None,
        payload_sha256=payload_sha256,
    )


def fallback_words(published: date | None) -> str:
    return "kept with published null" if published is None else f"the date header gives {published}"


def date_error(article: Article) -> ErrorRow | None:
    """The errors row for ARTICLE's unreadable publication date, if it had one."""
    if not article.published_error:
        return None
    return ErrorRow(article.source, article.article_id, "read", article.published_error)


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


def read_txt(path: Path) -> Iterator[Article]:
    text = decode(path.read_bytes())
    meta = read_sidecar(path)
    where = f"sidecar {path.with_suffix('.json').name}: " if meta.get("published") else ""
    yield make_article(path.stem, str(path), text, meta, where=where)


def record_id(record: dict) -> str:
    article_id = record.get("id")
    if isinstance(article_id, bool) or not isinstance(article_id, (str, int)):
        raise InputError("record has no id (a string or an integer)")
    if not str(article_id).strip():
        raise InputError("record has an empty id")
    return str(article_id)


def read_jsonl(path: Path) -> Iterator[Article | ErrorRow]:
    """One article per line; a .jsonl.gz is read as it is decompressed (a truncated one up to where it breaks)."""
    with path.open("rb") as file:
        lines = gzip_lines(file) if path.name.endswith(".gz") else file
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


def gunzip(file, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The decompressed bytes of the gzip stream FILE (one member or several), a chunk at a time.

    Raises EOFError when the stream ends inside a member, after every byte before the cut.
    """
    inflate = zlib.decompressobj(wbits=31)
    while chunk := file.read(chunk_size):
        yield inflate.decompress(chunk)
        while inflate.eof and inflate.unused_data:  # the next member
            rest, inflate = inflate.unused_data, zlib.decompressobj(wbits=31)
            yield inflate.decompress(rest)
    if not inflate.eof:
        raise EOFError("compressed stream ends inside a member")


def gzip_lines(file) -> Iterator[bytes]:
    """The lines of the gzip stream FILE as it decompresses: a cut-short file loses only its last partial line."""
    pending: list[bytes] = []  # the line begun in earlier chunks (a list: joining once keeps a long line linear)
    for data in gunzip(file):
        *lines, tail = data.split(b"\n")
        if lines:
            lines[0] = b"".join([*pending, lines[0]])
            pending = []
            yield from (line + b"\n" for line in lines)
        pending.append(tail)
    if any(pending):
        yield b"".join(pending)


def reason(err: BaseException) -> str:
    """ERR in words a person understands, for the errors table."""
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err.msg} at column {err.colno}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 or UTF-16 text ({err.reason} at byte {err.start})"
    if isinstance(err, RecursionError):
        return "invalid JSON: nested too deeply"
    if isinstance(err, EOFError):
        return "compressed file is truncated: it ends before its last record"
    if isinstance(err, zlib.error):
        return f"compressed file is corrupt: {err}"
    if isinstance(err, FileNotFoundError):
        return "file disappeared before it could be read"
    if isinstance(err, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(err, PermissionError):
        return "permission denied: the pipeline may not read this file"
    if isinstance(err, OSError):
        return f"cannot read the file: {err.strerror or err}"
    return str(err)
