"""Inputs as they come: a single file, .jsonl.gz, CSV and Parquet with a column mapping, fsspec URLs, files of
unknown kinds counted and named; each broken input an errors row with nothing else lost."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import date, datetime

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.articles import Article
from pipeline.cli import main
from pipeline.config import Config, ConfigError
from pipeline.inputs import InputMissing, InputStats, MissingExtra, check_input, kind_of, read_articles
from pipeline.rows import ErrorRow

TEXT = "Steve Witkoff met Rustem Umerov in Miami on Sunday."
RECORDS = [
    {"id": f"r{i}", "text": f"{TEXT} Talks number {i} went well.", "published": f"2025-11-2{i}"} for i in range(4)
]


def jsonl(records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def read(root, **options) -> tuple[list, InputStats]:
    stats = InputStats()
    return list(read_articles(root, stats=stats, **options)), stats


def ids(items) -> list:
    return [i.article_id if isinstance(i, Article) else "ERROR" for i in items]


def errors(items) -> list[str]:
    return [i.error for i in items if isinstance(i, ErrorRow)]


@pytest.mark.parametrize(
    "name, kind",
    [
        ("a.txt", "txt"),
        ("A.TXT", "txt"),
        ("a.jsonl", "jsonl"),
        ("a.jsonl.gz", "jsonl"),
        ("a.csv", "csv"),
        ("a.parquet", "parquet"),
        ("a.html", "html"),
        ("a.htm", "html"),
        ("a.warc", "warc"),
        ("a.warc.gz", "warc"),
        ("a.json", None),
        ("a.txt.bak", None),
        ("a.gz", None),
        ("notes", None),
    ],
)
def test_inputs_kind_by_name(name, kind):
    assert (kind_of(name).name if kind_of(name) else None) == kind


def test_inputs_single_file(tmp_path):
    (tmp_path / "news.jsonl").write_bytes(jsonl(RECORDS))
    (tmp_path / "other.jsonl").write_bytes(jsonl([{"id": "other", "text": TEXT}]))
    items, stats = read(tmp_path / "news.jsonl")
    assert ids(items) == ["r0", "r1", "r2", "r3"]
    assert stats.files == {"jsonl": 1}


def test_inputs_jsonl_gz_same_articles_as_jsonl(tmp_path):
    (tmp_path / "plain.jsonl").write_bytes(jsonl(RECORDS))
    (tmp_path / "packed.jsonl.gz").write_bytes(gzip.compress(jsonl(RECORDS)))
    plain, _ = read(tmp_path / "plain.jsonl")
    packed, _ = read(tmp_path / "packed.jsonl.gz")
    assert [(a.article_id, a.text, a.published) for a in plain] == [(a.article_id, a.text, a.published) for a in packed]
    assert packed[0].source == f"{tmp_path / 'packed.jsonl.gz'}:1"


def test_inputs_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path):
    records = [{"id": f"n{i}", "text": f"{TEXT} Item {i * 7919 % 1000} of {i}."} for i in range(300)]
    data = gzip.compress(jsonl(records))
    cut = data[: len(data) // 2]
    (tmp_path / "cut.jsonl.gz").write_bytes(cut)
    whole_lines = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    items, _ = read(tmp_path / "cut.jsonl.gz")
    assert whole_lines > 10 and ids(items) == [f"n{i}" for i in range(whole_lines)] + ["ERROR"]
    assert "truncated" in items[-1].error and items[-1].source == str(tmp_path / "cut.jsonl.gz")


def test_inputs_gzip_of_several_members(tmp_path):
    (tmp_path / "two.jsonl.gz").write_bytes(gzip.compress(jsonl(RECORDS[:2])) + gzip.compress(jsonl(RECORDS[2:])))
    assert ids(read(tmp_path)[0]) == ["r0", "r1", "r2", "r3"]


def test_inputs_not_gzip_is_an_error(tmp_path):
    (tmp_path / "fake.jsonl.gz").write_bytes(jsonl(RECORDS))
    items, _ = read(tmp_path)
    assert ids(items) == ["ERROR"] and "corrupt" in items[0].error


def test_inputs_unknown_kinds_counted_and_named(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.json").write_text('{"title": "T"}')  # a sidecar, not an unknown file
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.pkl").write_bytes(b"\x80\x04")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "orphan.json").write_text("{}")
    items, stats = read(tmp_path)
    assert ids(items) == ["a"] and items[0].title == "T"
    assert stats.skipped_files == [str(tmp_path / p) for p in ["orphan.json", "photo.png", "sub/notes.pkl"]]
    assert stats.files == {"txt": 1}


# CSV: a header, then rows; line 4 has no text, line 5's text spans two lines.
CSV = (
    "guid,body,when,headline,link\n"
    f'c1,"{TEXT}",2008-02-11T12:30:00Z,First,https://example.org/c1\n'
    f'c2,"{TEXT}","March 5, 2020",Second,\n'
    "c3,,2020-03-05,No text,\n"
    f'c4,"{TEXT}\nA second line.",yesterday,Fourth,\n'
)
MAPPING = {"id": "guid", "text": "body", "published": "when", "title": "headline", "url": "link"}


def test_inputs_csv_with_column_mapping(tmp_path):
    (tmp_path / "news.csv").write_text(CSV)
    items, _ = read(tmp_path, columns=MAPPING)
    assert ids(items) == ["c1", "c2", "ERROR", "c4", "ERROR"]
    c1, c2, no_text, c4, bad_date = items
    assert (c1.published, c1.title, c1.url) == (date(2008, 2, 11), "First", "https://example.org/c1")
    assert (c2.published, c2.url) == (date(2020, 3, 5), None)
    assert no_text.source == f"{tmp_path / 'news.csv'}:4" and no_text.error == "text is empty"
    assert c4.text == f"{TEXT}\nA second line." and c4.published is None
    assert bad_date.article_id == "c4" and "'yesterday' could not be read" in bad_date.error


def test_inputs_csv_missing_column_names_the_setting(tmp_path):
    (tmp_path / "news.csv").write_text(CSV)
    items, _ = read(tmp_path)  # no mapping: looks for id and text
    assert ids(items) == ["ERROR"]
    assert "no column 'id'" in items[0].error and "[pipeline.columns]" in items[0].error


def test_inputs_parquet_with_column_mapping(tmp_path):
    table = pa.table(
        {"doc": ["p1", "p2", "p3"], "text": [TEXT, None, TEXT], "published": [datetime(2020, 3, 5, 8), None, None]}
    )
    pq.write_table(table, tmp_path / "news.parquet")
    items, stats = read(tmp_path, columns={"id": "doc"})
    assert ids(items) == ["p1", "ERROR", "p3"]
    assert items[0].published == date(2020, 3, 5) and items[2].published is None
    assert items[1].source == f"{tmp_path / 'news.parquet'}:2" and "text is missing" in items[1].error
    assert stats.files == {"parquet": 1}


@pytest.mark.parametrize(
    "columns, message",
    [
        ('body = "text"', "pipeline.columns: unknown field 'body'"),
        ("text = 3", "pipeline.columns: must be a table of strings"),
    ],
)
def test_inputs_column_mapping_checked(tmp_path, columns, message):
    (tmp_path / "p.toml").write_text(f"[pipeline.columns]\n{columns}\n")
    with pytest.raises(ConfigError) as error:
        Config.from_toml(tmp_path / "p.toml")
    assert str(error.value).startswith(f"{tmp_path / 'p.toml'}: {message}")


def test_inputs_column_mapping_from_toml(tmp_path):
    (tmp_path / "p.toml").write_text('[pipeline]\nn_process = 1\n[pipeline.columns]\ntext = "body"\n')
    assert Config.from_toml(tmp_path / "p.toml").columns == {"text": "body"}


@pytest.fixture
def memory_input():
    fs = fsspec.filesystem("memory")
    root = "/readers-test"
    fs.pipe(
        {
            f"{root}/a.txt": TEXT.encode(),
            f"{root}/a.json": b'{"published": "March 5, 2020"}',
            f"{root}/more/news.jsonl": jsonl(RECORDS[:2]),
            f"{root}/skip.bin": b"\x00",
        }
    )
    yield f"memory://{root}"
    fs.rm(root, recursive=True)


def test_inputs_fsspec_url(memory_input):
    items, stats = read(memory_input)
    assert ids(items) == ["a", "r0", "r1"]
    assert items[0].source == f"{memory_input}/a.txt" and items[0].published == date(2020, 3, 5)
    assert items[1].source == f"{memory_input}/more/news.jsonl:1"
    assert stats.skipped_files == [f"{memory_input}/skip.bin"]


def test_inputs_fsspec_single_file(memory_input):
    items, _ = read(f"{memory_input}/more/news.jsonl")
    assert ids(items) == ["r0", "r1"]


@pytest.mark.parametrize(
    "spec, message",
    [
        ("memory://no/such/folder", "does not exist"),
        ("nosuchprotocol://bucket/x", "cannot read"),
    ],
)
def test_inputs_check_input_url(spec, message):
    with pytest.raises(InputMissing, match=message):
        check_input(spec)


def test_inputs_check_input_accepts_file_folder_and_url(tmp_path, memory_input):
    (tmp_path / "a.txt").write_text(TEXT)
    for spec in [tmp_path, tmp_path / "a.txt", f"file://{tmp_path}", memory_input]:
        check_input(spec)


def test_inputs_missing_extra_is_one_error_naming_it(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "page.html").write_text("<html><body><p>x</p></body></html>")
    real_find_spec = __import__("importlib").util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec", lambda name, *a: None if name == "trafilatura" else real_find_spec(name, *a)
    )
    with pytest.raises(MissingExtra, match=r"pip install 'news-pipeline\[web\]'"):
        read(tmp_path)
    assert ids(read(tmp_path / "a.txt")[0]) == ["a"]  # the core kinds need no extra


def test_inputs_missing_extra_run_exits_with_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "page.warc.gz").write_bytes(b"")
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert main(["run", "--input", str(tmp_path), "--output", str(tmp_path / "out"), "--n-process", "1"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "news-pipeline[web]" in err


@pytest.fixture(scope="module")
def single_file_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("single")
    (root / "news.jsonl.gz").write_bytes(gzip.compress(jsonl(RECORDS[:2])))
    (root / "ignored.txt").write_text(TEXT)
    out = root / "out"
    status = main(["run", "--input", str(root / "news.jsonl.gz"), "--output", str(out), "--n-process", "1"])
    return status, out


def test_inputs_single_file_run(single_file_run):
    status, out = single_file_run
    assert status == 0
    articles = pd.read_parquet(out / "articles")
    assert sorted(articles.article_id) == ["r0", "r1"]
    assert len(pd.read_parquet(out / "mentions")) > 0


def test_inputs_run_summary_names_skipped_files(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(TEXT)
    (tmp_path / "in" / "notes.pkl").write_bytes(b"\x80\x04")
    assert main(["run", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--n-process", "1"]) == 0
    assert f"skipped files (unknown kind): 1\n    {tmp_path / 'in' / 'notes.pkl'}" in capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "_summary.json").read_text())
    assert (summary["articles"], summary["skipped_files"]) == (1, [str(tmp_path / "in" / "notes.pkl")])


def test_inputs_run_from_a_url(memory_input, tmp_path):
    assert main(["run", "--input", memory_input, "--output", str(tmp_path / "out"), "--n-process", "1"]) == 0
    articles = pd.read_parquet(tmp_path / "out" / "articles")
    assert sorted(articles.source) == [
        f"{memory_input}/a.txt",
        f"{memory_input}/more/news.jsonl:1",
        f"{memory_input}/more/news.jsonl:2",
    ]
    assert memory_input in (tmp_path / "out" / "README.md").read_text()
