"""Stage 1: read *.txt and *.jsonl inputs into Articles; bad input becomes ErrorRows, never an exception."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.rows import ErrorRow

DATE_HEADER = re.compile(r"\A\s*date (\d{4}-\d{2}-\d{2})\b[ \t]*\n?")
# Characters spaCy's English tokenizer does not treat as apostrophes, mapped one-to-one so offsets hold.
PARSER_CHARS = str.maketrans({"\u02bc": "\u2019", "\u2032": "'", "\u00a0": " "})


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
        """The text with the date header blanked and odd apostrophes mapped; same length as `text`."""
        return (" " * self.header_end + self.text[self.header_end :]).translate(PARSER_CHARS)


class InputError(ValueError):
    """An input that cannot become an article; its message says why, for the errors table."""


def parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"published is not a YYYY-MM-DD date: {value!r}") from None


def make_article(article_id: str, source: str, text: object, meta: dict) -> Article:
    if not isinstance(text, str):
        raise InputError("text is missing or not a string")
    if not text.strip():
        raise InputError("text is empty")
    header = DATE_HEADER.match(text)
    published = parse_date(meta.get("published")) or (parse_date(header.group(1)) if header else None)
    return Article(
        article_id=article_id,
        source=source,
        text=text,
        published=published,
        title=meta.get("title") if isinstance(meta.get("title"), str) else None,
        url=meta.get("url") if isinstance(meta.get("url"), str) else None,
        header_end=header.end() if header else 0,
    )


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    text = data.decode("utf-8-sig")
    if "\x00" in text:
        raise InputError("text contains NUL bytes: binary file?")
    return text


def read_txt(path: Path) -> Article:
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    sidecar = path.with_suffix(".json")
    meta = {}
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise InputError(f"sidecar {sidecar.name} is not valid JSON: {err}") from None
        if not isinstance(meta, dict):
            raise InputError(f"sidecar {sidecar.name} is not a JSON object")
    return make_article(path.stem, str(path), text, meta)


def read_jsonl(path: Path) -> Iterator[Article | ErrorRow]:
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            source = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
                if not isinstance(record, dict):
                    raise InputError(f"line is JSON {type(record).__name__}, not an object")
                article_id = record.get("id")
                if not isinstance(article_id, (str, int)) or str(article_id).strip() == "":
                    raise InputError("record has no id")
                yield make_article(str(article_id), source, record.get("text"), record)
            except (InputError, ValueError, UnicodeDecodeError) as err:
                yield ErrorRow(source=source, article_id=None, stage="read", error=reason(err))


def reason(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err.msg} at column {err.colno}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text ({err.reason} at byte {err.start})"
    return str(err)


def input_files(root: Path) -> list[Path]:
    """Every *.txt and *.jsonl under ROOT, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".jsonl") and p.is_file())


def read_file(path: Path) -> Iterator[Article | ErrorRow]:
    """The articles of one input file, or the reasons they could not be read."""
    try:
        if path.suffix == ".jsonl":
            yield from read_jsonl(path)
        else:
            yield read_txt(path)
    except (InputError, OSError, UnicodeDecodeError) as err:
        yield ErrorRow(source=str(path), article_id=None, stage="read", error=reason(err))


def read_articles(root: Path) -> Iterator[Article | ErrorRow]:
    """Articles of every input under ROOT, first-seen id winning; duplicates become errors."""
    seen: set[str] = set()
    for path in input_files(root):
        for item in read_file(path):
            if isinstance(item, Article):
                if item.article_id in seen:
                    item = ErrorRow(item.source, item.article_id, "read", f"duplicate article id {item.article_id!r}")
                else:
                    seen.add(item.article_id)
            yield item
