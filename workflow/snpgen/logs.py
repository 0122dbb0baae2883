"""Logging for rule scripts: everything to the rule's log file, errors also to stderr.

Logs may be shared with a data-access committee: log aggregate counts, never sample IDs
or genotype rows (errors about a sample give its row number).
"""
from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import Iterator


def _expected_errors() -> tuple[type[BaseException], ...]:
    from .plink import PlinkError

    return (ValueError, FileNotFoundError, PlinkError)


EXPECTED_ERRORS = _expected_errors()


@contextlib.contextmanager
def step_logging(log_path: str | Path | None, name: str) -> Iterator[logging.Logger]:
    logger = logging.getLogger("snpgen")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    logger.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_path, mode="w")
        fh.setFormatter(fmt)
        logger.addHandler(fh)
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.INFO if not log_path else logging.ERROR)
    err.setFormatter(logging.Formatter(f"[{name}] %(levelname)s %(message)s"))
    logger.addHandler(err)
    start = time.time()
    logger.info("%s: start", name)
    try:
        yield logger
    except EXPECTED_ERRORS as exc:
        # bad input or a failed tool run: a plain message on the console, the traceback in the log
        logger.error("%s failed: %s", name, exc)
        if log_path:
            logger.removeHandler(err)
            logger.debug("traceback", exc_info=True)
            logger.exception("details")
        raise SystemExit(1) from None
    except Exception as exc:
        logger.error("%s failed: %s", name, exc)
        raise
    logger.info("%s: done in %.1f s", name, time.time() - start)
