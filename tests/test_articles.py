"""The reader: decoding, text checks, ids, sidecars and reasons; every input becomes an Article or an ErrorRow."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipeline.articles import (Article, InputError, check_text, decode, make_article, read_file, reason,
                               record_id)
from pipeline.rows import ErrorRow

TEXT = "Steve Witkoff met Rustem Umerov in Miami."


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode(), TEXT.encode("utf-16"), TEXT.encode("utf-16-le"),
    TEXT.encode("utf-16-be"), TEXT.encode("utf-32"),
])
def test_articles_decode_utf8_and_utf16_variants(data):
    assert decode(data) == TEXT


@pytest.mark.parametrize("data", [b"caf\xe9 au lait", b"\x80\x81\x82"])
def test_articles_decode_rejects_undecodable(data):
    with pytest.raises(UnicodeDecodeError):
        decode(data)


@pytest.mark.parametrize("text, message", [
    (None, "missing"), (42, "not a string"), ("", "empty"), (" \n\t ", "empty"),
    ("\x01\x02\x03\x04" * 50 + "ok", "binary"),
])
def test_articles_check_text_rejects(text, message):
    with pytest.raises(InputError, match=message):
        check_text(text)


@pytest.mark.parametrize("text", [TEXT + "\x00\x00", "Kirill \ud800 Dmitriev", TEXT + "\r\n" + TEXT])
def test_articles_check_text_keeps_length(text):
    assert len(check_text(text)) == len(text)


@pytest.mark.parametrize("text, published, header_end", [
    ("date 2025-11-20\nHe said.", date(2025, 11, 20), 16),
    ("date 2025-11-20\r\nHe said.", date(2025, 11, 20), 17),
    ("date 2025-11-20\rHe said.", date(2025, 11, 20), 16),
    ("  date 2025-11-20 He said.", date(2025, 11, 20), 18),
    ("He said on date 2025-11-20.", None, 0),
])
def test_articles_date_header_with_any_line_end(text, published, header_end):
    article = make_article("a", "s", text, {})
    assert (article.published, article.header_end) == (published, header_end)


@pytest.mark.parametrize("text, parser_text", [
    ("met \u2066Steve Witkoff\u2069 in", "met  Steve Witkoff  in"),  # isolates around a name become spaces
    ("met Steve Wit\u200bkoff in", "met Steve Wit\u200bkoff in"),  # zero-width inside a word stays
    ("met\x07 Steve\x00 Witkoff", "met  Steve  Witkoff"),
    ("Ukraine\u02bcs envoy", "Ukraine\u2019s envoy"),
])
def test_articles_text_for_parser_same_length(text, parser_text):
    article = make_article("a", "s", text, {})
    assert article.text_for_parser() == parser_text
    assert len(article.text_for_parser()) == len(article.text)


@pytest.mark.parametrize("record, expected", [
    ({"id": "x1"}, "x1"), ({"id": 7}, "7"), ({"id": "../../x"}, "../../x"), ({"id": "a/b"}, "a/b"),
])
def test_articles_record_id_kept_verbatim(record, expected):
    assert record_id(record) == expected


@pytest.mark.parametrize("record", [{}, {"id": None}, {"id": True}, {"id": 1.5}, {"id": " "}, {"id": ["x"]}])
def test_articles_record_id_rejects(record):
    with pytest.raises(InputError, match="id"):
        record_id(record)


@pytest.mark.parametrize("err, words", [
    (FileNotFoundError(2, "No such file"), "disappeared"), (PermissionError(13, "Denied"), "permission denied"),
    (IsADirectoryError(21, "Is a directory"), "directory"), (OSError(5, "Input/output error"), "Input/output"),
    (RecursionError(), "nested too deeply"),
])
def test_articles_reason_in_words(err, words):
    assert words in reason(err)


@pytest.mark.parametrize("lines, kinds", [
    ([{"id": "a", "text": TEXT}, {"id": "b", "text": TEXT}], ["a", "b"]),
    (["{broken", {"id": "b", "text": TEXT}], [ErrorRow, "b"]),
    ([[1, 2], 3, "just a string", {"id": "c"}], [ErrorRow] * 4),
])
def test_articles_jsonl_one_item_per_line(tmp_path, lines, kinds):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n")
    items = list(read_file(path))
    assert [item.article_id if isinstance(item, Article) else type(item) for item in items] == kinds
    assert all(isinstance(i, Article) or (i.stage == "read" and i.error) for i in items)


@pytest.mark.parametrize("sidecar, expected", [
    ({"published": "2025-11-20", "title": "T", "url": "u"}, (date(2025, 11, 20), "T", "u")),
    ({"title": 5, "url": ["x"]}, (None, None, None)),
])
def test_articles_sidecar_metadata(tmp_path, sidecar, expected):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text(json.dumps(sidecar))
    [article] = read_file(tmp_path / "a.txt")
    assert (article.published, article.title, article.url) == expected


def test_articles_sidecar_bad_date_is_an_error_naming_the_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text('{"published": "20-11-2025"}')
    [row] = read_file(tmp_path / "a.txt")
    assert isinstance(row, ErrorRow) and "sidecar a.json" in row.error and "YYYY-MM-DD" in row.error
