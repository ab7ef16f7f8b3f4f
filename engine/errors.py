"""Errors in two tiers.

Per-file errors (:class:`FileError` and its subclasses) are logged, recorded on the file's catalog
row with their reason, and never stop a scan. :class:`UserError` is fatal: it is raised when the
program cannot go on (bad config, no usable backend, library locked) and is caught only at the
entry points, which print its one-line message and exit non-zero.
"""


class SoundalikeError(Exception):
    """Base of every error soundalike raises on purpose."""


class FileError(SoundalikeError):
    """One file could not be processed; the reason is the message."""


class DecodeError(FileError):
    """The file is not audio we can decode (corrupt, truncated, empty, unsupported)."""


class EmbedError(FileError):
    """Decoded audio could not be embedded by a backend."""


class UserError(SoundalikeError):
    """Fatal: the program cannot continue. The message says what to do."""


class BackendUnavailable(UserError):
    """A backend's dependencies or model files are missing; the message says how to get them."""


class QueryError(SoundalikeError, ValueError):
    """A request the caller got wrong: an unknown aspect or order, a weight that is not a number, an
    empty text. The caller's fault, answered with this message (the bridge replies with it, the CLI
    prints it). Also a ``ValueError``, so code that caught that before still catches it."""
