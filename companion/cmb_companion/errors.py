"""Errors a user can act on: one line, no stack trace, no note text."""


class CompanionError(Exception):
    """A problem with the user's inputs or environment. `exit_code` is what the CLI exits with."""

    def __init__(self, message: str, exit_code: int = 2, code: str = "bad-input"):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code


class OutOfMemory(CompanionError):
    def __init__(self, message: str):
        super().__init__(message, exit_code=3, code="out-of-memory")
