"""A corpus of bad and hostile input, built here: each input lands in `errors` with a reason or is processed
correctly, the good articles beside it are all in the tables, and the run exits 0. Also the exit status of runs
that cannot proceed."""

from __future__ import annotations

import json
import os
import random
import zlib
from pathlib import Path

import pandas as pd
import pytest

from pipeline import inputs as inputs_module
from pipeline.articles import MAX_ARTICLE_CHARS
from pipeline.cli import main

from conftest import SEEDS

GOOD = {
    "good1": "date 2025-11-20\nU.S. envoy Steve Witkoff met Rustem Umerov in Miami on Sunday.\n"
             '"The talks were productive," Umerov said.\n',
    "good2": "Oil prices rose on Monday. Kevin Book, head of research at ClearView, said demand was strong.\n",
}
SENTENCE = "Kirill Dmitriev met Steve Witkoff in Miami on Sunday."

# name -> (file name, bytes); written into the input folder.
FILES: dict[str, tuple[str, bytes]] = {
    "empty": ("empty.txt", b""),
    "whitespace": ("blank.txt", b"  \n\t\r\n  "),
    "undecodable": ("latin1.txt", "Caf\u00e9 owner Jos\u00e9 Garc\u00eda said prices rose.".encode("latin-1")),
    "utf8_bom": ("bom.txt", b"\xef\xbb\xbf" + SENTENCE.encode()),
    "utf16_bom": ("utf16.txt", SENTENCE.encode("utf-16")),
    "utf16_no_bom": ("utf16le.txt", SENTENCE.encode("utf-16-le")),
    "crlf": ("crlf.txt", b"date 2025-11-21\r\n" + SENTENCE.encode() + b"\r\nHe said talks went well.\r\n"),
    "lone_cr": ("cr.txt", SENTENCE.encode() + b"\rHe said talks went well.\r"),
    "zero_width": ("zw.txt", "U.S. envoy Steve Wit\u200bkoff met Rus\u200dtem Umerov in Miami.".encode()),
    "bidi": ("bidi.txt", "U.S. envoy \u2066Steve Witkoff\u2069 met \u202eRustem Umerov\u202c in Miami.".encode()),
    "nul_bytes": ("nul.txt", SENTENCE.encode() + b"\x00\x00 He said talks went well."),
    "binary": ("image.txt", b"\x89PNG\r\n\x1a\n" + zlib.compress(random.Random(1).randbytes(4000))),
    "control_chars": ("controls.txt", bytes(range(1, 9)) * 200 + b"text"),
    "huge": ("huge.txt", (SENTENCE + "\n").encode() * (10 * 2**20 // (len(SENTENCE) + 1) + 1)),
    "code_as_text": ("code.txt", b"__import__('os').system('touch PWNED')"),
    "bad_sidecar_date": ("dated.txt", SENTENCE.encode()),
    "sidecar_not_json": ("sidecar_bad.txt", SENTENCE.encode()),
    "sidecar_array": ("sidecar_array.txt", SENTENCE.encode()),
    "undecodable_name": (os.fsdecode(b"name\xff.txt"), SENTENCE.encode()),
    "vanishes": ("vanishes.txt", SENTENCE.encode()),
    "unreadable": ("locked.txt", SENTENCE.encode()),
    "duplicate_id": ("sub/good1.txt", SENTENCE.encode()),
}
SIDECARS = {"dated.json": b'{"published": "2025-13-45"}', "sidecar_bad.json": b"{not json",
            "sidecar_array.json": b"[1, 2]"}

# name -> JSONL line; the lines go into more.jsonl in this order.
LINES: dict[str, str] = {
    "jsonl_not_json": "{this is not json",
    "jsonl_array": '["a", "b"]',
    "jsonl_number": "42",
    "jsonl_no_text": '{"id": "no-text"}',
    "jsonl_no_id": json.dumps({"text": SENTENCE}),
    "jsonl_bool_id": json.dumps({"id": True, "text": SENTENCE}),
    "jsonl_deep": "[" * 100_000 + "]" * 100_000,
    "jsonl_bad_date": json.dumps({"id": "bad-date", "text": SENTENCE, "published": "yesterday"}),
    "jsonl_id_parent_path": json.dumps({"id": "../../x", "text": SENTENCE}),
    "jsonl_id_slash": json.dumps({"id": "a/b\\c", "text": SENTENCE}),
    "jsonl_lone_surrogate": '{"id": "surrogate", "text": "Kirill Dmitriev \\ud800 met Steve Witkoff."}',
    "jsonl_duplicate": json.dumps({"id": "good2", "text": SENTENCE}),
    "jsonl_pickle_like": json.dumps({"id": "pickle", "text": "cos\nsystem\n(S'touch PWNED'\ntR."}),
}

# name -> substring of the reason in `errors` (stage read); the other inputs must be articles.
ERRORS = {
    "empty": "empty", "whitespace": "empty", "undecodable": "not UTF-8", "binary": "not UTF-8",
    "control_chars": "binary", "huge": f"more than the {MAX_ARTICLE_CHARS:,}",
    "bad_sidecar_date": "sidecar dated.json: publication date '2025-13-45' could not be read", "sidecar_not_json": "not valid JSON",
    "sidecar_array": "not an object", "vanishes": "disappeared", "unreadable": "permission denied",
    "duplicate_id": "duplicate article id", "jsonl_not_json": "invalid JSON", "jsonl_array": "JSON list",
    "jsonl_number": "JSON int", "jsonl_no_text": "text is missing", "jsonl_no_id": "no id",
    "jsonl_bool_id": "no id", "jsonl_deep": "nested too deeply", "jsonl_bad_date": "'yesterday' could not be read",
    "jsonl_duplicate": "duplicate article id", "directory": "is a directory", "fifo": "not a regular file",
    "broken_link": "broken symbolic link",
}
ARTICLES = {  # name -> article_id; an unreadable date is an errors row beside its article
    "bad_sidecar_date": "dated", "jsonl_bad_date": "bad-date",
    "utf8_bom": "bom", "utf16_bom": "utf16", "utf16_no_bom": "utf16le", "crlf": "crlf", "lone_cr": "cr",
    "zero_width": "zw", "bidi": "bidi", "nul_bytes": "nul", "code_as_text": "code",
    "undecodable_name": "name\ufffd", "jsonl_id_parent_path": "../../x", "jsonl_id_slash": "a/b\\c",
    "jsonl_lone_surrogate": "surrogate", "jsonl_pickle_like": "pickle",
}


def source_of(name: str, root: Path) -> str:
    if name in LINES:
        return f"{root / 'more.jsonl'}:{list(LINES).index(name) + 1}"
    special = {"directory": "folder.txt", "fifo": "pipe.txt", "broken_link": "dangling.txt"}
    return str(root / special.get(name, FILES.get(name, ("",))[0])).replace("\udcff", "\ufffd")


def build_corpus(root: Path) -> None:
    for article_id, text in GOOD.items():
        (root / f"{article_id}.txt").write_text(text, encoding="utf-8")
    for file_name, data in FILES.values():
        path = root / file_name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    for file_name, data in SIDECARS.items():
        (root / file_name).write_bytes(data)
    (root / "more.jsonl").write_text("\n".join(LINES.values()) + "\n", encoding="utf-8")
    (root / "folder.txt").mkdir()
    os.mkfifo(root / "pipe.txt")
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    (root / "notes.pkl").write_bytes(b"cos\nsystem\n(S'touch PWNED'\ntR.")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    """The pipeline run over the bad corpus: (input folder, output folder, exit status)."""
    root = tmp_path_factory.mktemp("bad_in")
    out = tmp_path_factory.mktemp("bad_out") / "tables"
    build_corpus(root)
    real_list, real_read = inputs_module.input_files, Path.read_bytes

    def listing_then_vanish(folder: Path) -> list[Path]:
        paths = real_list(folder)
        (root / "vanishes.txt").unlink()  # listed, then gone before it is read
        return paths

    def read_bytes(path: Path) -> bytes:
        if path.name == "locked.txt":  # tests run as root, where chmod 000 does not stop a read
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputs_module, "input_files", listing_then_vanish)
        patch.setattr(Path, "read_bytes", read_bytes)
        status = main(["run", "--input", str(root), "--output", str(out), "--n-process", "1"])
    return root, out, status


def test_bad_input_corpus_has_twenty_kinds():
    assert len(ERRORS) + len(ARTICLES) >= 20
    assert set(ERRORS) | set(ARTICLES) == set(FILES) | set(LINES) | {"directory", "fifo", "broken_link"}


def test_bad_input_run_exits_zero(bad_run):
    assert bad_run[2] == 0


@pytest.mark.parametrize("article_id", list(GOOD))
def test_bad_input_good_articles_all_in_tables(bad_run, article_id):
    _, out, _ = bad_run
    for name in ["articles", "sentences", "tokens", "mentions"]:
        assert article_id in set(pd.read_parquet(out / name).article_id), name


@pytest.mark.parametrize("name, reason", list(ERRORS.items()))
def test_bad_input_lands_in_errors_with_reason(bad_run, name, reason):
    root, out, _ = bad_run
    errors = pd.read_parquet(out / "errors")
    row = errors[errors.source == source_of(name, root)]
    assert len(row) == 1, errors.source.tolist()
    assert row.stage.iloc[0] == "read"
    assert reason in row.error.iloc[0]


@pytest.mark.parametrize("name, article_id", list(ARTICLES.items()))
def test_bad_input_processed_with_offsets_into_its_text(bad_run, name, article_id):
    _, out, _ = bad_run
    articles = pd.read_parquet(out / "articles").set_index("article_id")
    text = articles.loc[article_id, "text"]
    tokens = pd.read_parquet(out / "tokens")
    tokens = tokens[tokens.article_id == article_id]
    assert len(tokens) > 0
    assert all(text[s:e] == t for s, e, t in zip(tokens.start_char, tokens.end_char, tokens.text))


@pytest.mark.parametrize("article_id, expected", [
    ("bom", "Kirill Dmitriev"), ("utf16", "Kirill Dmitriev"), ("utf16le", "Kirill Dmitriev"),
    ("crlf", "Steve Witkoff"), ("cr", "Steve Witkoff"), ("bidi", "Steve Witkoff"),
    ("zw", "Steve Wit\u200bkoff"), ("nul", "Steve Witkoff"),
])
def test_bad_input_names_still_found(bad_run, article_id, expected):
    mentions = pd.read_parquet(bad_run[1] / "mentions")
    assert expected in set(mentions[mentions.article_id == article_id].text)


@pytest.mark.parametrize("article_id, published", [("crlf", "2025-11-21"), ("good1", "2025-11-20")])
def test_bad_input_crlf_date_header_read(bad_run, article_id, published):
    articles = pd.read_parquet(bad_run[1] / "articles").set_index("article_id")
    assert str(articles.loc[article_id, "published"]) == published
    assert articles.loc[article_id, "text"].startswith("date ")


def test_bad_input_bom_not_in_text(bad_run):
    articles = pd.read_parquet(bad_run[1] / "articles").set_index("article_id")
    assert articles.loc["bom", "text"] == SENTENCE


def test_bad_input_no_path_built_from_ids_and_nothing_executed(bad_run):
    root, out, _ = bad_run
    assert not list(root.parent.rglob("PWNED")) and not Path("PWNED").exists()
    assert not (out.parent / "x").exists() and not (out / "a").exists()
    assert {p.name for p in out.iterdir()} <= {"README.md", "_manifest.parquet", "_summary.json", ".lock", "articles",
                                             "sentences", "tokens", "mentions", "entities", "dates", "quotes", "errors"}


def test_bad_input_table_folders_hold_only_parquet(bad_run):
    _, out, _ = bad_run
    for folder in (p for p in out.iterdir() if p.is_dir()):
        assert {p.suffix for p in folder.iterdir() if not p.name.startswith((".", "_"))} <= {".parquet"}


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err


@pytest.mark.parametrize("argv, hint", [
    (["--n-process", "two"], "--help"),
    (["--n-process", "-1"], "--help"),
    (["--batch-size", "0"], "--help"),
    (["--no-such-option"], "--help"),
])
def test_bad_input_bad_argument_exits_nonzero_with_one_line(tmp_path, capsys, argv, hint):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--input", str(SEEDS), "--output", str(tmp_path / "out"), *argv])
    assert exit_info.value.code != 0
    assert hint in one_line_error(capsys)


def test_bad_input_missing_input_folder_exits_nonzero(tmp_path, capsys):
    assert main(["run", "--input", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")]) != 0
    assert "--input" in one_line_error(capsys)


def test_bad_input_no_model_exits_nonzero_with_one_line(tmp_path, capsys):
    status = main(["run", "--input", str(SEEDS), "--output", str(tmp_path / "out"), "--model", "no_such_model_xyz"])
    assert status != 0
    assert "install" in one_line_error(capsys)


def test_bad_input_unwritable_output_exits_nonzero_with_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("a file, not a folder")
    assert main(["run", "--input", str(SEEDS), "--output", str(tmp_path / "file" / "out")]) != 0
    assert "--output" in one_line_error(capsys)


@pytest.mark.parametrize("article_id", ["dated", "bad-date"])
def test_bad_input_unreadable_date_article_kept_without_date(bad_run, article_id):
    articles = pd.read_parquet(bad_run[1] / "articles").set_index("article_id")
    assert pd.isna(articles.loc[article_id, "published"])
    assert len(pd.read_parquet(bad_run[1] / "mentions").query("article_id == @article_id")) > 0


def test_bad_input_unknown_kind_named_in_summary(bad_run):
    root, out, _ = bad_run
    summary = json.loads((out / "_summary.json").read_text())
    assert summary["skipped_files"] == [str(root / "notes.pkl")]
