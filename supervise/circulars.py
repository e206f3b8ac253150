"""Issuing a circular (通报, SPEC §7): data from a plugin, wording from a
template, a 发文字号 from the register, layout by :mod:`supervise.officialdoc`.

A kind of circular is a :class:`~supervise.extension.CircularSpec` from the
``supervise_register_circulars`` hook.  Its ``run(**context)`` gathers the
facts and returns a :class:`CircularData` (values, lists and the identities
of the people behind the records it used); it is called with the keywords
``actor``, ``month`` (first day of the month or None), ``cases`` (a tuple
of ids as given), ``as_of`` (a datetime) and ``date`` (the 成文日期).  The
core fills the template named by the spec, removes every identity and
anything shaped like a phone or ID number, then numbers and renders it.

发文字号 ``代字〔2026〕12号`` are numbered per prefix and year and never
reused: the next number comes from a counter row bumped with an upsert in
the same write transaction that records the number and writes the PDF
(SQLite: ``BEGIN IMMEDIATE`` serialises writers; PostgreSQL: the upsert
locks the counter row until commit), and the unique index on
(prefix, year, seq) is the last guard.  A failed rendering rolls the
number back, so no number is issued without its document.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import peewee as pw

from . import doctemplate, fonts, officialdoc, paths, settings
from .errors import EXIT_INTERNAL, InvalidInput, NotFound, UserError
from .extension import CircularSpec
from .models import Counter, DocumentNumber, now
from .services.base import Service

logger = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "supervise_templates"
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]){8}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")
_ID_NO = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])|(?<![0-9])[0-9]{15}(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class CircularPluginError(UserError):
    """A circular plugin raised or answered with the wrong type (exit 1)."""

    exit_code = EXIT_INTERNAL


@dataclass
class CircularData:
    """What a circular plugin hands to the core.

    ``values`` fill ``${名称}`` placeholders; ``lists`` fill the
    ``[条目:名称]`` sections item by item; ``identities`` are the names,
    phone and ID numbers of the complainants and raters behind the records
    used, which must never appear in the document (they are removed even
    from free text); ``subject`` is a short note kept with the number.
    """

    values: dict[str, str]
    lists: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    identities: set[str] = field(default_factory=set)
    subject: str = ""


# -- identities --------------------------------------------------------------------------


class Redactor:
    """Removes known identities and anything shaped like a phone, ID number or e-mail."""

    def __init__(self, identities: Iterable[str | None]) -> None:
        self.secrets = {s.strip() for s in identities if s and len(s.strip()) >= 2}
        self.longest = max((len(s) for s in self.secrets), default=0)

    def _find(self, text: str) -> list[tuple[int, int]]:
        """Spans of known identities, longest first at each position: O(len × longest), not O(secrets)."""
        spans, i = [], 0
        while i < len(text):
            for size in range(min(self.longest, len(text) - i), 1, -1):
                if text[i : i + size] in self.secrets:
                    spans.append((i, i + size))
                    i += size - 1
                    break
            i += 1
        return spans

    def __call__(self, text: str) -> str:
        for start, end in reversed(self._find(text)):
            secret = text[start:end]
            text = (
                text[:start]
                + ("***" if any(ch.isdigit() for ch in secret) else "某某")
                + text[end:]
            )
        for pattern in (_ID_NO, _PHONE, _LANDLINE, _EMAIL):
            text = pattern.sub("***", text)
        return text

    def leaks(self, text: str) -> list[str]:
        """What of the identities (or identity-shaped strings) ``text`` still holds."""
        found = [text[a:b] for a, b in self._find(text)]
        for pattern in (_ID_NO, _PHONE, _LANDLINE, _EMAIL):
            found += pattern.findall(text)
        return found


# -- templates ---------------------------------------------------------------------------------


def template_dirs() -> list[Path]:
    """Where edited templates are looked for before the installed ones."""
    dirs = []
    configured = settings.get("circulars.templates_dir", "")
    if configured:
        dirs.append(Path(str(configured)).expanduser())
    dirs.append(paths.data_dir() / "templates")
    return dirs


def load_template(name: str) -> doctemplate.DocTemplate:
    """The template ``name``: an edited copy first, else the installed one.

    ``name`` is a file name in ``supervise_templates``, or
    ``"package:file.txt"`` for a template a plugin ships in its own package;
    an edited copy is looked up by the file name alone in either case.
    """
    package, _, file_name = name.rpartition(":") if ":" in name else (TEMPLATE_PACKAGE, "", name)
    if (
        not file_name
        or Path(file_name).name != file_name
        or file_name.startswith(".")
        or not package
    ):
        raise InvalidInput(f"模板名无效：{name}", f"invalid template name: {name!r}")
    for folder in template_dirs():
        candidate = folder / file_name
        if candidate.is_file():
            logger.info("template %s from %s", name, candidate)
            return doctemplate.parse(candidate.read_text(encoding="utf-8-sig"), str(candidate))
    try:
        text = resources.files(package).joinpath(file_name).read_text(encoding="utf-8-sig")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        raise NotFound(f"找不到通报模板：{name}", f"circular template not found: {name}") from None
    return doctemplate.parse(text, name)


# -- numbers -----------------------------------------------------------------------------------


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕{seq}号"


def next_seq(prefix: str, year: int) -> int:
    """The next sequence number for prefix and year; call inside the write transaction."""
    name = f"document:{prefix}:{year}"
    Counter.insert(name=name, value=1).on_conflict(
        conflict_target=[Counter.name], update={Counter.value: Counter.value + 1}
    ).execute()
    seq = Counter.get(Counter.name == name).value
    issued = (
        DocumentNumber.select(pw.fn.MAX(DocumentNumber.seq))
        .where((DocumentNumber.prefix == prefix) & (DocumentNumber.year == year))
        .scalar()
    )
    if issued is not None and issued >= seq:  # a counter lost or reset: never go back
        seq = issued + 1
        Counter.update(value=seq).where(Counter.name == name).execute()
    return seq


# -- issuing ----------------------------------------------------------------------------------


def month_text(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


class CircularService(Service):
    """Issue circulars: permission ``circular`` (admin, staff)."""

    def kinds(self) -> list[CircularSpec]:
        from .registry import get_registry

        return get_registry().circulars()

    def issue(
        self,
        kind: str,
        out: str | Path,
        *,
        month: dt.date | None = None,
        cases: Iterable[str] = (),
        date: dt.date | None = None,
        as_of: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Write circular ``kind`` to ``out``; returns number, file, pages, title, warnings."""
        from .registry import get_registry

        self.require("circular")
        out = Path(out)
        if out.is_dir() or not out.parent.is_dir():
            raise InvalidInput(
                f"输出文件所在目录不存在或输出路径是目录：{out}",
                f"the output folder does not exist, or the output is a folder: {out}",
            )
        spec = get_registry().circular(kind)
        date = date or now().date()
        as_of = as_of or now()
        data = self._gather(spec, month=month, cases=tuple(cases), as_of=as_of, date=date)
        template = load_template(spec.template)
        organ = str(settings.get("circular.organ"))
        values = {
            "发文机关": organ,
            "主送机关": str(settings.get("circulars.addressee", "各有关单位")),
            "成文日期": officialdoc.chinese_date(date),
            "年份": str(date.year),
            **({"月份": month_text(month)} if month else {}),
            **data.values,
        }
        filled = doctemplate.fill(template, values, data.lists)
        redact = Redactor(data.identities)
        title_lines = [redact(t) for t in filled.title]
        paragraphs = [redact(p) for p in filled.paragraphs]
        addressee = redact(filled.addressee)
        prefix = str(settings.get("circular.prefix"))
        chosen = fonts.find_fonts()  # loading fonts is the slow part: not under the write lock
        temp = out.with_name(f".{out.name}.{os.getpid()}.part")
        try:
            with self.change("circular"):
                seq = next_seq(prefix, date.year)
                number = format_number(prefix, date.year, seq)
                record = self.create(
                    DocumentNumber,
                    "circular",
                    prefix=prefix,
                    year=date.year,
                    seq=seq,
                    kind=kind,
                    title="".join(title_lines)[:255],
                    issued_by=self.actor.name,
                )
                doc = officialdoc.OfficialDocument(
                    organ=organ,
                    number=number,
                    title="\n".join(title_lines),
                    addressee=addressee,
                    body=paragraphs,
                    date=date,
                    cc=[str(c) for c in settings.get("circular.cc") or []],
                    printer=str(settings.get("circular.printer") or organ),
                )
                rendered = officialdoc.render(doc, temp, chosen)
            os.replace(temp, out)
        finally:
            if temp.exists():
                temp.unlink()
        logger.info("issued %s (%s) → %s", number, kind, out)
        return {
            "number": number,
            "seq": seq,
            "year": date.year,
            "id": record.id,
            "kind": kind,
            "title": "".join(title_lines),
            "file": str(out),
            "pages": rendered.pages,
            "fonts": {role: f.describe() for role, f in rendered.fonts.items()},
            "warnings": rendered.warnings,
        }

    def _gather(self, spec: CircularSpec, **context: Any) -> CircularData:
        try:
            data = spec.run(actor=self.actor, **context)
        except UserError:
            raise
        except Exception as exc:
            logger.exception("circular plugin %s failed", spec.name)
            raise CircularPluginError(
                f"通报类型“{spec.name}”的插件出错：{exc}",
                f"the plugin of circular kind {spec.name!r} failed: {exc}",
            ) from exc
        if not isinstance(data, CircularData):
            raise CircularPluginError(
                f"通报类型“{spec.name}”的插件返回了 {type(data).__name__}，应为 CircularData",
                f"the plugin of circular kind {spec.name!r} returned {type(data).__name__}, not CircularData",
            )
        return data


__all__ = [
    "CircularData",
    "CircularService",
    "Redactor",
    "format_number",
    "load_template",
    "next_seq",
]
