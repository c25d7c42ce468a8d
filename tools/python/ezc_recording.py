"""ezc_recording — read ezc recordings (`ezc record`, the graph `record`
sink) with numpy alone: no ezc, no msgpack package, no ZeroMQ.

The layout is docs/recording-format.md. Each message keeps its wire frames
byte for byte (docs/wire-format.md): the topic, the msgpack header (decoded
here by a small msgpack reader) and the data, which comes back as a
read-only numpy view of the memory-mapped file.

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
import zlib

import numpy as np

FILE_MAGIC = b"EZCREC1\n"
END_MAGIC = b"EZCEND1\n"
REC_MAGIC = b"EZCM"
IDX_MAGIC = b"EZCI"
VERSION = 1
MAX_TOPIC = 4096
MAX_HEADER = 1 << 20
DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex64", "complex128")


class RecordingError(ValueError):
    """A truncated or corrupt recording; the text names the file and the offset."""


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

    def __init__(self, topic, header_bytes, data_bytes, recv_ns, offset):
        self.topic_bytes = bytes(topic)
        self.topic = self.topic_bytes.decode("utf-8", errors="replace")
        self.header_bytes = header_bytes
        self.data_bytes = data_bytes
        self.recv_ns = recv_ns
        self.offset = offset
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
        count = int(np.prod(h["shape"], dtype=np.int64)) if h["shape"] else 1
        return np.frombuffer(self.data_bytes, dtype=dtype, count=count).reshape(h["shape"])

    def __repr__(self):
        return (f"Message(topic={self.topic!r}, seq={self.header.get('seq')}, "
                f"dtype={self.header['dtype']}, shape={self.header['shape']}, "
                f"recv_ns={self.recv_ns})")


class Recording:
    """A recording file, checked when opened (RecordingError names the
    offset of a truncated or corrupt part)."""

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
        if version != VERSION:
            self._bad(8, f"format version {version} (this reader knows {VERSION})")
        if size < 32 + 16 + 32 or bytes(buf[size - 8:]) != END_MAGIC:
            self._bad(size, f"truncated: no index footer at the end of the file ({size} bytes; "
                            "the recorder did not finish)")
        foot = size - 32
        ioff, count, icrc = struct.unpack_from("<QQI", buf, foot)
        if ioff < 32 or ioff + 16 + 16 * count != foot:
            self._bad(foot, f"footer: index at {ioff} with {count} entries does not fit a "
                            f"{size}-byte file")
        if bytes(buf[ioff:ioff + 4]) != IDX_MAGIC or struct.unpack_from("<Q", buf, ioff + 8)[0] != count:
            self._bad(ioff, "index header: bad marker or count")
        index = np.frombuffer(buf, dtype="<u8", count=2 * count, offset=ioff + 16).reshape(count, 2)
        if zlib.crc32(buf[ioff + 16:foot]) != icrc:
            self._bad(ioff + 16, "index checksum mismatch")
        self.offsets = index[:, 0].astype(np.int64)
        self.recv_ns = index[:, 1].view(np.int64).astype(np.int64)
        self._spans = []
        off = 32
        for i in range(count):
            if self.offsets[i] != off:
                self._bad(ioff + 16 + 16 * i, f"index entry {i}: offset {self.offsets[i]}, expected {off}")
            if ioff - off < 32:
                self._bad(off, f"message {i}: record header cut short")
            if bytes(buf[off:off + 4]) != REC_MAGIC:
                self._bad(off, f"message {i}: no record marker (EZCM)")
            tlen, hlen, crc, dlen, recv = struct.unpack_from("<IIIQq", buf, off + 4)
            if tlen > MAX_TOPIC or hlen > MAX_HEADER:
                self._bad(off, f"message {i}: topic {tlen} / header {hlen} bytes: too long")
            meta = _align16(tlen + hlen)
            end = off + 32 + meta + _align16(dlen)
            if end > ioff:
                self._bad(off, f"message {i}: its frames ({tlen} + {hlen} + {dlen} bytes) run "
                               f"past the records' end at {ioff}")
            t0 = off + 32
            if zlib.crc32(buf[t0:t0 + tlen + hlen]) != crc:
                self._bad(off, f"message {i}: topic/header checksum mismatch")
            if recv != self.recv_ns[i]:
                self._bad(off + 24, f"message {i}: receive time differs from the index")
            self._spans.append((t0, tlen, hlen, t0 + meta, dlen))
            off = end
        if off != ioff:
            self._bad(off, f"{ioff - off} bytes between the last record and the index")

    def _bad(self, offset, what):
        raise RecordingError(f"recording {self.path}: offset {offset}: {what}")

    def __len__(self):
        return len(self._spans)

    def __getitem__(self, i):
        t0, tlen, hlen, d0, dlen = self._spans[i]
        b = self._buf
        return Message(b[t0:t0 + tlen], b[t0 + tlen:t0 + tlen + hlen], b[d0:d0 + dlen],
                       int(self.recv_ns[i]), int(self.offsets[i]))

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
        rec = Recording(argv[1])
    except (OSError, RecordingError) as e:
        print(e, file=sys.stderr)
        return 1
    t0 = rec.recv_ns[0] if len(rec) else 0
    for m in rec:
        h = m.header
        print(f"{(m.recv_ns - t0) / 1e9:10.6f} s  topic={m.topic} seq={h.get('seq')} "
              f"dtype={h['dtype']} shape={h['shape']} dims={h['dims']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
