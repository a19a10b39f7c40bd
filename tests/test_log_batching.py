"""The access log's batched handler: lines arrive within the interval, warnings at once, nothing is
lost at close, and one bad record does not take the batch with it."""

import io
import logging
import time

from api.log_batching import BatchedStreamHandler


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def test_info_lines_wait_for_the_interval_then_arrive_in_order():
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=0.3)
    log = _logger(handler, "test.batch.interval")
    try:
        for i in range(3):
            log.info("line %d", i)
        assert out.getvalue() == ""  # not written per record
        deadline = time.monotonic() + 5
        while out.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.getvalue().splitlines() == ["line 0", "line 1", "line 2"]
    finally:
        handler.close()


def test_a_warning_writes_everything_pending_at_once():
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=60)
    log = _logger(handler, "test.batch.warning")
    try:
        log.info("before")
        log.warning("trouble")
        assert out.getvalue().splitlines() == ["before", "trouble"]
    finally:
        handler.close()


def test_close_writes_what_is_pending_and_a_bad_record_loses_only_itself():
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=60)
    log = _logger(handler, "test.batch.close")
    logging.raiseExceptions, raised = False, logging.raiseExceptions
    try:
        log.info("first")
        log.info("bad %d", "not a number")
        log.info("last")
        handler.close()
    finally:
        logging.raiseExceptions = raised
    assert out.getvalue().splitlines() == ["first", "last"]


def test_capacity_forces_a_write():
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=60, capacity=2)
    log = _logger(handler, "test.batch.capacity")
    try:
        log.info("a")
        assert out.getvalue() == ""
        log.info("b")
        assert out.getvalue().splitlines() == ["a", "b"]
    finally:
        handler.close()
