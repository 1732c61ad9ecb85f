"""What a run writes, caught and scanned for buyer data and secrets (DESIGN §3, invariant 8).

`LogCatch` gathers every line the run writes: the functions' Powertools logger (formatted by its own
formatter, as CloudWatch would receive it), every other logger through the logging module's root.
`leaks` finds a few known strings in texts; `BuyerIndex` finds any of thousands of buyers' names, phones,
e-mails and addresses in hundreds of thousands of lines, in one pass over each line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from omsync.observability import logger as powertools_logger


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class LogCatch:
    """Every line logged while active: the Powertools logger's formatted output (at DEBUG) and every other
    logger's, with messages, extras' text and tracebacks (root handler, standard formatter)."""

    powertools: _Lines = field(default_factory=lambda: _Lines(powertools_logger.registered_formatter))
    others: _Lines = field(
        default_factory=lambda: _Lines(logging.Formatter("%(levelname)s %(name)s %(message)s %(args)s"))
    )
    _level: int = logging.NOTSET

    def __enter__(self) -> Self:
        self._level = powertools_logger.log_level
        powertools_logger.setLevel(logging.DEBUG)
        logging.getLogger(powertools_logger.name).addHandler(self.powertools)
        logging.getLogger().addHandler(self.others)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        logging.getLogger().removeHandler(self.others)
        logging.getLogger(powertools_logger.name).removeHandler(self.powertools)
        powertools_logger.setLevel(self._level)

    @property
    def lines(self) -> list[str]:
        return [*self.powertools.lines, *self.others.lines]


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """Each (secret, text) pair where a text contains the secret (case-insensitive)."""
    wanted = [s for s in secrets if s]
    return [(s, t) for t in texts for s in wanted if s.lower() in t.lower()]


@dataclass(frozen=True)
class Buyer:
    """A buyer's personal data as Ginee carries it on an order (``customerInfo``, ``shippingAddressInfo``)."""

    name: str
    phone: str
    """Digits with the country code, e.g. ``6281298765432``."""
    email: str
    address: str
    """Street and house number, e.g. ``Jl. Kembang Sepatu No. 17``."""


_WORDS = re.compile(r"[a-z]+")
_DIGITS = re.compile(r"\d{9,}")
_EMAILS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class BuyerIndex:
    """Finds lines carrying any buyer's name, phone, e-mail or street.

    A substring search of every buyer in every line costs buyers × lines (10,000 × 500,000 here), and a
    regular expression of 10,000 alternatives is no faster in Python's engine; so each line is cut once into
    words, digit runs and e-mail addresses, looked up in sets: a name or street is found as its consecutive
    words, a phone as a digit run that is the number with its country code or with the leading 0 Indonesians
    write (``08…``), an e-mail whole. Case is ignored.
    """

    def __init__(self, buyers: Iterable[Buyer]) -> None:
        self.phrases: dict[str, set[tuple[str, ...]]] = {}
        """First word → the names and streets (as word tuples) that start with it."""
        self.numbers: set[str] = set()
        self.emails: set[str] = set()
        for buyer in buyers:
            for text in (buyer.name, buyer.address):
                words = tuple(_WORDS.findall(text.lower()))
                if words:
                    self.phrases.setdefault(words[0], set()).add(words)
            digits = re.sub(r"\D", "", buyer.phone)
            self.numbers |= {digits, "0" + digits.removeprefix("62"), digits.removeprefix("62")}
            self.emails.add(buyer.email.lower())

    def carries(self, line: str) -> bool:
        """Whether ``line`` carries any buyer's data."""
        lowered = line.lower()
        if any(number in self.numbers for number in _DIGITS.findall(lowered)):
            return True
        if any(email in self.emails for email in _EMAILS.findall(lowered)):
            return True
        words = _WORDS.findall(lowered)
        for start, word in enumerate(words):
            for phrase in self.phrases.get(word, ()):
                if tuple(words[start : start + len(phrase)]) == phrase:
                    return True
        return False
