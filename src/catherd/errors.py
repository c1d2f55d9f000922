"""The exceptions catherd raises on purpose: each carries a one-line message for the user."""


class CatherdError(Exception):
    """Base of the errors the CLI reports as one line and a non-zero exit code."""

    exit_code = 1


class InputError(CatherdError):
    """Something the user gave (a path, a file, an option value) is not usable."""

    exit_code = 2


class SourceError(CatherdError):
    """A data source (git, an API) failed while being read."""

    exit_code = 3


class StoreBusy(CatherdError):
    """Another process (often `catherd serve`) holds the store file."""

    exit_code = 4

    def __init__(self, path: object, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
