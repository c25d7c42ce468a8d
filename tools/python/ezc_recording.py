"""ezc_recording — read ezc recordings (`ezc record`, the graph `record`
sink) with numpy alone: no ezc, no msgpack package, no ZeroMQ.

The layout is docs/recording-format.md. Each message keeps its wire frames
byte for byte (docs/wire-format.md): the topic, the msgpack header (decoded
here by a small msgpack reader) and the data, which comes back as a
read-only numpy view of the memory-mapped file.

Opening checks what `ezc replay` checks: the structure, every checksum
(record header, topic and header frames, and from format version 2 the
data, CRC-32C) and every header (its shape against the data length). A
file whose recorder died (no index footer) is read up to its last complete
record: `finished` is False, and `discarded` / `discard_reason` say how
many bytes at the end were left out and why.

    import ezc_recording
    rec = ezc_recording.Recording("run.ezr")
    print(len(rec), rec.recv_ns[:3])
    for m in rec:                       # Message objects, in order
        print(m.topic, m.header["seq"], m.dims, m.data.shape)
    x = rec[0].data                     # numpy, shape and dtype from the header
    rec.close()

Command line: `python3 ezc_recording.py FILE` prints one line per message.
"""
import struct
import sys
import warnings
import zlib

import numpy as np

FILE_MAGIC = b"EZCREC1\n"
END_MAGIC = b"EZCEND1\n"
REC_MAGIC = b"EZCM"
IDX_MAGIC = b"EZCI"
VERSION = 2          # written by ezc now; versions 1 and 2 are read
MAX_TOPIC = 4096
MAX_HEADER = 1 << 20
MAX_ELEMENTS = 1 << 40
REC_HEAD = {1: 32, 2: 48}
DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex64", "complex128")


class RecordingError(ValueError):
    """A truncated or corrupt recording; the text names the file and the offset."""


class RecordingWarning(UserWarning):
    """A recording read with less checking than usual (format version 1:
    data without checksum) or read in part (unfinished)."""


# ---- CRC-32C (Castagnoli), the data checksum of format version 2 ----
#
# Python has no CRC-32C built in, so numpy computes it: the data is cut in K
# lanes of L bytes whose CRCs advance together, 4 bytes a step for all lanes
# (two lookups in 16-bit tables), then the lane CRCs are joined, which is
# possible because a CRC is linear: feeding L more bytes maps a CRC through
# a fixed 32x32 bit matrix (the effect of L zero bytes) and XORs the new
# bytes' own.

_C32C_POLY = 0x82F63B78
_c32c_table = None
_c32c_list = None
_c32c_shift = {}
_c32c_u = None  # 16-bit tables: the register after 2 (u0) or 4 (u1) zero bytes


def _c32c_init():
    global _c32c_table, _c32c_list
    if _c32c_table is None:
        t = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ _C32C_POLY if c & 1 else c >> 1
            t.append(c)
        _c32c_list = t
        _c32c_table = np.array(t, dtype=np.uint32)


def _c32c_words_init():
    global _c32c_u
    if _c32c_u is None:
        def step(r):
            return _c32c_table[r & 0xff] ^ (r >> 8)
        u0 = step(step(np.arange(65536, dtype=np.uint32)))
        _c32c_u = (u0, step(step(u0)))


def _c32c_zeros_matrix(n):
    """Columns of the map 'feed n zero bytes' on the 32-bit CRC register."""
    if n not in _c32c_shift:
        reg = np.array([1 << k for k in range(32)], dtype=np.uint32)
        for _ in range(n):
            reg = _c32c_table[reg & 0xff] ^ (reg >> 8)
        _c32c_shift[n] = [int(v) for v in reg]
    return _c32c_shift[n]


def _c32c_apply(cols, reg):
    out, k = 0, 0
    while reg:
        if reg & 1:
            out ^= cols[k]
        reg >>= 1
        k += 1
    return out


def crc32c(data, crc=0):
    """CRC-32C of data (bytes-like), continuing crc (0 to start), as
    ezc_crc32c in C: crc32c(b"123456789") == 0xE3069283."""
    _c32c_init()
    buf = np.frombuffer(data, dtype=np.uint8) if len(data) else np.zeros(0, np.uint8)
    n = len(buf)
    reg = crc ^ 0xFFFFFFFF
    lane = 64
    while lane * lane < n:
        lane *= 2
    k = n // lane if n >= 4 * lane else 0
    if k:
        _c32c_words_init()
        u0, u1 = _c32c_u
        words = buf[:k * lane].view("<u4").reshape(k, lane // 4)
        r = np.zeros(k, dtype=np.uint32)
        for j0 in range(0, lane // 4, 64):  # columns a block at a time, transposed
            for col in np.ascontiguousarray(words[:, j0:j0 + 64].T):
                r ^= col
                r = u1[r & 0xffff] ^ u0[r >> 16]
        shift = _c32c_zeros_matrix(lane)
        for v in r.tolist():
            reg = _c32c_apply(shift, reg) ^ v
    t = _c32c_list
    for b in buf[k * lane:].tobytes():
        reg = t[(reg ^ b) & 0xff] ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


def shape_count(shape, what="header.shape"):
    """Elements of a shape read from a file, as ezc_shape_count checks it:
    at most 8 dims, each an int in [0, 2^40], the product at most 2^40."""
    if not isinstance(shape, list) or len(shape) > 8:
        raise ValueError(f"{what}: expected a list of at most 8 dims")
    n = 1
    for i, d in enumerate(shape):
        if isinstance(d, bool) or not isinstance(d, int) or d < 0 or d > MAX_ELEMENTS:
            raise ValueError(f"{what}[{i}] = {d!r} is out of range [0, 2^40]")
        n *= d
    if n > MAX_ELEMENTS:
        raise ValueError(f"{what}: more than 2^40 elements")
    return n


def _align16(n):
    return (n + 15) & ~15


# ---- a minimal msgpack decoder (the subset any msgpack writer produces) ----

def _unpack(buf, pos, depth=0):
    if depth > 32:
        raise ValueError("nested deeper than 32 levels")
    b = buf[pos]
    pos += 1
    if b <= 0x7f:
        return b, pos
    if b >= 0xe0:
        return b - 0x100, pos
    if 0xa0 <= b <= 0xbf:
        return _str(buf, pos, b & 0x1f)
    if 0x90 <= b <= 0x9f:
        return _array(buf, pos, b & 0x0f, depth)
    if 0x80 <= b <= 0x8f:
        return _map(buf, pos, b & 0x0f, depth)
    fixed = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b", 0xd1: ">h",
             0xd2: ">i", 0xd3: ">q", 0xca: ">f", 0xcb: ">d"}
    if b in fixed:
        fmt = fixed[b]
        n = struct.calcsize(fmt)
        _need(buf, pos, n)
        return struct.unpack_from(fmt, buf, pos)[0], pos + n
    if b == 0xc0:
        return None, pos
    if b in (0xc2, 0xc3):
        return b == 0xc3, pos
    lens = {0xd9: ">B", 0xda: ">H", 0xdb: ">I", 0xc4: ">B", 0xc5: ">H", 0xc6: ">I",
            0xdc: ">H", 0xdd: ">I", 0xde: ">H", 0xdf: ">I"}
    if b in lens:
        fmt = lens[b]
        k = struct.calcsize(fmt)
        _need(buf, pos, k)
        n = struct.unpack_from(fmt, buf, pos)[0]
        pos += k
        if b in (0xd9, 0xda, 0xdb):
            return _str(buf, pos, n)
        if b in (0xc4, 0xc5, 0xc6):
            _need(buf, pos, n)
            return bytes(buf[pos:pos + n]), pos + n
        if b in (0xdc, 0xdd):
            return _array(buf, pos, n, depth)
        return _map(buf, pos, n, depth)
    ext = {0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}
    if b in ext:  # fixext: kept as (type, bytes)
        _need(buf, pos, 1 + ext[b])
        return (buf[pos], bytes(buf[pos + 1:pos + 1 + ext[b]])), pos + 1 + ext[b]
    if b in (0xc7, 0xc8, 0xc9):
        fmt = {0xc7: ">B", 0xc8: ">H", 0xc9: ">I"}[b]
        k = struct.calcsize(fmt)
        _need(buf, pos, k + 1)
        n = struct.unpack_from(fmt, buf, pos)[0]
        pos += k
        _need(buf, pos, 1 + n)
        return (buf[pos], bytes(buf[pos + 1:pos + 1 + n])), pos + 1 + n
    raise ValueError(f"byte 0x{b:02x} at {pos - 1} starts no msgpack value")


def _need(buf, pos, n):
    if pos + n > len(buf):
        raise ValueError("truncated")


def _str(buf, pos, n):
    _need(buf, pos, n)
    return bytes(buf[pos:pos + n]).decode("utf-8", errors="replace"), pos + n


def _array(buf, pos, n, depth):
    out = []
    for _ in range(n):
        v, pos = _unpack(buf, pos, depth + 1)
        out.append(v)
    return out, pos


def _map(buf, pos, n, depth):
    out = {}
    for _ in range(n):
        k, pos = _unpack(buf, pos, depth + 1)
        v, pos = _unpack(buf, pos, depth + 1)
        out[k if not isinstance(k, list) else tuple(k)] = v
    return out, pos


def msgpack_decode(buf):
    """One msgpack value filling buf exactly."""
    buf = memoryview(buf).cast("B")
    v, pos = _unpack(buf, 0)
    if pos != len(buf):
        raise ValueError(f"{len(buf) - pos} trailing bytes after the value")
    return v


# ---- the file ----

class Message:
    """One recorded message: topic (str), header (dict), the raw header
    bytes and data bytes as in the wire frames, recv_ns, and data as numpy."""

    def __init__(self, topic, header_bytes, data_bytes, recv_ns, offset, data_offset=None):
        self.topic_bytes = bytes(topic)
        self.topic = self.topic_bytes.decode("utf-8", errors="replace")
        self.header_bytes = header_bytes
        self.data_bytes = data_bytes
        self.recv_ns = recv_ns
        self.offset = offset            # of the record in the file
        self.data_offset = data_offset  # of its data in the file
        self.header = msgpack_decode(header_bytes)

    @property
    def dims(self):
        return list(self.header["dims"])

    @property
    def axes(self):
        return self.header.get("axes", {})

    @property
    def data(self):
        h = self.header
        dtype = np.dtype(h["dtype"]).newbyteorder("<")
        count = shape_count(h["shape"])
        return np.frombuffer(self.data_bytes, dtype=dtype, count=count).reshape(h["shape"])

    def __repr__(self):
        return (f"Message(topic={self.topic!r}, seq={self.header.get('seq')}, "
                f"dtype={self.header['dtype']}, shape={self.header['shape']}, "
                f"recv_ns={self.recv_ns})")


class Recording:
    """A recording file, checked when opened (RecordingError names the
    offset of a corrupt part). Attributes: version, finished (False: no
    index footer, read by scanning), discarded (bytes at the end left out),
    discard_reason, data_verified (False for version 1 files), offsets and
    recv_ns (numpy, one per message)."""

    def __init__(self, path):
        self.path = str(path)
        self._map = np.memmap(self.path, dtype=np.uint8, mode="r") if _size(self.path) else None
        buf = memoryview(self._map) if self._map is not None else memoryview(b"")
        self._buf = buf
        size = len(buf)
        if size < 32:
            self._bad(size, f"truncated: {size} bytes, less than the 32-byte file header")
        if bytes(buf[:8]) != FILE_MAGIC:
            self._bad(0, "not an ezc recording (no EZCREC1 magic)")
        version, _flags, self.created_ns = struct.unpack_from("<IIq", buf, 8)
        if version not in REC_HEAD:
            self._bad(8, f"format version {version} (this reader knows 1 to {VERSION})")
        self.version = version
        self._head = REC_HEAD[version]
        if _flags or any(buf[24:32]):
            self._bad(12, "file header: flags or reserved bytes are not zero")
        self.data_verified = version >= 2
        self.discarded = 0
        self.discard_reason = ""
        self.damaged = False
        self._spans = []
        offsets, recvs = [], []
        if size >= 32 + 16 + 32 and bytes(buf[size - 8:]) == END_MAGIC:
            self.finished = True
            foot = size - 32
            ioff, count, icrc = struct.unpack_from("<QQI", buf, foot)
            if ioff < 32 or ioff + 16 + 16 * count != foot:
                self._bad(foot, f"footer: index at {ioff} with {count} entries does not fit a "
                                f"{size}-byte file")
            if (bytes(buf[ioff:ioff + 4]) != IDX_MAGIC
                    or struct.unpack_from("<IQ", buf, ioff + 4) != (0, count)):
                self._bad(ioff, "index header: bad marker or count")
            if zlib.crc32(buf[ioff + 16:foot]) != icrc:
                self._bad(ioff + 16, "index checksum mismatch")
            if any(buf[foot + 20:foot + 24]):
                self._bad(foot + 20, "footer: reserved bytes are not zero")
            index = np.frombuffer(buf, dtype="<u8", count=2 * count,
                                  offset=ioff + 16).reshape(count, 2)
            off = 32
            for i in range(count):
                if int(index[i, 0]) != off:
                    self._bad(ioff + 16 + 16 * i,
                              f"index entry {i}: offset {int(index[i, 0])}, expected {off}")
                fault = self._check(i, off, ioff, "the records' end")
                if isinstance(fault, tuple):
                    self._bad(*fault)
                recv = struct.unpack_from("<q", buf, off + 24)[0]
                if recv != int(index[i, 1].view(np.int64)):
                    self._bad(off + 24, f"message {i}: receive time differs from the index")
                offsets.append(off)
                recvs.append(recv)
                off = fault
            if off != ioff:
                self._bad(off, f"{ioff - off} bytes between the last record and the index")
        else:
            self.finished = False
            off, i = 32, 0
            while off < size:
                fault = self._check(i, off, size, "the end of the file")
                if isinstance(fault, tuple):
                    at, why = fault
                    self.discarded = size - off
                    later = self._later_record(off)
                    self.damaged = later is not None
                    self.discard_reason = f"offset {at}: {why}" + (
                        f"; a whole record follows at offset {later} (the file is damaged, "
                        "not only unfinished)" if later is not None else "")
                    break
                offsets.append(off)
                recvs.append(struct.unpack_from("<q", buf, off + 24)[0])
                off = fault
                i += 1
        self.records_end = off
        self.offsets = np.array(offsets, dtype=np.int64)
        self.recv_ns = np.array(recvs, dtype=np.int64)
        if not self.data_verified:
            warnings.warn(f"recording {self.path}: format version {version}: its data bytes "
                          "carry no checksum and are not verified", RecordingWarning, stacklevel=2)
        if not self.finished:
            warnings.warn(f"recording {self.path} is unfinished (no index footer): read "
                          f"{len(self._spans)} complete messages; discarded the last "
                          f"{self.discarded} bytes"
                          + (f" from {self.discard_reason}" if self.discarded else ""),
                          RecordingWarning, stacklevel=2)

    def _check(self, i, off, end, end_what):
        """Checks record i at off (to end by `end`); returns where it ends, or
        (offset, what) for the fault. Every length is checked against the
        bytes left before it is followed."""
        buf, head = self._buf, self._head
        if end - off < head:
            return off, f"message {i}: record header cut short ({end - off} of {head} bytes)"
        marker = bytes(buf[off:off + 4])
        if marker != REC_MAGIC:
            return off, (f"message {i}: no record marker (EZCM)"
                         + (": an unfinished index" if marker == IDX_MAGIC else ""))
        if self.version >= 2:
            if crc32c(buf[off:off + 36]) != struct.unpack_from("<I", buf, off + 36)[0]:
                return off, f"message {i}: record header checksum mismatch"
        tlen, hlen, crc, dlen, _recv = struct.unpack_from("<IIIQq", buf, off + 4)
        if tlen > MAX_TOPIC or hlen > MAX_HEADER:
            return off, f"message {i}: topic {tlen} / header {hlen} bytes: too long"
        meta = _align16(tlen + hlen)
        stop = off + head + meta + _align16(dlen)
        if stop > end:
            return off, (f"message {i}: its frames ({tlen} + {hlen} + {dlen} bytes) run past "
                         f"{end_what} at {end}")
        t0 = off + head
        if zlib.crc32(buf[t0:t0 + tlen + hlen]) != crc:
            return off, f"message {i}: topic/header checksum mismatch"
        d0 = t0 + meta
        # No byte goes unchecked: what no checksum covers must be zero.
        if head > 32 and any(buf[off + 40:off + head]):
            at = off + 40 + next(k for k, b in enumerate(buf[off + 40:off + head]) if b)
            return at, f"message {i}: reserved record header byte is not zero"
        if any(buf[t0 + tlen + hlen:d0]) or any(buf[d0 + dlen:stop]):
            return off, f"message {i}: padding byte is not zero"
        if self.version >= 2:
            if crc32c(buf[d0:d0 + dlen]) != struct.unpack_from("<I", buf, off + 32)[0]:
                return off, (f"message {i}: data checksum mismatch (CRC-32C of the {dlen} data "
                             f"bytes at offset {d0})")
        try:
            h = msgpack_decode(buf[t0 + tlen:t0 + tlen + hlen])
            if not isinstance(h, dict):
                raise ValueError("the header is not a map")
            dtype = h.get("dtype")
            if dtype not in DTYPES:
                raise ValueError(f"header.dtype {dtype!r} unknown")
            count = shape_count(h.get("shape"))
            if h.get("data", "inline") != "inline":
                raise ValueError(f"header.data {h['data']!r}: a recording holds inline data")
            if count * np.dtype(dtype).itemsize != dlen:
                raise ValueError(f"{dlen} data bytes for shape {h['shape']} of {dtype}")
        except (ValueError, IndexError, KeyError, TypeError, struct.error) as e:
            return t0 + tlen, f"message {i}: {e}"
        self._spans.append((t0, tlen, hlen, d0, dlen))
        return stop

    def _later_record(self, start):
        """Offset of a whole record after start, if any: the file was then
        damaged, not only cut short."""
        size, spans = len(self._buf), len(self._spans)
        off = _align16(start + 1)
        data = bytes(self._buf[off:])
        pos = data.find(REC_MAGIC)
        while pos >= 0:
            at = off + pos
            if at % 16 == 0 and not isinstance(self._check(0, at, size, ""), tuple):
                del self._spans[spans:]
                return at
            pos = data.find(REC_MAGIC, pos + 1)
        return None

    def _bad(self, offset, what):
        raise RecordingError(f"recording {self.path}: offset {offset}: {what}")

    def __len__(self):
        return len(self._spans)

    def __getitem__(self, i):
        t0, tlen, hlen, d0, dlen = self._spans[i]
        b = self._buf
        return Message(b[t0:t0 + tlen], b[t0 + tlen:t0 + tlen + hlen], b[d0:d0 + dlen],
                       int(self.recv_ns[i]), int(self.offsets[i]), d0)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def close(self):
        self._spans = []
        self._buf = None
        self._map = None


def _size(path):
    import os
    return os.path.getsize(path)


def main(argv):
    if len(argv) != 2:
        print("usage: ezc_recording.py FILE", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", RecordingWarning)
            rec = Recording(argv[1])
    except (OSError, RecordingError) as e:
        print(e, file=sys.stderr)
        return 1
    for note in notes:
        print(note.message, file=sys.stderr)
    t0 = rec.recv_ns[0] if len(rec) else 0
    for m in rec:
        h = m.header
        print(f"{(m.recv_ns - t0) / 1e9:10.6f} s  topic={m.topic} seq={h.get('seq')} "
              f"dtype={h['dtype']} shape={h['shape']} dims={h['dims']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
