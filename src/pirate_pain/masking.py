"""Last line of defence for secrets: mask credentials in any log record.

Project messages mask URLs with SQLAlchemy's parser where they are written
(``tuning.masked``); this filter catches anything else that looks like
``scheme://user:password@`` (a library's message, a traceback line) before it
reaches the console or a log file.
"""

from __future__ import annotations

import logging
import re

# the password runs to the last '@' of the token: an unescaped '@' stays hidden
_URL_CREDENTIALS = re.compile(r"([A-Za-z][\w+.-]*://[^:/@\s]*:)\S*@")


def mask_credentials(text: str) -> str:
    return _URL_CREDENTIALS.sub(r"\1***@", text)


class MaskCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install() -> None:
    """Add the filter to every handler of the root logger (once)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskCredentials) for f in handler.filters):
            handler.addFilter(MaskCredentials())
