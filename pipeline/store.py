"""Where the tables go: a local folder, or any fsspec URL (s3://bucket/prefix, gs://..., memory://..., file://...).

Workers never write: the driver writes every file through one `Output`, addressed by keys relative to its root
("articles/part-x.parquet", "_manifest.parquet").

- A local folder (a path or a file:// URL) keeps POSIX guarantees: each file is written under a hidden
  temporary name and renamed in with os.replace, the manifest is fsynced first, and the lock is filelock's.
  It needs no fsspec (importing it would slow down every unchanged re-run).
- An object store has no rename: there each file is written whole in one PUT straight to its final name (a PUT,
  or a multipart upload, only appears once complete), and pending parts are moved in with fs.mv (copy, then
  delete). The tables stay consistent all the same: pending parts have names starting with '.', which every
  reader ignores (pyarrow's dataset discovery skips '.' and '_'), the manifest's PUT is the commit point, and
  sync_parts rolls a run killed half-way through its moves forward on the next run.
- The lock on an object store is OUTPUT/.lock created with exclusive mode "xb" (conditional writes in recent
  s3fs, gcsfs and adlfs; memory:// too). Where a filesystem refuses "xb", or accepts it without enforcing it,
  the check that the file does not exist yet is all there is: best effort against two runs started together.
  A run that dies leaves its lock behind; the refusal message says which run wrote it and how to remove it.
"""

from __future__ import annotations

import os
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

LOCK_NAME = ".lock"
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


class OutputLocked(RuntimeError):
    """Another run is writing to the same output."""


class Output(ABC):
    """Files under ROOT addressed by keys relative to it; URL is the root as the user gave it, for messages."""

    root: str
    url: str
    filesystem: Any = None  # what pyarrow reads files with; None is the local disk

    def path(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def url_of(self, key: str) -> str:
        return f"{self.url.rstrip('/')}/{key}"

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pa.Table:
        with self._parquet_file(key) as file:  # not pq.read_table: its dataset machinery is slow to import
            return file.read(columns=columns)

    def num_rows(self, key: str) -> int:
        """Row count of a Parquet file, from its footer."""
        with self._parquet_file(key) as file:
            return file.metadata.num_rows

    def _parquet_file(self, key: str) -> pq.ParquetFile:
        return pq.ParquetFile(self.path(key), filesystem=self.filesystem)

    def locked_message(self, advice: str = "") -> str:
        return f"another run is writing to {self.url} (lock file {self.url_of(LOCK_NAME)}{advice})"

    @abstractmethod
    def makedirs(self) -> None:
        """Create the root folder if the store has folders."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def file_names(self, folder: str) -> list[str]:
        """Names of the files in FOLDER (a key); none when it does not exist."""

    @abstractmethod
    def write_parquet(self, key: str, table: pa.Table, *, durable: bool = False, **options: Any) -> None:
        """Write TABLE to KEY (pq.write_table OPTIONS) so that no reader ever sees half a file."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> None:
        """Write DATA to KEY so that no reader ever sees half a file."""

    @abstractmethod
    def move(self, source: str, target: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def locked(self, run_id: str) -> AbstractContextManager[None]:
        """Hold OUTPUT/.lock while the block runs; raise OutputLocked at once when another run holds it."""


@dataclass(frozen=True)
class LocalOutput(Output):
    root: str
    url: str

    def makedirs(self) -> None:
        os.makedirs(self.root, exist_ok=True)

    def exists(self, key: str) -> bool:
        return os.path.exists(self.path(key))

    def file_names(self, folder: str) -> list[str]:
        try:
            with os.scandir(self.path(folder)) as entries:
                return [e.name for e in entries if e.is_file()]
        except FileNotFoundError:
            return []

    def write_parquet(self, key: str, table: pa.Table, *, durable: bool = False, **options: Any) -> None:
        """Through a temporary name renamed in; DURABLE fsyncs it before the rename."""
        self._replace(key, lambda tmp: pq.write_table(table, tmp, **options), durable)

    def write_bytes(self, key: str, data: bytes) -> None:
        self._replace(key, lambda tmp: Path(tmp).write_bytes(data), durable=False)

    def _replace(self, key: str, write: Callable[[str], object], durable: bool) -> None:
        folder, _, name = self.path(key).rpartition("/")
        os.makedirs(folder, exist_ok=True)
        tmp = f"{folder}/{'' if name.startswith('.') else '.'}{name}.tmp"
        write(tmp)
        if durable:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, f"{folder}/{name}")

    def move(self, source: str, target: str) -> None:
        os.replace(self.path(source), self.path(target))

    def delete(self, key: str) -> None:
        os.unlink(self.path(key))

    @contextmanager
    def locked(self, run_id: str) -> Iterator[None]:
        """A FileLock: the OS releases it when the run dies."""
        try:
            held = FileLock(self.path(LOCK_NAME)).acquire(timeout=0)
        except Timeout:
            raise OutputLocked(self.locked_message()) from None
        with held:
            yield


@dataclass(frozen=True)
class FsspecOutput(Output):
    fs: AbstractFileSystem
    root: str
    url: str

    @property
    def filesystem(self) -> AbstractFileSystem:
        return self.fs

    def makedirs(self) -> None:
        """Nothing to do: object stores have no folders."""

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def file_names(self, folder: str) -> list[str]:
        path = self.path(folder)
        self.fs.invalidate_cache(path)  # another process may have written there since this filesystem listed it
        try:
            listing = self.fs.ls(path, detail=True)
        except FileNotFoundError:
            return []
        return [entry["name"].rstrip("/").rsplit("/", 1)[-1] for entry in listing if entry["type"] == "file"]

    def write_parquet(self, key: str, table: pa.Table, *, durable: bool = False, **options: Any) -> None:
        """In one PUT (an object is durable once stored)."""
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **options)
        self.write_bytes(key, sink.getvalue().to_pybytes())

    def write_bytes(self, key: str, data: bytes) -> None:
        self.fs.pipe_file(self.path(key), data)

    def move(self, source: str, target: str) -> None:
        self.fs.mv(self.path(source), self.path(target))

    def delete(self, key: str) -> None:
        self.fs.rm_file(self.path(key))

    @contextmanager
    def locked(self, run_id: str) -> Iterator[None]:
        """A file naming this run, deleted at the end; one left by a dead run must be deleted by hand."""
        self._create_lock_file(
            f"run {run_id} on {socket.gethostname()} (pid {os.getpid()}) "
            f"since {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )
        try:
            yield
        finally:
            self.delete(LOCK_NAME)

    def _create_lock_file(self, holder: str) -> None:
        path = self.path(LOCK_NAME)
        if self.fs.exists(path):
            raise self._locked()
        try:
            with self.fs.open(path, "xb") as f:
                f.write(holder.encode())
        except FileExistsError:
            raise self._locked() from None
        except (NotImplementedError, ValueError):  # no exclusive creation on this filesystem
            self.fs.pipe_file(path, holder.encode())

    def _locked(self) -> OutputLocked:
        return OutputLocked(
            self.locked_message(
                f", written by {self._lock_holder()}; if that run has died, delete the lock file and run again"
            )
        )

    def _lock_holder(self) -> str:
        try:
            return " ".join(self.fs.cat_file(self.path(LOCK_NAME)).decode("utf-8", "replace").split())
        except FileNotFoundError:
            return "a run that has just finished"


def open_output(location: str | os.PathLike) -> LocalOutput | FsspecOutput:
    """The output at LOCATION: a PROTOCOL://... URL through fsspec, anything else a local folder.

    Raises ValueError for an unknown protocol, ImportError when its package (s3fs, gcsfs, ...) is missing.
    """
    text = os.fspath(location)
    if not URL.match(text):
        return LocalOutput(str(Path(text)), str(Path(text)))
    from fsspec.core import url_to_fs  # noqa: PLC0415 - slow to import, and only URLs need it
    from fsspec.implementations.local import LocalFileSystem  # noqa: PLC0415

    fs, root = url_to_fs(text)
    return LocalOutput(root, text) if isinstance(fs, LocalFileSystem) else FsspecOutput(fs, root, text)
