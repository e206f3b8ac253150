"""Keyword search over complaints: an index of overlapping CJK bigrams.

Most Chinese words have two characters (推诿, 社保, 收费), so the index keeps
what Lucene's CJK analyzer keeps: :func:`tokens` splits NFKC-normalised,
lower-cased text into runs of CJK characters and runs of other letters and
digits; a CJK run gives its overlapping bigrams (推诿扯皮 → 推诿 诿扯 扯皮), a
one-character run that character, any other run the whole word (``12345``).
Punctuation and spaces cut the text into *groups*.  A query matches where
each of its groups appears as consecutive tokens inside one group of the
title, the content or the reply: for CJK that is exactly "is a substring";
letters and digits match whole words.  Groups never chain across a gap: on
SQLite a separator token (U+FDD0, a noncharacter that :func:`tokens` never
yields) stands between groups; on PostgreSQL the position skips one.

SQLite keeps an FTS5 table ``complaint_fts`` (rowid = complaint id) whose one
column holds the space-joined tokens.  Not FTS5's ``trigram`` tokenizer (it
never matches a two-character term, and LIKE over it is wrong in SQLite
3.40).  Not *contentless*: updating or deleting a contentless row needs
``contentless_delete`` (SQLite 3.43+) or the old tokens, which the caller no
longer has; a regular table stores its token string, costing disk but
allowing plain ``INSERT OR REPLACE`` and ``DELETE``.  The tokenizer is
``unicode61`` with ``categories 'L* N* M* Co Cn'``: checked over every
character :func:`tokens` can emit, each token then stays one FTS5 token
(plain ``unicode61`` splits some, as its tables date from Unicode 6.1).

PostgreSQL keeps ``complaint_search(complaint_id, tsv)`` with a GIN index.
The tsvector and tsquery are typed in as literals with positions, never run
through the locale-dependent text-search parser.  Limits there: positions
stop at 16383 and a lexeme keeps at most 256 of them, so a phrase of three
or more characters may be missed far into a very long text; a two-character
query needs no positions and is always exact.

A query group that contains a lone CJK character (社, or 3号 next to a word)
cannot be answered by bigrams: it becomes a substring test over the three
columns (a scan, using the index only for the rest of the query).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

import peewee as pw

from .db import database, is_sqlite, write_transaction
from .errors import InvalidInput
from .models import Complaint

logger = logging.getLogger(__name__)

MAX_WORD = 64  # longer letter/digit runs are cut (a PostgreSQL lexeme is < 2 KB)
SEPARATOR = "\ufdd0"  # between groups in the SQLite index; never a token
PG_MAX_POS = 16383
BATCH = 1000
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
# One token per match: a bigram (looked ahead, one character consumed), a lone
# CJK character, a letter/digit word (cut at MAX_WORD) or the separator.
_TOKEN = re.compile(
    f"(?=([{_CJK}]{{2}}))[{_CJK}]|((?<![{_CJK}])[{_CJK}](?![{_CJK}]))"
    f"|([^\\W_{_CJK}]{{1,{MAX_WORD}}})[^\\W_{_CJK}]*|({SEPARATOR})"
)


def _document(text: str | None) -> str:
    """The tokens of ``text`` joined by spaces, groups divided by SEPARATOR."""
    if not text:
        return ""
    text = _PUNCT.sub(SEPARATOR, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _GAP.sub(SEPARATOR, text.lower())
    found = chain.from_iterable(_TOKEN.findall(text))
    return " ".join(filter(None, found)).strip(SEPARATOR + " ")


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
            "INSERT INTO complaint_fts (complaint_fts, rank) VALUES ('hashsize', ?)", (FTS_HASHSIZE,)
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


def _pg_quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(document: str) -> str:
    """A tsvector literal; the separator only takes up a position."""
    positions: dict[str, list[int]] = {}
    for pos, tok in enumerate(document.split(" "), 1):
        if tok == SEPARATOR or not tok:
            continue
        seen = positions.setdefault(tok, [])
        if pos <= PG_MAX_POS:  # past it: present, but without a position
            seen.append(pos)
    return " ".join(
        f"{_pg_quote(t)}:{','.join(map(str, ps))}" if ps else _pg_quote(t)
        for t, ps in positions.items()
    )


def _chunks(items: Iterable, size: int = BATCH) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
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
            database.execute_sql("TRUNCATE complaint_search")
            database.execute_sql("DROP INDEX IF EXISTS complaint_search_tsv")
        last = 0
        while True:
            rows = list(
                Complaint.select(Complaint.id, Complaint.title, Complaint.content, Complaint.reply_text)
                .where(Complaint.id > last)
                .order_by(Complaint.id)
                .limit(batch_size)
                .tuples()
            )
            if not rows:
                break
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
        text, stretch, bigram = "", [], False  # the group's text, and what the index can check
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
            "检索词中没有可检索的文字或数字", "the search text has no letters, digits or characters to search for"
        )
    return plan


def _match_expression(phrases: list[list[str]]) -> str:
    unique = list(dict.fromkeys(tuple(p) for p in phrases))
    if is_sqlite():
        return " AND ".join('"' + " ".join(p).replace('"', '""') + '"' for p in unique)
    return " & ".join("(" + " <-> ".join(_pg_quote(t) for t in p) + ")" for p in unique)


def matching_ids(query: str) -> pw.NodeList | None:
    """A subquery of the ids whose index matches ``query``'s indexable groups.

    Use as ``Complaint.id.in_(matching_ids(q))``.  None when the index cannot
    narrow the query (it has only lone CJK characters); prefer
    :func:`search_condition`, which handles every query.  Raises
    :class:`InvalidInput` when the query has nothing to search for.
    """
    plan = _plan(query)
    return _subquery(plan.phrases) if plan.phrases else None


def _subquery(phrases: list[list[str]]) -> pw.NodeList:
    expression = pw.Value(_match_expression(phrases))
    if is_sqlite():
        head = pw.SQL("SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH")
        return pw.NodeList((head, expression), parens=True)
    head = pw.SQL("SELECT complaint_id FROM complaint_search WHERE tsv @@")
    return pw.NodeList((head, pw.Cast(expression, "tsquery")), parens=True)


def search_condition(query: str) -> pw.Expression:
    """The WHERE condition for complaints matching every term of ``query``.

    Terms are separated by spaces or punctuation; a term of two or more CJK
    characters is looked up in the index, a lone character by substring.
    """
    plan = _plan(query)
    condition: pw.Expression | None = None
    if plan.phrases:
        condition = Complaint.id.in_(_subquery(plan.phrases))
    for text in dict.fromkeys(plan.substrings):
        found = (
            Complaint.title.contains(text)
            | Complaint.content.contains(text)
            | Complaint.reply_text.contains(text)
        )
        condition = found if condition is None else condition & found
    assert condition is not None  # _plan raises when there is nothing to search
    return condition
