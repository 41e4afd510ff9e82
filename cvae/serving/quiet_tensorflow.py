"""TensorFlow imported with its C++ start-up notices kept out of the server's log.

Loading TensorFlow's C++ libraries writes INFO lines straight to file descriptor 2 before
``TF_CPP_MIN_LOG_LEVEL`` takes effect, so that setting cannot hide them: absl's "All log
messages before absl::InitializeLog() is called ..." preamble and "oneDNN custom operations
are on ..." (once per library, so twice), plus, with the full `tensorflow` package on a host
without a GPU, "Could not find cuda drivers ...". Switching oneDNN off
(``TF_ENABLE_ONEDNN_OPTS=0``) would silence one of them and slow decoding (README, Deploy).

`import_tensorflow` points descriptor 2 at an in-memory file while TensorFlow loads, then
writes back every line except those notices: a warning, an error, or another thread's log
line written meanwhile still reaches the log, only a few seconds later.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import IO

# The notices only: INFO ("I") lines from the three places that print them (and the second
# line of the CPU-feature one), and absl's preamble. Warnings ("W"), errors ("E") and
# anything else are kept.
NOTICE = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    rb"STDERR\r?\n$"
    rb"|I\d{4} [\d:.]+ +\d+ (?:port|cpu_feature_guard|cudart_stub)\.cc:\d+\] "
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate "
    rb"compiler flags\.\r?\n$")

_lock = threading.Lock()


def _scratch() -> IO[bytes]:
    """An anonymous in-memory file (no file system needed: the container's root is
    read-only and Kubernetes mounts no /tmp), else a temporary file."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create("tensorflow-start-up"), "w+b")
    return tempfile.TemporaryFile()


def _flush_python_stderr() -> None:
    """Text Python buffered for descriptor 2 goes out where 2 points now."""
    with contextlib.suppress(AttributeError, ValueError, OSError):  # none, closed, detached
        sys.stderr.flush()


@contextlib.contextmanager
def stderr_without(notice: re.Pattern[bytes] = NOTICE) -> Iterator[None]:
    """Catch file descriptor 2 while the block runs; then write back every caught line that
    ``notice`` does not match."""
    _flush_python_stderr()
    caught = _scratch()
    saved = os.dup(2)
    os.dup2(caught.fileno(), 2)
    try:
        yield
    finally:
        _flush_python_stderr()
        os.dup2(saved, 2)
        os.close(saved)
        caught.seek(0)
        kept = b"".join(line for line in caught if not notice.match(line))
        caught.close()
        with open(2, "wb", closefd=False) as stderr:
            stderr.write(kept)


def import_tensorflow() -> ModuleType:
    """``import tensorflow``; the first import in the process without its start-up notices
    on stderr."""
    with _lock:
        if "tensorflow" not in sys.modules:
            with stderr_without():
                import tensorflow
    import tensorflow

    return tensorflow
