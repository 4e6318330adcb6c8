"""Read one YAML file of the bank into plain data, remembering where each value stood.

Only plain, safe YAML is accepted: PyYAML's safe loader still expands aliases (the
"billion laughs" attack) and silently keeps the last of two equal mapping keys, so the
file is first read as a stream of events, where anchors, aliases and explicit tags are
refused before anything is built, and duplicate keys are caught while building.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1024 * 1024

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the bank, where it is and what to do about it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Document:
    """A parsed file: its data and the line (1-based) of every mapping key or list entry."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class _Refused(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def read_document(path: Path, display_name: str) -> tuple[Document | None, list[Problem]]:
    """Parse `path`; return the document, or None with the problems that stopped it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(display_name, 1, f"cannot read the file: {exc.strerror or exc}")]
    if size > MAX_FILE_BYTES:
        return None, [Problem(display_name, 1, f"file is {size} bytes; the limit is 1 MiB")]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display_name, 1, f"file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:  # unreadable, a folder, or gone since it was listed
        return None, [Problem(display_name, 1, f"cannot read the file: {exc.strerror or exc}")]
    return parse_text(text, display_name)


def parse_text(text: str, display_name: str) -> tuple[Document | None, list[Problem]]:
    try:
        _refuse_unsafe_events(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except _Refused as exc:
        return None, [Problem(display_name, exc.line, exc.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(display_name, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(display_name, 1, f"YAML syntax error: {exc}")]
    except RecursionError:
        return None, [Problem(display_name, 1, "YAML is nested too deeply")]
    doc = Document(display_name, None)
    if node is None:
        return doc, []
    problems: list[Problem] = []
    try:
        doc.data = _build(node, (), doc, problems)
    except RecursionError:
        return None, [Problem(display_name, 1, "YAML is nested too deeply")]
    doc.lines.setdefault((), node.start_mark.line + 1)
    return doc, problems


def _refuse_unsafe_events(text: str) -> None:
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(line, "YAML aliases (*name) are not allowed; write the value out")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(line, f"YAML anchors (&{anchor}) are not allowed; write the value out")
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit_tag = (
            tag is not None
            and tag != "!"
            and not (implicit is True or (isinstance(implicit, tuple) and any(implicit)))
        )
        if explicit_tag:
            raise _Refused(line, f"YAML tags ({tag}) are not allowed; only plain YAML is accepted")


_constructor = yaml.SafeLoader("")  # a constructor for plain scalars, never fed a stream


def _build(node: yaml.Node, path: Path_, doc: Document, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(
                        doc.file, key_node.start_mark.line + 1, "mapping keys must be plain values"
                    )
                )
                continue
            key = _scalar(key_node)
            line = key_node.start_mark.line + 1
            if key in result:
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        f"duplicate key '{key}' (first at line {doc.lines[path + (key,)]})",
                    )
                )
                continue
            doc.lines[path + (key,)] = line
            result[key] = _build(value_node, path + (key,), doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, child in enumerate(node.value):
            doc.lines[path + (index,)] = child.start_mark.line + 1
            items.append(_build(child, path + (index,), doc, problems))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    try:
        value = _constructor.construct_object(node, deep=True)
    except yaml.YAMLError:  # a plain scalar PyYAML resolves oddly (such as '='): keep its text
        return str(node.value)
    if isinstance(value, (bytes, bytearray)):
        return str(value)
    return value
