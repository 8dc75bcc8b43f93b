"""Named sources of members to reach (a saved segment, later others), registered by the apps that own
them, so that issuing coupons (and, later, messages) can target them without importing those apps.

A source answers two questions for a caller's ``Access``: which of its items the caller may choose
(``choices``: id and label), and which members one of them holds now (``members``: ids in order; 404
when the item is not the caller's merchant's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MemberSource:
    name: str
    choices: Callable[[Any], list[tuple[int, str]]]
    members: Callable[[Any, int], list[int]]


_SOURCES: dict[str, MemberSource] = {}


def register_member_source(source: MemberSource) -> None:
    _SOURCES[source.name] = source


def member_source(name: str) -> MemberSource | None:
    return _SOURCES.get(name)
