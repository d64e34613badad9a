"""Web pages and WARC archives built from a JSONL corpus, for tests and `make bench` (nothing is downloaded).

Each article is wrapped in a news page with the furniture real pages carry: a cookie banner, menus, a
headline, a byline with the date (in one of several formats), an image caption, a "READ MORE" teaser,
related links and a footer. `python scripts/webpages.py news.jsonl out.warc.gz` writes a WARC of them.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
import tempfile
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

TOKEN = re.compile(r"\w+|[^\w\s]")
# Formats pages print publication dates in: ISO in a meta tag, a <time> element, words in the byline.
DATE_STYLES = ("meta", "time", "words")

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | The Daily Example</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{title}">
{date_meta}
</head><body>
<div class="cookie-banner" id="cookies"><p>We use cookies to improve your experience on our site and to show
you relevant advertising. By continuing you agree to our cookie policy.</p><button>Accept all cookies</button></div>
<header><a href="/" class="logo">The Daily Example</a>
<nav class="main-menu"><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/business">Business</a></li><li><a href="/science">Science</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<main><article>
<h1>{title}</h1>
<div class="byline">By Staff Reporter {date_line}</div>
<figure><img src="/images/lead.jpg" alt=""><figcaption>File photo. The scene earlier this year. (Photo: Agency)
</figcaption></figure>
{body}
</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/world/1">Leaders meet again as talks resume next week</a></li>
<li><a href="/science/2">Scientists report new findings in a major study</a></li>
<li><a href="/business/3">Markets close higher after a volatile session</a></li></ul></aside>
</main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
<p>&copy; 2024 The Daily Example. All rights reserved.</p></footer>
</body></html>
"""
READ_MORE = (
    '<p class="teaser"><a href="/more">READ MORE: Five things to know about this story '
    "[ ... Opens in new window ]</a></p>"
)


def date_markup(published: str | None, style: str) -> tuple[str, str]:
    """(head markup, byline text) that give PUBLISHED in STYLE."""
    if not published:
        return "", ""
    day = date.fromisoformat(published)
    if style == "meta":
        return f'<meta property="article:published_time" content="{published}T12:30:00Z">', ""
    if style == "time":
        return "", f'<time datetime="{published}">{day:%d %b %Y}</time>'
    return "", f"| {day:%B} {day.day}, {day.year}"


def page_of(record: dict, style: str = "meta") -> str:
    """RECORD (a JSONL article) as a news page, its paragraphs in <p> with a teaser after the first."""
    paragraphs = [f"<p>{html.escape(p.strip())}</p>" for p in record["text"].split("\n\n") if p.strip()]
    body = "\n".join(paragraphs[:1] + [READ_MORE] + paragraphs[1:])
    head, line = date_markup(record.get("published"), style)
    return PAGE.format(
        title=html.escape(record.get("title") or ""),
        url=html.escape(url_of(record)),
        date_meta=head,
        date_line=line,
        body=body,
    )


def url_of(record: dict) -> str:
    return record.get("url") or f"https://news.example.org/{record['id']}"


def record_id_of(url: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>"


def write_warc(records: list[dict], stream, extra: list[tuple[str, str, str, bytes]] = ()) -> None:
    """RECORDS as gzipped WARC response records (each after its request), then EXTRA (url, status line,
    content type, payload) responses: images, error pages."""
    from warcio.statusandheaders import StatusAndHeaders  # noqa: PLC0415 - the web extra
    from warcio.warcwriter import WARCWriter  # noqa: PLC0415

    writer = WARCWriter(stream, gzip=True)
    writer.write_record(writer.create_warcinfo_record("pages.warc.gz", {"software": "scripts/webpages.py"}))
    pages = [
        (url_of(r), "200 OK", "text/html; charset=utf-8", page_of(r, DATE_STYLES[i % len(DATE_STYLES)]).encode())
        for i, r in enumerate(records)
    ]
    for url, status, content_type, payload in [*pages, *extra]:
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"GET {url} HTTP/1.1", [], is_http_request=True),
        )
        writer.write_record(request)
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(payload),
                http_headers=headers,
                warc_headers_dict={"WARC-Record-ID": record_id_of(url)},
            )
        )


def main() -> None:
    corpus, target = Path(sys.argv[1]), Path(sys.argv[2])
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    with target.open("wb") as stream:
        write_warc(records, stream)
    print(f"{len(records)} pages -> {target}")


if __name__ == "__main__":
    main()


def tokens(text: str) -> Counter:
    return Counter(TOKEN.findall(text))


def token_f1(found: str, expected: str) -> float:
    """Token F1 of FOUND against EXPECTED (words and punctuation marks, as multisets)."""
    got, want = tokens(found), tokens(expected)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def extraction_fidelity(records: list[dict]) -> tuple[float, int, int]:
    """(mean token F1, articles extracted exactly, articles) of RECORDS read back from a WARC of their pages."""
    from pipeline.articles import Article  # noqa: PLC0415
    from pipeline.web import read_warc  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pages.warc.gz"
        with path.open("wb") as stream:
            write_warc(records, stream)
        found = {a.url: a.text for a in read_warc(path) if isinstance(a, Article)}
    scores = [token_f1(found.get(url_of(r), ""), r["text"]) for r in records]
    exact = sum(found.get(url_of(r)) == r["text"] for r in records)
    return sum(scores) / len(scores), exact, len(records)
