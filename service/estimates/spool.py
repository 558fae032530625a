"""A batch process's answer handed to the serving process in a file in shared memory, not through the pool's pipe.

Why: through the pipe, every ~9 MB answer of a 10,000-item batch was read by the executor's result thread in 64 KiB
reads, each taking the interpreter lock back from the event loop, then copied whole twice (the read buffer, then
the unpickled bytes), each copy a C call that the loop waits out (bench.anonymous_flood: the victim's estimates
under a flood of batches). Here the batch process writes the answer to a file of this serving process's spool
directory (in /dev/shm, so memory, not disk), the serving process opens and unlinks it, and reads it a piece at a
time as the client takes it: no copy of the whole answer is ever made in the serving process.

Nothing is left behind: a file is unlinked as soon as it is opened, the spool directory is removed when the batch
processes stop, and the directories of serving processes that died without stopping are removed by the next one
that starts (each is named after its process id).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PIECE = 256 * 1024  # what one write to the client hands the socket; the loop serves others between pieces
_PREFIX = "pricing-api-batches-"
_OWNER = re.compile(re.escape(_PREFIX) + r"(\d+)-")


class Spooled(NamedTuple):
    """An answer's body left in the spool by a batch process: the file's path and its size."""

    path: str
    size: int


def spool_root() -> Path:
    """Shared memory where the system has it (a file there is pages of memory, never written to a disk)."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def make_spool(root: Path | None = None) -> Path:
    """A spool directory of this process's own, after removing those of processes that are gone."""
    root = root or spool_root()
    for directory in root.glob(_PREFIX + "*"):
        owner = _OWNER.match(directory.name)
        if owner is not None and not _alive(int(owner.group(1))):
            shutil.rmtree(directory, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=root))


def remove_spool(spool: Path) -> None:
    shutil.rmtree(spool, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to clean up
        return True
    return True


def spooled(spool: str, body: bytes) -> Spooled | None:
    """`body` written to a new file of `spool` (in the batch process); None when it cannot be (the spool is full or
    gone), and the body goes through the pipe as before."""
    try:
        descriptor, path = tempfile.mkstemp(dir=spool)
    except OSError:
        return None
    try:
        with open(descriptor, "wb", buffering=0) as file:
            view = memoryview(body)
            while view:
                view = view[file.write(view) or 0:]
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return Spooled(path, len(body))


def discard(handed: Spooled) -> None:
    """A spooled body nobody will send (its request was cancelled)."""
    with contextlib.suppress(OSError):
        os.unlink(handed.path)


class SpooledBody:
    """A spooled answer's body in the serving process: read a piece at a time, then closed. The file is unlinked as
    it is opened, so it is gone with the last descriptor, whatever happens to this process."""

    def __init__(self, handed: Spooled) -> None:
        self.size = handed.size
        self._descriptor = os.open(handed.path, os.O_RDONLY)
        os.unlink(handed.path)

    def pieces(self) -> Iterator[bytes]:
        for offset in range(0, self.size, PIECE):
            yield os.pread(self._descriptor, min(PIECE, self.size - offset), offset)

    def whole(self) -> bytes:
        return os.pread(self._descriptor, self.size, 0)

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
