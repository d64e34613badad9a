"""The reader: decoding, text checks, ids, sidecars and reasons; every input becomes an Article or an ErrorRow."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from pipeline.articles import (
    Article,
    InputError,
    check_text,
    decode,
    header_end,
    make_article,
    parse_date,
    reason,
    record_id,
    without_header,
)
from pipeline.dates import extract_dates
from pipeline.inputs import read_articles, read_file
from pipeline.rows import ErrorRow

TEXT = "Steve Witkoff met Rustem Umerov in Miami."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode(),
        TEXT.encode("utf-16"),
        TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
    ],
)
def test_articles_decode_utf8_and_utf16_variants(data):
    assert decode(data) == TEXT


@pytest.mark.parametrize("data", [b"caf\xe9 au lait", b"\x80\x81\x82"])
def test_articles_decode_rejects_undecodable(data):
    with pytest.raises(UnicodeDecodeError):
        decode(data)


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "missing"),
        (42, "not a string"),
        ("", "empty"),
        (" \n\t ", "empty"),
        ("\x01\x02\x03\x04" * 50 + "ok", "binary"),
    ],
)
def test_articles_check_text_rejects(text, message):
    with pytest.raises(InputError, match=message):
        check_text(text)


@pytest.mark.parametrize("text", [TEXT + "\x00\x00", "Kirill \ud800 Dmitriev", TEXT + "\r\n" + TEXT])
def test_articles_check_text_keeps_length(text):
    assert len(check_text(text)) == len(text)


@pytest.mark.parametrize(
    "text, published, header_end",
    [
        ("date 2025-11-20\nHe said.", date(2025, 11, 20), 16),
        ("date 2025-11-20\r\nHe said.", date(2025, 11, 20), 17),
        ("date 2025-11-20\rHe said.", date(2025, 11, 20), 16),
        ("  date 2025-11-20 He said.", date(2025, 11, 20), 18),
        ("He said on date 2025-11-20.", None, 0),
    ],
)
def test_articles_date_header_with_any_line_end(text, published, header_end):
    article = make_article("a", "s", text, {})
    assert (article.published, article.header_end) == (published, header_end)


@pytest.mark.parametrize(
    "text, parser_text",
    [
        ("met \u2066Steve Witkoff\u2069 in", "met  Steve Witkoff  in"),  # isolates around a name become spaces
        ("met Steve Wit\u200bkoff in", "met Steve Wit\u200bkoff in"),  # zero-width inside a word stays
        ("met\x07 Steve\x00 Witkoff", "met  Steve  Witkoff"),
        ("Ukraine\u02bcs envoy", "Ukraine\u2019s envoy"),
    ],
)
def test_articles_text_for_parser_same_length(text, parser_text):
    article = make_article("a", "s", text, {})
    assert article.text_for_parser() == parser_text
    assert len(article.text_for_parser()) == len(article.text)


@pytest.mark.parametrize(
    "record, expected",
    [
        ({"id": "x1"}, "x1"),
        ({"id": 7}, "7"),
        ({"id": "../../x"}, "../../x"),
        ({"id": "a/b"}, "a/b"),
    ],
)
def test_articles_record_id_kept_verbatim(record, expected):
    assert record_id(record) == expected


@pytest.mark.parametrize("record", [{}, {"id": None}, {"id": True}, {"id": 1.5}, {"id": " "}, {"id": ["x"]}])
def test_articles_record_id_rejects(record):
    with pytest.raises(InputError, match="id"):
        record_id(record)


@pytest.mark.parametrize(
    "err, words",
    [
        (FileNotFoundError(2, "No such file"), "disappeared"),
        (PermissionError(13, "Denied"), "permission denied"),
        (IsADirectoryError(21, "Is a directory"), "directory"),
        (OSError(5, "Input/output error"), "Input/output"),
        (RecursionError(), "nested too deeply"),
    ],
)
def test_articles_reason_in_words(err, words):
    assert words in reason(err)


@pytest.mark.parametrize(
    "lines, kinds",
    [
        ([{"id": "a", "text": TEXT}, {"id": "b", "text": TEXT}], ["a", "b"]),
        (["{broken", {"id": "b", "text": TEXT}], [ErrorRow, "b"]),
        ([[1, 2], 3, "just a string", {"id": "c"}], [ErrorRow] * 4),
    ],
)
def test_articles_jsonl_one_item_per_line(tmp_path, lines, kinds):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n")
    items = list(read_file(path))
    assert [item.article_id if isinstance(item, Article) else type(item) for item in items] == kinds
    assert all(isinstance(i, Article) or (i.stage == "read" and i.error) for i in items)


@pytest.mark.parametrize(
    "sidecar, expected",
    [
        ({"published": "2025-11-20", "title": "T", "url": "u"}, (date(2025, 11, 20), "T", "u")),
        ({"title": 5, "url": ["x"]}, (None, None, None)),
    ],
)
def test_articles_sidecar_metadata(tmp_path, sidecar, expected):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text(json.dumps(sidecar))
    [article] = read_file(tmp_path / "a.txt")
    assert (article.published, article.title, article.url) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-11-20", date(2025, 11, 20)),
        ("2008-02-11T12:30:00Z", date(2008, 2, 11)),
        ("2008-02-11T23:30:00-05:00", date(2008, 2, 11)),  # the day as the publisher wrote it
        ("March 5, 2020", date(2020, 3, 5)),
        ("5 March 2020", date(2020, 3, 5)),
        ("Mon, 11 Feb 2008 23:30:00 -0500", date(2008, 2, 11)),  # RFC 2822, as in RSS feeds
        ("Tue, 03 Jun 2003 09:39:21 GMT", date(2003, 6, 3)),
        (datetime(2020, 3, 5, 8, 0), date(2020, 3, 5)),  # a Parquet timestamp
        (date(2020, 3, 5), date(2020, 3, 5)),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_articles_parse_date_common_formats(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2 days ago", "Tuesday", "March 2020", "2025-13-45", "soon", 20200305])
def test_articles_parse_date_rejects_relative_partial_and_impossible(value):
    with pytest.raises(InputError, match="could not be read"):
        parse_date(value)


@pytest.mark.parametrize(
    "meta, text, published, problem",
    [
        ({"published": "March 5, 2020"}, TEXT, date(2020, 3, 5), None),
        ({"published": "yesterday"}, TEXT, None, "'yesterday' could not be read"),
        ({"published": "yesterday"}, "date 2025-11-20\n" + TEXT, date(2025, 11, 20), "'yesterday' could not be read"),
        ({}, "date 2025-13-45\n" + TEXT, None, "'2025-13-45' could not be read"),
    ],
)
def test_articles_unreadable_date_keeps_the_article(meta, text, published, problem):
    article = make_article("a", "s", text, meta)
    assert article.published == published
    assert (problem in article.published_error) if problem else article.published_error is None


def test_articles_sidecar_bad_date_keeps_the_article_and_names_the_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text('{"published": "2025-13-45", "title": "T"}')
    article, row = read_articles(tmp_path)
    assert (article.article_id, article.published, article.title) == ("a", None, "T")
    assert isinstance(row, ErrorRow) and (row.source, row.article_id, row.stage) == (article.source, "a", "read")
    assert row.error.startswith("sidecar a.json: publication date '2025-13-45' could not be read")


def test_articles_good_sidecar_date_gives_no_error_row(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text('{"published": "20 November 2025"}')
    [article] = read_articles(tmp_path)
    assert article.published == date(2025, 11, 20)


@pytest.mark.parametrize("text, end", [("date 2025-11-20\nHe said.", 16), ("He said.", 0)])
def test_articles_header_blanked_in_one_place(text, end):
    assert header_end(text) == end
    assert without_header(text) == " " * end + text[end:]
    assert make_article("a", "s", text, {}).text_for_parser() == without_header(text)


def test_articles_unpickled_from_an_older_version_gets_new_fields_defaults():
    article = make_article("a", "s", "date 2025-11-20\n" + TEXT, {"title": "T"})
    old = Article.__new__(Article)
    old.__setstate__(
        [getattr(article, name) for name in ("article_id", "source", "text", "published", "title", "url", "header_end")]
    )
    assert (old.published, old.header_end, old.published_error, old.payload_sha256) == (
        article.published,
        16,
        None,
        None,
    )
    assert old.content_sha256 == article.content_sha256


def test_articles_date_header_is_no_date_expression(parse_text):
    doc, article = parse_text("date 2025-11-20\nThe talks in Miami ended on Monday.")
    rows = extract_dates(doc, article_id="t1", text=article.text, published=article.published)
    assert [(r.text, r.value) for r in rows] == [("Monday", "2025-11-17")]


@pytest.mark.parametrize(
    "text, outcome",
    [
        (TEXT, "(kept with published null)"),
        ("date 2025-11-20\n" + TEXT, "(the date header gives 2025-11-20)"),
    ],
)
def test_articles_unreadable_date_message_says_what_was_kept(text, outcome):
    assert make_article("a", "s", text, {"published": "soon"}).published_error.endswith(outcome)
