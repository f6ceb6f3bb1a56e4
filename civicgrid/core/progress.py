"""Progress bars for long management commands (imports), drawn on the command's stderr."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.management.base import OutputWrapper
from tqdm import tqdm


class _ProgressStream:
    """Let tqdm draw on the command's stderr without the line endings and colours OutputWrapper adds."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.out.flush()


def command_progress(stderr: OutputWrapper, *, disabled: bool) -> Callable[..., tqdm]:
    """Return a tqdm factory for a command; silent when asked or when stderr is not a terminal."""
    return partial(tqdm, file=_ProgressStream(stderr), disable=disabled or not stderr.isatty(), leave=False)
