"""Java-style timestamp formats (``yyyy-MM-dd HH:mm:ss``, as DQL takes them) → strftime, for formatting and
parsing, and → a regular expression of what such a timestamp looks like, for ``parse`` patterns."""

from __future__ import annotations

from collections.abc import Callable, Iterator

__all__ = ["java_format", "java_regex"]

# token → (strftime, what it matches); longest tokens first so "yyyy" wins over "yy"
_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("yyyy", "%Y", r"\d{4}"), ("yy", "%y", r"\d{2}"), ("MMMM", "%B", r"[A-Za-z]+"),
    ("MMM", "%b", r"[A-Za-z]{3}"), ("MM", "%m", r"\d{2}"), ("dd", "%d", r"\d{2}"), ("HH", "%H", r"\d{2}"),
    ("hh", "%I", r"\d{2}"), ("mm", "%M", r"\d{2}"), ("ss", "%S", r"\d{2}"), ("SSSSSSSSS", "%f000", r"\d{9}"),
    ("SSSSSS", "%f", r"\d{6}"), ("SSS", "%g", r"\d{3}"), ("EEEE", "%A", r"[A-Za-z]+"),
    ("EEE", "%a", r"[A-Za-z]{3}"), ("a", "%p", r"[AaPp][Mm]"), ("Z", "%z", r"(?:Z|[+-]\d{2}:?\d{2})"),
    ("D", "%j", r"\d{1,3}"), ("M", "%-m", r"\d{1,2}"), ("d", "%-d", r"\d{1,2}"), ("H", "%-H", r"\d{1,2}"),
)  # fmt: skip


_Token = tuple[str, str, str]


def _parts(pattern: str) -> Iterator[tuple[_Token | None, str, bool]]:
    """(token, its text, False) for each format letter run; (None, text, quoted) for literal text."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            yield None, pattern[i + 1 : end] or "'", True
            i = end + 1
            continue
        token = next((t for t in _TOKENS if pattern.startswith(t[0], i)), None)
        text = token[0] if token is not None else pattern[i]
        yield token, text, False
        i += len(text)


def java_format(pattern: str) -> str:
    """The strftime form; letters that are no token stay literal."""
    return "".join(token[1] if token else text.replace("%", "%%") for token, text, _ in _parts(pattern))


def java_regex(pattern: str, escape: Callable[[str], str]) -> str | int:
    """What a timestamp in this format looks like, as a regular expression (``escape`` quotes literal text);
    the offset of the first letter that is no format token (quote it to make it literal) when there is one."""
    out: list[str] = []
    offset = 0
    for token, text, quoted in _parts(pattern):
        if token is None and not quoted and text.isalpha():
            return offset
        out.append(token[2] if token else escape(text))
        offset += len(text) + (2 if quoted else 0)
    return "".join(out)
