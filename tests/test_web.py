"""Web inputs: HTML pages and WARC archives built here from Wikinews articles (tests/data, CC BY 2.5) wrapped in
news pages with furniture; extraction fidelity, broken inputs as errors rows, and the same tables as from JSONL."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.articles import Article
from pipeline.cli import main
from pipeline.config import Config
from pipeline.inputs import InputStats, read_articles
from pipeline.rows import ErrorRow
from pipeline.runner import run
from scripts.webpages import DATE_STYLES, extraction_fidelity, page_of, record_id_of, write_warc

SAMPLE = [json.loads(line) for line in (Path(__file__).parent / "data" / "wikinews_sample.jsonl").open()]
FURNITURE = [
    "READ MORE",
    "Opens in new window",
    "cookie",
    "Related stories",
    "File photo",
    "Subscribe",
    "All rights reserved",
    "By Staff Reporter",
    "The Daily Example",
]
EXTRA = [
    ("https://news.example.org/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("https://news.example.org/gone", "404 Not Found", "text/html", b"<html><body>Not found</body></html>"),
    ("https://news.example.org/empty", "200 OK", "text/html; charset=utf-8", b""),
]
NO_ARTICLE = b"""<html><head><title>Home</title></head><body><nav><ul><li><a href="/">Home</a></li>
<li><a href="/world">World</a></li></ul></nav><footer><a href="/about">About us</a></footer></body></html>"""


def read(root) -> tuple[list, InputStats]:
    stats = InputStats()
    return list(read_articles(root, stats=stats)), stats


def warc_bytes(records, extra=()) -> bytes:
    stream = io.BytesIO()
    write_warc(records, stream, list(extra))
    return stream.getvalue()


@pytest.mark.parametrize("style", DATE_STYLES)
@pytest.mark.parametrize("record", SAMPLE[:3], ids=lambda r: r["id"])
def test_web_html_page_read_with_metadata(tmp_path, record, style):
    (tmp_path / "page.html").write_text(page_of(record, style), encoding="utf-8")
    [article] = read(tmp_path)[0]
    assert (article.article_id, article.text, article.title, article.url) == (
        "page",
        record["text"],
        record["title"],
        record["url"],
    )
    assert article.published == date.fromisoformat(record["published"])


@pytest.mark.parametrize("word", FURNITURE)
def test_web_furniture_left_out(tmp_path, word):
    page = page_of(SAMPLE[0])
    assert word in page  # the page has it; the article does not
    (tmp_path / "page.htm").write_text(page, encoding="utf-8")
    [article] = read(tmp_path)[0]
    assert word not in article.text


def test_web_html_page_without_article_is_an_error(tmp_path):
    (tmp_path / "home.html").write_bytes(NO_ARTICLE)
    (tmp_path / "story.html").write_text(page_of(SAMPLE[0]), encoding="utf-8")
    error, story = read(tmp_path)[0]
    assert isinstance(error, ErrorRow) and error.source == str(tmp_path / "home.html")
    assert error.error == "no article text found in the page"
    assert isinstance(story, Article) and story.text == SAMPLE[0]["text"]


@pytest.fixture(scope="module")
def warc_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warc") / "pages.warc.gz"
    path.write_bytes(warc_bytes(SAMPLE, EXTRA))
    return path


def test_web_warc_one_article_per_html_response(warc_file):
    items, stats = read(warc_file)
    articles = [i for i in items if isinstance(i, Article)]
    assert [a.url for a in articles] == [r["url"] for r in SAMPLE]
    assert [a.article_id for a in articles] == [record_id_of(r["url"]).strip("<>") for r in SAMPLE]
    assert [a.published for a in articles] == [date.fromisoformat(r["published"]) for r in SAMPLE]
    assert stats.files == {"warc": 1}


def test_web_warc_non_pages_counted_not_errors(warc_file):
    items, stats = read(warc_file)
    assert stats.skipped_records == {
        "WARC warcinfo record": 1,
        "WARC request record": len(SAMPLE) + len(EXTRA),
        "not HTML (image/png)": 1,
        "HTTP status 404": 1,
    }
    [error] = [i for i in items if isinstance(i, ErrorRow)]  # the 200 page with no payload
    assert error.error == "WARC record has no payload" and error.source.startswith(f"{warc_file}@")


def test_web_warc_source_offset_and_payload_hash(warc_file):
    articles = [i for i in read(warc_file)[0] if isinstance(i, Article)]
    with warc_file.open("rb") as stream:
        for article in articles[:3]:
            stream.seek(int(article.source.rsplit("@", 1)[1]))
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Record-ID").strip("<>") == article.article_id
            assert article.content_sha256 == hashlib.sha256(record.content_stream().read()).hexdigest()


def test_web_truncated_warc_keeps_the_records_before_the_cut(tmp_path, warc_file):
    data = warc_file.read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(data[: len(data) // 2])
    whole = [i for i in read(warc_file)[0] if isinstance(i, Article)]
    items, _ = read(tmp_path / "cut.warc.gz")
    assert len(items) >= 3 and [a.text for a in items[:-1]] == [a.text for a in whole[: len(items) - 1]]
    assert isinstance(items[-1], ErrorRow) and "truncated" in items[-1].error


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not a warc at all\r\n\r\n", "not a WARC file"),
        (b"", None),  # an empty archive holds no records: nothing to report
    ],
)
def test_web_not_a_warc(tmp_path, data, message):
    (tmp_path / "x.warc").write_bytes(data)
    items, _ = read(tmp_path)
    assert [i.error[: len(message)] for i in items] == ([message] if message else [])


def test_web_extraction_fidelity_on_the_sample():
    f1, exact, total = extraction_fidelity(SAMPLE)
    assert f1 >= 0.95 and exact == total == len(SAMPLE)


@pytest.fixture(scope="module")
def jsonl_and_warc_runs(tmp_path_factory, warc_file):
    root = tmp_path_factory.mktemp("same")
    (root / "jsonl").mkdir()
    (root / "jsonl" / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in SAMPLE[:4]))
    (root / "warc").mkdir()
    (root / "warc" / "news.warc.gz").write_bytes(warc_bytes(SAMPLE[:4]))
    for name in ["jsonl", "warc"]:
        assert (
            main(["run", "--input", str(root / name), "--output", str(root / f"out-{name}"), "--n-process", "1"]) == 0
        )
    return root / "out-jsonl", root / "out-warc"


@pytest.mark.parametrize("table", ["articles", "sentences", "tokens", "mentions", "dates", "quotes", "entities"])
def test_web_warc_tables_equal_jsonl_tables(jsonl_and_warc_runs, table):
    from_jsonl, from_warc = (pd.read_parquet(out / table) for out in jsonl_and_warc_runs)
    if "article_id" in from_warc:
        ids = {record_id_of(r["url"]).strip("<>"): r["id"] for r in SAMPLE}
        from_warc["article_id"] = from_warc.article_id.map(ids)
    dropped = ["source", "content_sha256", "run_id", "processed_at", "quote_id"]  # quote_id hashes article_id
    key = [c for c in ["article_id", "start_char", "token_index", "sentence_index", "entity_id"] if c in from_jsonl]
    tidy = [
        df.drop(columns=[c for c in dropped if c in df]).sort_values(key).reset_index(drop=True)
        for df in (from_jsonl, from_warc)
    ]
    assert len(tidy[0]) > 0
    pd.testing.assert_frame_equal(tidy[0], tidy[1])


def test_web_rerun_after_adding_a_warc_processes_only_its_records(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.warc.gz").write_bytes(warc_bytes(SAMPLE[:2], EXTRA[:2]))
    cfg, out = Config(n_process=1), tmp_path / "out"
    first = run(tmp_path / "in", out, cfg, progress=False)
    assert first.processed == 2 and first.skipped_records == {
        "WARC warcinfo record": 1,
        "WARC request record": 4,
        "not HTML (image/png)": 1,
        "HTTP status 404": 1,
    }
    (tmp_path / "in" / "b.warc.gz").write_bytes(warc_bytes(SAMPLE[2:3]))
    summary = run(tmp_path / "in", out, cfg, progress=False)
    assert (summary.processed, summary.articles) == (1, 3)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """One run over every web and table kind, each with a broken input beside good ones."""
    root = tmp_path_factory.mktemp("mixed")
    whole = warc_bytes(SAMPLE[:2], EXTRA)
    (root / "good.warc.gz").write_bytes(whole)
    (root / "cut.warc.gz").write_bytes(warc_bytes(SAMPLE[2:5])[:-200])
    (root / "story.html").write_text(page_of(SAMPLE[5]), encoding="utf-8")
    (root / "home.html").write_bytes(NO_ARTICLE)
    (root / "rows.csv").write_text("id,text\ncsv-1,Rustem Umerov met Steve Witkoff in Miami.\ncsv-2,\n")
    out = root / "out"
    assert main(["run", "--input", str(root), "--output", str(out), "--n-process", "1"]) == 0
    return root, out


@pytest.mark.parametrize(
    "source, reason",
    [
        ("cut.warc.gz", "WARC file is truncated"),
        ("home.html", "no article text found in the page"),
        ("rows.csv:3", "text is empty"),
        ("good.warc.gz@", "WARC record has no payload"),
    ],
)
def test_web_broken_inputs_are_errors_rows(mixed_run, source, reason):
    root, out = mixed_run
    errors = pd.read_parquet(out / "errors")
    [row] = errors[errors.source.str.startswith(str(root / source))].itertuples()
    assert (row.stage, row.error[: len(reason)]) == ("read", reason)


def test_web_nothing_else_lost(mixed_run):
    _, out = mixed_run
    articles = pd.read_parquet(out / "articles")
    cut_before = len(SAMPLE[2:5]) - 1  # the cut falls inside the last record
    assert len(articles) == 2 + cut_before + 1 + 1
    assert {"csv-1", "story"} <= set(articles.article_id)
    assert set(pd.read_parquet(out / "mentions").article_id) >= {"csv-1", "story"}
