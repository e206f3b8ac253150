"""A small ZIP writer for xlsx packages whose large parts are compressed ahead.

An xlsx file is a ZIP archive.  A ledger's sheet is compressed while its rows
are produced (:class:`Deflated`: raw deflate into an anonymous temporary file,
with its CRC-32 and sizes counted), and the archive is written only once
every part is complete (:class:`ZipOut`), so each entry's header carries its
real sizes.  That keeps the archive in the plain form Excel expects: no data
descriptors, and ZIP64 fields only on an entry, offset or directory that
needs them (an uncompressed sheet past 4 GiB), the way :mod:`zipfile` would
write them for a file added whole.

The temporary file has no name on POSIX (``tempfile.TemporaryFile``) and is
deleted on close by the system on Windows, so a process killed mid-export
leaves no sheet data behind.
"""

from __future__ import annotations

import logging
import struct
import tempfile
import time
import zlib
from typing import BinaryIO

logger = logging.getLogger(__name__)

#: Sizes and offsets from this value on are written as ZIP64 fields.
ZIP64_LIMIT = 0xFFFFFFFF
_MAX32 = 0xFFFFFFFF  # the value a 32-bit field holds when its ZIP64 field has the real one
COMPRESS_LEVEL = 6  # zlib's default, as openpyxl and zipfile use
_COPY = 1 << 20
_UTF8_NAMES = 0x0800


def _dos_time(stamp: float) -> tuple[int, int]:
    t = time.localtime(stamp)
    year = max(t.tm_year, 1980)
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), ((year - 1980) << 9) | (
        t.tm_mon << 5
    ) | t.tm_mday


class Deflated:
    """One archive entry compressed as it is written: ``write`` bytes, then ``finish``."""

    def __init__(self, level: int = COMPRESS_LEVEL) -> None:
        self.file: BinaryIO = tempfile.TemporaryFile(prefix="supervise-", suffix=".deflate")
        self._z = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.compressed = 0
        self.finished = False

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        out = self._z.compress(data)
        if out:
            self.file.write(out)
            self.compressed += len(out)

    def finish(self) -> None:
        if not self.finished:
            out = self._z.flush()
            self.file.write(out)
            self.compressed += len(out)
            self.finished = True

    def close(self) -> None:
        self.file.close()


class ZipOut:
    """Writes a ZIP archive to ``stream`` (a file opened ``wb``), entry by entry."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.offset = 0
        self._central: list[bytes] = []
        self._time, self._date = _dos_time(time.time())

    def _emit(self, data: bytes) -> None:
        self.stream.write(data)
        self.offset += len(data)

    def _header(self, name: str, crc: int, compressed: int, size: int) -> None:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else _UTF8_NAMES
        big = size >= ZIP64_LIMIT or compressed >= ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) if big else b""
        version = 45 if big else 20
        sizes = (_MAX32, _MAX32) if big else (compressed, size)
        offset = self.offset
        self._emit(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                flags,
                8,
                self._time,
                self._date,
                crc,
                *sizes,
                len(raw),
                len(extra),
            )
            + raw
            + extra
        )
        # the central record: ZIP64 fields for what does not fit, in the order of the spec
        fields, central_sizes, central_offset = [], [compressed, size], offset
        if size >= ZIP64_LIMIT:
            fields.append(size)
            central_sizes[1] = _MAX32
        if compressed >= ZIP64_LIMIT:
            fields.append(compressed)
            central_sizes[0] = _MAX32
        if offset >= ZIP64_LIMIT:
            fields.append(offset)
            central_offset = _MAX32
        cextra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
        cversion = 45 if fields else 20
        self._central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                cversion,
                cversion,
                flags,
                8,
                self._time,
                self._date,
                crc,
                *central_sizes,
                len(raw),
                len(cextra),
                0,
                0,
                0,
                0,
                central_offset,
            )
            + raw
            + cextra
        )

    def add(self, name: str, data: bytes | str) -> None:
        """An entry from bytes (or text, written as UTF-8) in memory."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        z = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        packed = z.compress(raw) + z.flush()
        self._header(name, zlib.crc32(raw), len(packed), len(raw))
        self._emit(packed)

    def add_deflated(self, name: str, part: Deflated) -> None:
        """An entry compressed ahead by :class:`Deflated` (copied, not recompressed)."""
        part.finish()
        self._header(name, part.crc, part.compressed, part.size)
        part.file.seek(0)
        while chunk := part.file.read(_COPY):
            self._emit(chunk)

    def close(self) -> None:
        """The central directory and its end record (ZIP64 ones when needed)."""
        start = self.offset
        for record in self._central:
            self._emit(record)
        length = self.offset - start
        count = len(self._central)
        if count >= 0xFFFF or start >= ZIP64_LIMIT or length >= ZIP64_LIMIT:
            end64 = self.offset
            self._emit(
                struct.pack(
                    "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, start
                )
            )
            self._emit(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
            count = min(count, 0xFFFF)
            length, start = (
                (_MAX32 if length >= ZIP64_LIMIT else length),
                (_MAX32 if start >= ZIP64_LIMIT else start),
            )
        self._emit(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, length, start, 0))


__all__ = ["COMPRESS_LEVEL", "Deflated", "ZIP64_LIMIT", "ZipOut"]
