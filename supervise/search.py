"""Keyword search over complaints: an index of overlapping CJK bigrams.

:func:`tokens` NFKC-normalises and lower-cases text and splits it into runs
of CJK characters and runs of other letters/digits: a CJK run gives its
overlapping bigrams (推诿扯皮 → 推诿 诿扯 扯皮), a one-character run that
character, any other run the whole word (``12345``).  Punctuation and spaces
cut text into *groups*; a query matches where each of its groups appears as
consecutive tokens within one group of the title, content or reply (for CJK
exactly "is a substring"; letters and digits match whole words).  A group
with a lone CJK character (社, 3号) becomes a substring test instead.

SQLite keeps a *regular* FTS5 table ``complaint_fts`` (rowid = complaint id)
of the space-joined tokens, groups divided by U+FDD0: a contentless one
could not replace rows without ``contentless_delete`` (SQLite 3.43; these
machines have 3.40).  PostgreSQL keeps ``complaint_search(complaint_id, tsv)``
with a GIN index, tsvector and tsquery typed in as literals, never through
the locale-dependent parser.  docs/SEARCH.md has the reasons and the limits.
"""

from __future__ import annotations

import json
import logging
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from itertools import islice
from typing import TypeVar

import peewee as pw

from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput
from .models import Complaint

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_WORD = 64  # longer letter/digit runs are cut (a PostgreSQL lexeme is < 2 KB)
SEPARATOR = "\ufdd0"  # between groups in the SQLite index; never a token
PG_MAX_POS = 16383
BATCH = 1000
FEW_MATCHES = 5000  # see _id_condition
DENSE_SPAN = 50  # see matching_among: a range read beats look-ups while ids are this close
# Checked over every character tokens() can emit: each token stays one FTS5
# token (plain unicode61, on Unicode 6.1 tables, drops 21 newer letters).
FTS_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* Co Cn'"
FTS_HASHSIZE = 32 * 1024 * 1024  # pending index flushed at 32 MB, not 1 MB: 2x faster bulk loads

# Han (with 〇 々 and Hangzhou numerals), kana, bopomofo, Hangul syllables,
# private-use (locally made 造字 in names) and compatibility ideographs.
_CJK = (
    "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0003ffff\uf900-\ufaff\ue000-\uf8ff"
    "\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3041-\u3096\u309d-\u309f"
    "\u30a1-\u30fa\u30fc-\u30ff\u3105-\u312f\u31a0-\u31bf\u31f0-\u31ff\uac00-\ud7a3"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Common punctuation that NFKC would only turn into other punctuation: made a
# gap up front so that most text passes the cheap is_normalized() check.
_PUNCT = re.compile(
    "[\\s,.;:!?()\u00a0\u2026\u201c\u201d\u2018\u2019\u3000-\u3003\u3008-\u3011"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+"
)
_GAP = re.compile(f"(?:[^\\w{_CJK}]|_)+")  # neither a letter, a digit nor CJK
# One token per match, captured by the lookahead: a bigram (one character is
# consumed), a lone CJK character, a letter/digit word (cut at MAX_WORD, all
# consumed) or the separator.  The last character of a CJK run yields none.
_TOKEN = re.compile(
    f"(?=([{_CJK}]{{2}}|(?<![{_CJK}])[{_CJK}](?![{_CJK}])|[^\\W_{_CJK}]{{1,{MAX_WORD}}}|{SEPARATOR}))"
    f"(?:[{_CJK}]|[^\\W_{_CJK}]+|{SEPARATOR})"
)


def _document(text: str | None) -> str:
    """The tokens of ``text`` joined by spaces, groups divided by SEPARATOR."""
    if not text:
        return ""
    text = _PUNCT.sub(SEPARATOR, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _GAP.sub(SEPARATOR, text.lower())
    return " ".join(_TOKEN.findall(text)).strip(SEPARATOR + " ")


def tokens(text: str | None) -> list[str]:
    """The index tokens of ``text`` in order (bigrams, lone CJK characters, words)."""
    return [t for t in _document(text).split(" ") if t and t != SEPARATOR]


# -- writing -------------------------------------------------------------------


def create_schema() -> None:
    """Create the index table (and its GIN index on PostgreSQL) if missing."""
    if is_sqlite():
        database.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS complaint_fts USING fts5("
            f'tokens, tokenize="{FTS_TOKENIZER}", columnsize=0)'
        )
        database.execute_sql(
            "INSERT INTO complaint_fts (complaint_fts, rank) VALUES ('hashsize', ?)",
            (FTS_HASHSIZE,),
        )
    else:
        database.execute_sql(
            "CREATE TABLE IF NOT EXISTS complaint_search ("
            "complaint_id integer PRIMARY KEY REFERENCES complaint(id) ON DELETE CASCADE,"
            " tsv tsvector NOT NULL)"
        )
        database.execute_sql(
            "CREATE INDEX IF NOT EXISTS complaint_search_tsv ON complaint_search USING gin (tsv)"
        )


Row = tuple[int, str | None, str | None, str | None]


def _row_document(row: Row) -> str:
    return f" {SEPARATOR} ".join(filter(None, map(_document, row[1:])))


def _tsvector(document: str) -> str:
    """A tsvector literal, one entry per token (PostgreSQL merges repeats).

    Tokens hold no quote or backslash (those are gaps).  The separator stays,
    unsearchable.  Past position 16383 a token goes in without a position: it
    still answers a one-token query, never a phrase.
    """
    toks = document.split()
    head = " ".join(map("'{}':{}".format, toks[:PG_MAX_POS], range(1, PG_MAX_POS + 1)))
    if len(toks) <= PG_MAX_POS:
        return head
    return head + " " + " ".join(map("'{}'".format, toks[PG_MAX_POS:]))


def _chunks(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def index_complaints(rows: Iterable[Row]) -> None:
    """Index or re-index ``(id, title, content, reply_text)`` rows.

    Call inside the caller's transaction, after the complaint rows are written.
    """
    if is_sqlite():
        cursor = database.cursor()
        for chunk in _chunks(rows):
            cursor.executemany(
                "INSERT OR REPLACE INTO complaint_fts (rowid, tokens) VALUES (?, ?)",
                [(row[0], _row_document(row)) for row in chunk],
            )
        return
    for chunk in _chunks(rows):
        latest = {row[0]: row for row in chunk}  # one row per id per statement
        params: list[object] = []
        for row in latest.values():
            params += [row[0], _tsvector(_row_document(row))]
        database.execute_sql(
            "INSERT INTO complaint_search (complaint_id, tsv) VALUES "
            + ", ".join(["(%s, %s::tsvector)"] * len(latest))
            + " ON CONFLICT (complaint_id) DO UPDATE SET tsv = EXCLUDED.tsv",
            params,
        )


def remove_complaints(ids: Iterable[int]) -> None:
    """Drop the index entries of these complaints."""
    table, key = ("complaint_fts", "rowid") if is_sqlite() else ("complaint_search", "complaint_id")
    for chunk in _chunks(ids, 500):
        marks = ", ".join([database.param] * len(chunk))
        database.execute_sql(f"DELETE FROM {table} WHERE {key} IN ({marks})", chunk)


def rebuild(batch_size: int = 5000) -> int:
    """Re-index every complaint from scratch; return how many were indexed."""
    count = 0
    with write_transaction():
        if is_sqlite():
            database.execute_sql("DROP TABLE IF EXISTS complaint_fts")
            create_schema()
        else:
            create_schema()
            database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")  # for the GIN build
            database.execute_sql("TRUNCATE complaint_search")
            database.execute_sql("DROP INDEX IF EXISTS complaint_search_tsv")
        fields = (Complaint.id, Complaint.title, Complaint.content, Complaint.reply_text)
        query = Complaint.select(*fields).order_by(Complaint.id).limit(batch_size).tuples()
        last = 0
        while rows := list(query.where(Complaint.id > last)):
            index_complaints(rows)
            count += len(rows)
            last = rows[-1][0]
        if is_sqlite():
            database.execute_sql("INSERT INTO complaint_fts (complaint_fts) VALUES ('optimize')")
        else:
            create_schema()  # builds the GIN index in one pass
    logger.info("search index rebuilt: %d complaints", count)
    return count


# -- querying ------------------------------------------------------------------


@dataclass
class _Plan:
    phrases: list[list[str]]  # each must appear as consecutive tokens
    substrings: list[str]  # each must appear in the title, content or reply


def _plan(query: str) -> _Plan:
    plan = _Plan([], [])
    for group in filter(None, _document(query).split(f" {SEPARATOR} ")):
        toks = group.split(" ")
        lone = [len(t) == 1 and _CJK_CHAR.match(t) is not None for t in toks]
        if not any(lone):
            plan.phrases.append(toks)
            continue
        stretch: list[str] = []
        text, bigram = "", False  # the group's text, and what the index can check
        for tok, alone in zip(toks, lone, strict=True):
            follows = bigram
            bigram = len(tok) == 2 and _CJK_CHAR.match(tok) is not None
            text += tok[1] if bigram and follows else tok
            if alone:
                plan.phrases += [stretch] if stretch else []
                stretch = []
            else:
                stretch.append(tok)
        plan.phrases += [stretch] if stretch else []
        plan.substrings.append(text)
    if not plan.phrases and not plan.substrings:
        raise InvalidInput(
            "检索词中没有可检索的文字或数字",
            "the search text has no letters, digits or characters to search for",
        )
    return plan


def _match_expression(phrases: list[list[str]]) -> str:
    unique = list(dict.fromkeys(tuple(p) for p in phrases))
    if is_sqlite():
        return " AND ".join('"' + " ".join(p).replace('"', '""') + '"' for p in unique)
    return " & ".join("(" + " <-> ".join(f"'{t}'" for t in p) + ")" for p in unique)


def matching_ids(query: str) -> pw.NodeList | None:
    """The ids the index matches, for ``Complaint.id.in_(matching_ids(q))``.

    None when the query has only lone CJK characters, which the index cannot
    answer (:func:`search_condition` handles every query).
    """
    plan = _plan(query)
    return _subquery(plan.phrases) if plan.phrases else None


def matching_among(query: str, ids: list[int]) -> set[int] | None:
    """Which of ``ids`` match ``query``, asked of the index alone.

    Costs what the ids cost, not what the query matches overall, so a
    newest-first page can test the newest ids only.  On SQLite, ids close
    together are found by one range read of the index, filtered in SQLite;
    ids spread far apart by one look-up each.  None when the query has a lone
    CJK character (only a substring test answers it; use
    :func:`search_condition`).
    """
    plan = _plan(query)
    if plan.substrings or not plan.phrases:
        return None
    if not ids:
        return set()
    expression = _match_expression(plan.phrases)
    if not is_sqlite():
        sql = "SELECT complaint_id FROM complaint_search WHERE tsv @@ %s::tsquery AND complaint_id = ANY(%s)"
        return {i for (i,) in database.execute_sql(sql, (expression, list(ids))).fetchall()}
    low, high = min(ids), max(ids)
    if high - low < DENSE_SPAN * len(ids):  # a range read; '+rowid' keeps the ids a filter
        sql = (
            "SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH ? AND rowid BETWEEN ? AND ?"
            " AND +rowid IN (SELECT value FROM json_each(?))"
        )
        params: tuple[object, ...] = (expression, low, high, json.dumps(ids))
    else:  # one look-up per id
        sql = "SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))"
        params = (expression, json.dumps(ids))
    return {i for (i,) in database.execute_sql(sql, params).fetchall()}


def count_matching(query: str) -> int | None:
    """How many complaints match ``query``, counted in the index alone.

    None when the query has a lone CJK character (see :func:`matching_among`).
    """
    plan = _plan(query)
    if plan.substrings or not plan.phrases:
        return None
    if is_sqlite():
        sql = "SELECT count(*) FROM complaint_fts WHERE complaint_fts MATCH ?"
    else:
        sql = "SELECT count(*) FROM complaint_search WHERE tsv @@ %s::tsquery"
    return int(database.execute_sql(sql, (_match_expression(plan.phrases),)).fetchone()[0])


def _subquery(phrases: list[list[str]]) -> pw.NodeList:
    expression = pw.Value(_match_expression(phrases))
    if is_sqlite():
        head = pw.SQL("SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH")
        return pw.NodeList((head, expression), parens=True)
    head = pw.SQL("SELECT complaint_id FROM complaint_search WHERE tsv @@")
    return pw.NodeList((head, pw.Cast(expression, "tsquery")), parens=True)


def _id_condition(phrases: list[list[str]]) -> pw.Expression:
    """``id IN (matches)``, shaped for SQLite's planner, which cannot tell how
    many rows an FTS query yields.  Few: start from them, by id.  Many: ``+id``
    keeps the planner on another index (unit, received_at), probing the ids,
    so a first page newest-first stops early.  PostgreSQL estimates itself.
    """
    subquery = _subquery(phrases)
    if is_sqlite():
        found = database.execute_sql(
            "SELECT count(*) FROM (SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH ? LIMIT ?)",
            (_match_expression(phrases), FEW_MATCHES + 1),
        ).fetchone()[0]
        if found > FEW_MATCHES:
            return pw.NodeList((pw.SQL("+"), Complaint.id), glue="").in_(subquery)
    return Complaint.id.in_(subquery)


def search_condition(query: str) -> pw.Expression:
    """The WHERE condition for complaints matching every term of ``query``.

    Terms are separated by spaces or punctuation; a term of two or more CJK
    characters is looked up in the index, a lone character by substring.
    """
    plan = _plan(query)
    condition: pw.Expression | None = None
    if plan.phrases:
        condition = _id_condition(plan.phrases)
    for text in dict.fromkeys(plan.substrings):
        fields = (Complaint.title, Complaint.content, Complaint.reply_text)
        found = reduce(operator.or_, (f.contains(text) for f in fields))
        condition = found if condition is None else condition & found
    assert condition is not None  # _plan raises when there is nothing to search
    return condition
