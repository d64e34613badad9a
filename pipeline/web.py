"""Web inputs (the `web` extra): HTML pages and WARC archives become articles of the page's main text.

trafilatura finds the main text, title, date and URL of a page and leaves the furniture out (menus, related
links, captions, "read more"); htmldate dates a page trafilatura could not. `articles.text` is the extracted
text, paragraphs separated by a blank line, so every offset indexes it. A page with no article text is an
errors row. A WARC file is streamed record by record: each HTML response with status 200 is an article
(`article_id` the record id, `url` its target URI, `source` FILE@OFFSET, `content_sha256` the payload's hash);
other records are counted (Skipped), not errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import htmldate
import trafilatura
from trafilatura.settings import Document
from warcio.archiveiterator import ArchiveIterator

from pipeline.articles import Article, InputError, Skipped, clean, make_article, reason
from pipeline.rows import ErrorRow

HTML_TYPES = ("text/html", "application/xhtml+xml")


def page_article(page: bytes, article_id: str, source: str, url: str | None = None) -> Article:
    """The article in the HTML PAGE; InputError when the page holds none."""
    found = main_text(page, url)
    text = "\n\n".join(paragraphs(found.text or "", found.title)) if found else ""
    if not found or not text:
        raise InputError("no article text found in the page")
    published = found.date or htmldate.find_date(page, extensive_search=False, original_date=True)
    meta = {"published": published, "title": found.title, "url": url or found.url}
    return make_article(article_id, source, text, meta, payload_sha256=hashlib.sha256(page).hexdigest())


def main_text(page: bytes, url: str | None) -> Document | None:
    """trafilatura's main text and metadata of PAGE."""
    # fast: no fallback extractors, which take bylines, captions and teasers in with a short article's text.
    found = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        fast=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
    )
    return found if isinstance(found, Document) else None


def paragraphs(text: str, title: str | None) -> list[str]:
    """The non-empty lines of TEXT, without a leading headline that repeats TITLE (it goes to `title`)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines[1:] if lines and title and lines[0] == title.strip() else lines


def read_html(path) -> Iterator[Article]:
    yield page_article(path.read_bytes(), path.stem, str(path))


def skip_reason(record) -> str | None:
    """Why RECORD is no web page to read, or None when it is an HTML response with status 200."""
    if record.rec_type != "response":
        return f"WARC {record.rec_type} record"
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status != "200":
        return f"HTTP status {status or 'missing'}"
    content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        return f"not HTML ({content_type or 'no content type'})"
    return None


def record_article(record, page: bytes, source: str) -> Article | ErrorRow:
    """The article of the WARC response RECORD whose payload is PAGE, or why it has none."""
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
    try:
        if not record_id:
            raise InputError("WARC record has no WARC-Record-ID")
        if not page.strip():
            raise InputError("WARC record has no payload")
        return page_article(page, record_id, source, record.rec_headers.get_header("WARC-Target-URI"))
    except (ValueError, OSError, EOFError) as err:
        return ErrorRow(source=source, article_id=None, stage="read", error=reason(err))


def read_warc(path) -> Iterator[Article | ErrorRow | Skipped]:
    """Each record of the WARC at PATH (plain or gzipped per record), read as it streams by.

    A file cut short (a download that stopped) yields the records before the cut, then raises InputError.
    """
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        end = 0
        try:
            for record in records:
                if record.format != "warc":
                    raise InputError(f"not a WARC file: the record at byte {end:,} is not a WARC record")
                skip = skip_reason(record)
                page = b"" if skip else record.content_stream().read()
                offset = records.get_record_offset()  # known once the record is read to its end
                end = offset + records.get_record_length()
                if getattr(record.raw_stream, "limit", 0) > 0:
                    raise InputError(f"WARC file is truncated: it ends inside the record at byte {offset:,}")
                yield Skipped(skip) if skip else record_article(record, page, clean(f"{path}@{offset}"))
        except InputError:
            raise
        except Exception as err:  # noqa: BLE001 - warcio raises assorted errors on damaged input
            raise InputError(f"WARC file is damaged after byte {end:,}: {type(err).__name__}: {err}") from None
        stream.seek(end)
        if stream.read(64).strip():
            raise InputError(f"WARC file is truncated or damaged after byte {end:,}: no complete record follows")
