"""A server loading TensorFlow logs none of its C++ start-up notices
(`cvae.serving.quiet_tensorflow`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.paths import ROOT


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_a_server_loading_tensorflow_logs_none_of_its_notices():
    plain = run("import tensorflow").stderr
    if "oneDNN custom operations" not in plain and "absl::InitializeLog" not in plain:
        pytest.skip("this TensorFlow prints no start-up notice on this CPU")
    done = run("from cvae.serving.core import limit_op_threads; limit_op_threads()\n"
               "import tensorflow as tf; print(tf.constant(2.0).numpy() * 2)")
    quiet = done.stderr
    assert "oneDNN" not in quiet and "absl::InitializeLog" not in quiet, quiet
    # stdout stays stdout: the printed line is there and not in stderr (a line of its own
    # there; a log line's timestamp may contain the digits "4.0")
    assert done.stdout == "4.0\n" and "4.0" not in quiet.splitlines(), (done.stdout, quiet)
