"""A console log handler that writes to whatever sys.stderr is at the time of each record.

The plain StreamHandler keeps the stream it was given at start-up; when a test runner or a supervisor swaps stderr,
records would go to a closed file.
"""

import logging
import sys
from typing import TextIO


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # the base class assigns it; ignore
        pass
