"""A deprecation the program causes fails its evaluation; others are only recorded.

pulumi_aws warns from its own modules (`warnings.warn(..., DeprecationWarning)` when a deprecated
argument is set; a plain warning from `_utilities.deprecated` for a deprecated function or
property), so a filter by module cannot tell the program's use from a library's own. The
warning is raised while the program's frame is still on the stack: that is what is checked.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parents[2]
# The program's own code: what `pulumi up` runs besides the libraries.
PROGRAM_CODE = (ROOT / "components", ROOT / "__main__.py", ROOT / "stack_settings.py")
DEPRECATION_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
# pulumi_aws marks deprecated functions and properties with this module's decorator.
DEPRECATED_CALLABLE = str(Path("pulumi_aws") / "_utilities.py")


class ProgramDeprecation(Exception):
    """The program used something deprecated (argument, function or property)."""


def _program_frame(paths: tuple[Path, ...]) -> str | None:
    """The innermost program line on the stack, unless a module import comes first: a
    library warning while it is imported (pulumi_aws imports whole packages lazily, with
    deprecated modules among them) is the library's own."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return None
        file = Path(frame.f_code.co_filename).resolve()
        if any(file == p or p in file.parents for p in paths):
            return f"{file.relative_to(ROOT)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _is_deprecation(category: type, filename: str) -> bool:
    return issubclass(category, DEPRECATION_CATEGORIES) or filename.endswith(DEPRECATED_CALLABLE)


@contextlib.contextmanager
def program_deprecations_fail(extra_code: Iterable[Path] = ()) -> Iterator[None]:
    """Inside: a deprecation warned while program code (or `extra_code`) is on the stack
    raises ProgramDeprecation naming that line; any other warning goes where it went."""
    paths = tuple(p.resolve() for p in (*PROGRAM_CODE, *extra_code))
    with warnings.catch_warnings():
        forward = warnings._showwarnmsg_impl  # pytest's recorder, or stderr
        # Every occurrence reaches the check, not only the first per location.
        warnings.simplefilter("always")

        def check(message, category, filename, lineno, file=None, line=None):
            where = _program_frame(paths) if _is_deprecation(category, filename) else None
            if where:
                raise ProgramDeprecation(f"{where} uses something deprecated: {message}")
            forward(warnings.WarningMessage(message, category, filename, lineno, file, line))

        warnings.showwarning = check
        yield
