"""Keyword search over complaints and ratings: an index of overlapping CJK bigrams.

:func:`tokens` NFKC-normalises and lower-cases text and splits it into runs
of CJK characters and runs of other letters/digits: a CJK run gives its
overlapping bigrams (推诿扯皮 → 推诿 诿扯 扯皮), a one-character run that
character, any other run the whole word (``12345``).  Punctuation and spaces
cut text into *groups*; a query matches where each of its groups appears as
consecutive tokens within one group of the title, content or reply (for CJK
exactly "is a substring"; letters and digits match whole words).  A group
with a lone CJK character (社, 3号) becomes a substring test instead.

Two kinds of record are indexed (:data:`COMPLAINTS`: title, content, reply;
:data:`RATINGS` 好差评: comment, reasons, window).  SQLite keeps a *regular*
FTS5 table per kind (``complaint_fts``, ``rating_fts``; rowid = record id) of
the space-joined tokens, groups divided by U+FDD0: a contentless one could not
replace rows without ``contentless_delete`` (SQLite 3.43; these machines have
3.40).  PostgreSQL keeps a ``tsv tsvector`` column on the record's own row
with a GIN index (migration 7; it was a joined table before), so that a
keyword and the other filters meet in one table; a new complaint carries it
in its own INSERT (:func:`row_columns`, :func:`row_values`, then
:func:`index_new`).  tsvector and tsquery are typed in as literals, never
through the locale-dependent parser.
docs/SEARCH.md has the reasons, the limits and the figures.
"""

from __future__ import annotations

import json
import logging
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import islice
from typing import TypeVar

import peewee as pw

from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput
from .models import Complaint, Rating

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_WORD = 64  # longer letter/digit runs are cut (a PostgreSQL lexeme is < 2 KB)
SEPARATOR = "\ufdd0"  # between groups in the SQLite index; never a token
PG_MAX_POS = 16383
BATCH = 1000
FEW_MATCHES = 5000  # see _id_condition
SPARSE_FEW_MATCHES = (
    20_000  # see _id_condition: when the caller knows the matches are sparse among its rows
)
DENSE_SPAN = 50  # see matching_among: a range read beats look-ups while ids are this close
WINDOW, MAX_WINDOW = 512, 4096  # see first_matches: newest ids looked at first, and at most
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


@lru_cache(maxsize=8192)
def _document(text: str | None) -> str:
    """The tokens of ``text`` joined by spaces, groups divided by SEPARATOR.

    Cached: ratings repeat their reasons (a fixed list of 差评原因) and
    windows (3号窗口), and imports tokenise thousands of them at once."""
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


# -- what is indexed -------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    """One kind of indexed record: its model, its text fields (each its own group) and
    the SQLite FTS5 table; on PostgreSQL the model's table holds the ``tsv`` column."""

    model: type[pw.Model]
    fields: tuple[str, ...]
    fts: str

    @property
    def table(self) -> str:
        return self.model._meta.table_name

    @property
    def gin(self) -> str:
        return f"{self.table}_tsv"


COMPLAINTS = Index(Complaint, ("title", "content", "reply_text"), "complaint_fts")
RATINGS = Index(Rating, ("comment", "reasons", "window"), "rating_fts")
INDEXES = (COMPLAINTS, RATINGS)


# -- writing -------------------------------------------------------------------


def create_schema() -> None:
    """Create the FTS5 tables (SQLite) or the ``tsv`` columns and GIN indexes (PostgreSQL)
    of every kind, where missing."""
    for ix in INDEXES:
        if is_sqlite():
            database.execute_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {ix.fts} USING fts5("
                f'tokens, tokenize="{FTS_TOKENIZER}", columnsize=0)'
            )
            database.execute_sql(
                f"INSERT INTO {ix.fts} ({ix.fts}, rank) VALUES ('hashsize', ?)", (FTS_HASHSIZE,)
            )
        else:
            database.execute_sql(f'ALTER TABLE "{ix.table}" ADD COLUMN IF NOT EXISTS tsv tsvector')
            database.execute_sql(
                f'CREATE INDEX IF NOT EXISTS {ix.gin} ON "{ix.table}" USING gin (tsv)'
            )


Row = tuple  # (id, *texts) in the order of Index.fields


def document(*texts: str | None) -> str:
    """The index document of a record's texts: each text its own group."""
    return f" {SEPARATOR} ".join(filter(None, map(_document, texts)))


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


def tsvector(*texts: str | None) -> str:
    """The PostgreSQL ``tsv`` value (a tsvector literal) of a record's texts, for
    writers that fill the column with the row (an INSERT, a ``COPY``)."""
    return _tsvector(document(*texts))


def row_columns() -> tuple[str, ...]:
    """The index columns a new record's own INSERT carries: ``("tsv",)`` on PostgreSQL,
    none on SQLite, whose FTS5 table is written after the row (:func:`index_new`)."""
    return () if is_sqlite() else ("tsv",)


def row_values(*texts: str | None) -> tuple[str | None, ...]:
    """The values of :func:`row_columns` for a new record with these texts: on
    PostgreSQL its tsvector literal, or None when it has no text."""
    if is_sqlite():
        return ()
    return (tsvector(*texts) or None,)


def row_index(*texts: str | None) -> dict[str, str | None]:
    """:func:`row_columns` with their :func:`row_values`, for one INSERT (``prepared.create``'s
    ``raw``)."""
    return dict(zip(row_columns(), row_values(*texts), strict=True))


def index_new(ix: Index, rows: Iterable[Row]) -> None:
    """Index ``(id, *texts)`` rows of kind ``ix`` just inserted with :func:`row_values`
    in their INSERT.  SQLite writes their FTS5 entries; on PostgreSQL the ``tsv``
    came with each row, so the rows are not read and nothing is written."""
    if is_sqlite():
        index_records(ix, rows)


def _chunks(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def index_records(ix: Index, rows: Iterable[Row], fresh: bool = False) -> None:
    """Index or re-index ``(id, *texts)`` rows of kind ``ix``.

    Call inside the caller's transaction, after the rows are written.
    ``fresh``: the rows were just inserted and never indexed, so a row
    without any text needs no entry (most ratings have no comment).
    """
    if is_sqlite():
        cursor = database.cursor()
        for chunk in _chunks(rows):
            docs = [(row[0], document(*row[1:])) for row in chunk]
            if fresh:
                docs = [d for d in docs if d[1]]
            cursor.executemany(
                f"INSERT OR REPLACE INTO {ix.fts} (rowid, tokens) VALUES (?, ?)", docs
            )
        return
    for chunk in _chunks(rows):
        latest = {row[0]: tsvector(*row[1:]) for row in chunk}  # one row per id per statement
        if fresh:
            latest = {key: tsv for key, tsv in latest.items() if tsv}
        if not latest:
            continue
        params: list[object] = []
        for key, tsv in latest.items():
            params += [key, tsv]
        database.execute_sql(
            f'UPDATE "{ix.table}" AS r SET tsv = v.tsv FROM (VALUES '
            + ", ".join(["(%s::integer, %s::tsvector)"] * len(latest))
            + ") AS v (id, tsv) WHERE r.id = v.id",
            params,
        )


def index_complaints(rows: Iterable[Row]) -> None:
    """Index or re-index ``(id, title, content, reply_text)`` rows (see :func:`index_records`)."""
    index_records(COMPLAINTS, rows)


def index_ratings(rows: Iterable[Row], fresh: bool = False) -> None:
    """Index or re-index ``(id, comment, reasons, window)`` rows (see :func:`index_records`)."""
    index_records(RATINGS, rows, fresh)


def index_ratings_where(condition: pw.Expression) -> None:
    """Index the new ratings that ``condition`` selects (an import batch)."""
    fields = [getattr(Rating, f) for f in RATINGS.fields]
    has_text = reduce(operator.or_, (f != "" for f in fields))
    query = Rating.select(Rating.id, *fields).where(condition & has_text).order_by(Rating.id)
    index_ratings(query.tuples().iterator(), fresh=True)


def _remove(ix: Index, ids: Iterable[int]) -> None:
    """Drop the index entries of these records (PostgreSQL: clear their ``tsv``)."""
    for chunk in _chunks(ids, 500):
        marks = ", ".join([database.param] * len(chunk))
        if is_sqlite():
            database.execute_sql(f"DELETE FROM {ix.fts} WHERE rowid IN ({marks})", chunk)
        else:
            database.execute_sql(
                f'UPDATE "{ix.table}" SET tsv = NULL WHERE id IN ({marks}) AND tsv IS NOT NULL',
                chunk,
            )


def remove_complaints(ids: Iterable[int]) -> None:
    """Drop the index entries of these complaints (before deleting them)."""
    _remove(COMPLAINTS, ids)


def remove_ratings(ids: Iterable[int]) -> None:
    """Drop the index entries of these ratings (before deleting them)."""
    _remove(RATINGS, ids)


def rebuild(batch_size: int = 5000, ix: Index = COMPLAINTS) -> int:
    """Re-index every record of kind ``ix`` from scratch; return how many were indexed.

    On PostgreSQL the GIN index is dropped first and built once at the end.
    """
    count = 0
    with write_transaction():
        if is_sqlite():
            database.execute_sql(f"DROP TABLE IF EXISTS {ix.fts}")
            create_schema()
        else:
            create_schema()
            database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")  # for the GIN build
            database.execute_sql(f"DROP INDEX IF EXISTS {ix.gin}")
        fields = [getattr(ix.model, f) for f in ix.fields]
        key = ix.model._meta.primary_key
        query = ix.model.select(key, *fields).order_by(key).limit(batch_size).tuples()
        last = 0
        while rows := list(query.where(key > last)):
            index_records(ix, rows, fresh=is_sqlite())  # the SQLite table starts empty
            count += len(rows)
            last = rows[-1][0]
        if is_sqlite():
            database.execute_sql(f"INSERT INTO {ix.fts} ({ix.fts}) VALUES ('optimize')")
        else:
            create_schema()  # builds the GIN index in one pass
    logger.info("search index rebuilt: %d %s records", count, ix.table)
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


def _tsv_match(phrases: list[list[str]], ix: Index) -> pw.Expression:
    """PostgreSQL: ``<table>.tsv @@ '<query>'::tsquery`` on the record's own row."""
    expression = pw.Cast(pw.Value(_match_expression(phrases)), "tsquery")
    return pw.Expression(pw.Column(ix.model, "tsv"), "@@", expression)


def matching_ids(query: str, ix: Index = COMPLAINTS) -> pw.Node | None:
    """The ids the index matches, for ``Model.id.in_(matching_ids(q))``.

    None when the query has only lone CJK characters, which the index cannot
    answer (:func:`search_condition` handles every query).
    """
    plan = _plan(query)
    if not plan.phrases:
        return None
    if is_sqlite():
        return _subquery(plan.phrases, ix)
    return ix.model.select(ix.model._meta.primary_key).where(_tsv_match(plan.phrases, ix))


def matching_among(query: str, ids: list[int], ix: Index = COMPLAINTS) -> set[int] | None:
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
        sql = f'SELECT id FROM "{ix.table}" WHERE tsv @@ %s::tsquery AND id = ANY(%s)'
        return {i for (i,) in database.execute_sql(sql, (expression, list(ids))).fetchall()}
    low, high = min(ids), max(ids)
    if high - low < DENSE_SPAN * len(ids):  # a range read; '+rowid' keeps the ids a filter
        sql = (
            f"SELECT rowid FROM {ix.fts} WHERE {ix.fts} MATCH ? AND rowid BETWEEN ? AND ?"
            " AND +rowid IN (SELECT value FROM json_each(?))"
        )
        params: tuple[object, ...] = (expression, low, high, json.dumps(ids))
    else:  # one look-up per id
        sql = f"SELECT rowid FROM {ix.fts} WHERE {ix.fts} MATCH ? AND rowid IN (SELECT value FROM json_each(?))"
        params = (expression, json.dumps(ids))
    return {i for (i,) in database.execute_sql(sql, params).fetchall()}


def first_matches(
    ordered: pw.ModelSelect, query: str, offset: int, limit: int, ix: Index = COMPLAINTS
) -> list[int] | None:
    """The ids of one page of ``query``'s matches, in the order of ``ordered``.

    ``ordered`` selects the ids that the other filters select, in the page's
    order (newest first), without the keyword.  Take its first ``WINDOW``
    ids, ask the index which of them match (:func:`matching_among`), and stop
    once the page is full or the filters have no more rows: those are then
    exactly the page.  Otherwise look 8× further, unless at this density
    8× would not fill the page either.  A common word (most searches) fills
    the page from the first few hundred rows, where the plain query gathers
    and sorts every match first.  None when the index alone cannot answer
    (lone characters) or the matches are sparse among the filtered rows: the
    plain query then takes over (``search_condition(…, sparse=True)``).
    """
    need, size = offset + limit, WINDOW
    while size <= MAX_WINDOW:
        window = [i for (i,) in ordered.limit(size).tuples()]
        hits = matching_among(query, window, ix)
        if hits is None:
            return None
        found = [i for i in window if i in hits]
        if len(found) >= need or len(window) < size:
            return found[offset:need]
        if (
            8 * len(found) < need
        ):  # too sparse: asking 8× as many ids would cost more than the plain query
            return None
        size *= 8
    return None


def count_matching(query: str, ix: Index = COMPLAINTS, cap: int | None = None) -> int | None:
    """How many records match ``query``, counted in the index alone (at most ``cap + 1``
    when a cap is given).

    None when the query has a lone CJK character (see :func:`matching_among`).
    """
    plan = _plan(query)
    if plan.substrings or not plan.phrases:
        return None
    if is_sqlite():
        inner = f"SELECT 1 FROM {ix.fts} WHERE {ix.fts} MATCH ?"
    else:
        inner = f'SELECT 1 FROM "{ix.table}" WHERE tsv @@ %s::tsquery'
    params: tuple[object, ...] = (_match_expression(plan.phrases),)
    if cap is not None:
        inner += f" LIMIT {database.param}"
        params += (cap + 1,)
    return int(database.execute_sql(f"SELECT count(*) FROM ({inner}) AS m", params).fetchone()[0])


def _subquery(phrases: list[list[str]], ix: Index) -> pw.NodeList:
    """SQLite: ``(SELECT rowid FROM <fts> WHERE <fts> MATCH '<query>')``."""
    head = pw.SQL(f"SELECT rowid FROM {ix.fts} WHERE {ix.fts} MATCH")
    return pw.NodeList((head, pw.Value(_match_expression(phrases))), parens=True)


def _id_condition(phrases: list[list[str]], ix: Index, sparse: bool = False) -> pw.Expression:
    """The index part of the condition.

    SQLite: ``id IN (matches)``, shaped for a planner that cannot tell how
    many rows an FTS query yields.  Few: start from them, by id.  Many:
    ``+id`` keeps the planner on another index (unit, received_at), probing
    the ids, so a first page newest-first stops early.  PostgreSQL:
    ``tsv @@ query`` on the row itself, so the planner can AND the GIN index
    with the other filters' indexes (a bitmap AND) before it reads a row.

    ``sparse``: the caller found the matches sparse among its newest rows
    (:func:`first_matches` gave up), so walking those rows would read most
    of them; start from the matches unless there are more than
    ``SPARSE_FEW_MATCHES``.
    """
    if not is_sqlite():
        return _tsv_match(phrases, ix)
    key = ix.model._meta.primary_key
    subquery = _subquery(phrases, ix)
    few = SPARSE_FEW_MATCHES if sparse else FEW_MATCHES
    found = database.execute_sql(
        f"SELECT count(*) FROM (SELECT rowid FROM {ix.fts} WHERE {ix.fts} MATCH ? LIMIT ?)",
        (_match_expression(phrases), few + 1),
    ).fetchone()[0]
    if found > few:
        return pw.NodeList((pw.SQL("+"), key), glue="").in_(subquery)
    return key.in_(subquery)


def search_condition(query: str, ix: Index = COMPLAINTS, sparse: bool = False) -> pw.Expression:
    """The WHERE condition for records of kind ``ix`` matching every term of ``query``.

    Terms are separated by spaces or punctuation; a term of two or more CJK
    characters is looked up in the index, a lone character by substring.
    ``sparse``: see :func:`_id_condition`.
    """
    plan = _plan(query)
    condition: pw.Expression | None = None
    if plan.phrases:
        condition = _id_condition(plan.phrases, ix, sparse)
    fields = [getattr(ix.model, f) for f in ix.fields]
    for text in dict.fromkeys(plan.substrings):
        found = reduce(operator.or_, (f.contains(text) for f in fields))
        condition = found if condition is None else condition & found
    assert condition is not None  # _plan raises when there is nothing to search
    return condition
