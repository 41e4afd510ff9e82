"""TensorFlow's C++ start-up notices are dropped from stderr and nothing else is
(`cvae.serving.quiet_tensorflow`)."""

from __future__ import annotations

import os
import threading

from cvae.serving.quiet_tensorflow import stderr_without

ONEDNN = (b"I0000 00:00:1795862693.111673      22 port.cc:153] oneDNN custom operations are "
          b"on. You may see slightly different numerical results due to floating-point "
          b"round-off errors from different computation orders.\n")
PREAMBLE = (b"WARNING: All log messages before absl::InitializeLog() is called are written to "
            b"STDERR\n")
CPU = (b"I0000 00:00:1795867791.890080   29417 cpu_feature_guard.cc:227] This TensorFlow binary "
       b"is optimized to use available CPU instructions in performance-critical operations.\n"
       b"To enable the following instructions: AVX2 FMA, in other operations, rebuild "
       b"TensorFlow with the appropriate compiler flags.\n")
REAL_WARNING = b"W0000 00:00:1795862693.2      22 port.cc:99] a real warning from the same file\n"
OTHER = b"2026-11-28 12:05:04.301 warm: class-prior-2d (80 pictures asked for), 27.7 s\n"


def test_notices_are_dropped_and_every_other_line_is_kept_in_order(capfd):
    with stderr_without():
        os.write(2, PREAMBLE + ONEDNN + OTHER + CPU + REAL_WARNING)
        os.write(2, b"E0000 00:00:1.0  22 loader.cc:1] failed\nno newline at the end")
    err = capfd.readouterr().err
    assert err == (OTHER.decode() + REAL_WARNING.decode()
                   + "E0000 00:00:1.0  22 loader.cc:1] failed\nno newline at the end")


def test_another_threads_lines_during_the_import_reach_the_log(capfd):
    with stderr_without():
        worker = threading.Thread(target=os.write, args=(2, OTHER))
        worker.start()
        worker.join()
    assert capfd.readouterr().err == OTHER.decode()


def test_lines_after_the_block_go_straight_to_stderr(capfd):
    with stderr_without():
        pass
    os.write(2, ONEDNN)
    assert capfd.readouterr().err == ONEDNN.decode()
