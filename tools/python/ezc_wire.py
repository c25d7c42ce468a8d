"""ezc_wire — read and write ezc AxisArray messages from Python.

Only numpy, pyzmq and msgpack are needed (Debian: python3-numpy,
python3-zmq, python3-msgpack). The format is specified in
docs/wire-format.md: a ZeroMQ multipart message [topic][header][data],
the header one msgpack map, the data raw C-order little-endian bytes.

    import ezc_wire
    sub = ezc_wire.Subscriber("tcp://127.0.0.1:5560")
    msg = sub.recv(timeout_ms=1000)        # Message or None
    print(msg.dims, msg.data.shape, msg.axes["time"]["gain"])

    pub = ezc_wire.Publisher("tcp://127.0.0.1:5561")
    pub.send(np.zeros((100, 8), np.float32), ["time", "ch"],
             axes={"time": ezc_wire.linear_axis(1 / 1000, 0.0, "s")})
"""
import os
import time

import msgpack
import numpy as np
import zmq

VERSION = 1
MAX_DIMS = 8
NAME_MAX = 31
MAX_HEADER = 1 << 20
DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex64", "complex128")


class WireError(ValueError):
    """A malformed message; the text names the field."""


class Message:
    """One AxisArray: data (numpy, read-only view of the frame), dims, axes
    (dim -> dict), key, attrs, and the transport fields."""

    def __init__(self, data, dims, axes=None, key="", attrs=None, src=0, seq=0, ts_ns=0,
                 topic=""):
        self.data = data
        self.dims = list(dims)
        self.axes = axes or {}
        self.key = key
        self.attrs = attrs or {}
        self.src = src
        self.seq = seq
        self.ts_ns = ts_ns
        self.topic = topic

    def __repr__(self):
        return (f"Message(topic={self.topic!r}, seq={self.seq}, dtype={self.data.dtype}, "
                f"shape={self.data.shape}, dims={self.dims}, key={self.key!r})")


def linear_axis(gain, offset=0.0, unit=""):
    return {"kind": "linear", "gain": float(gain), "offset": float(offset), "unit": unit}


def coord_axis(labels=None, values=None, unit=""):
    if (labels is None) == (values is None):
        raise ValueError("coord_axis: give labels or values")
    ax = {"kind": "coord", "unit": unit}
    if labels is not None:
        ax["labels"] = [str(x) for x in labels]
    else:
        ax["values"] = [float(x) for x in values]
    return ax


def encode_header(data, dims, axes=None, key="", attrs=None, src=0, seq=0, ts_ns=None):
    """The msgpack header for numpy array `data` (bytes)."""
    data = np.asarray(data)
    if data.dtype.name not in DTYPES:
        raise WireError(f"header.dtype: {data.dtype.name} is not an ezc dtype")
    if len(dims) != data.ndim:
        raise WireError(f"header.dims: {len(dims)} names for {data.ndim} dims")
    header = {
        "v": VERSION,
        "dtype": data.dtype.name,
        "shape": [int(n) for n in data.shape],
        "dims": [str(d) for d in dims],
        "axes": axes or {},
        "key": key,
        "attrs": attrs or {},
        "device": "cpu",
        "src": int(src),
        "seq": int(seq),
        "ts": time.time_ns() if ts_ns is None else int(ts_ns),
        "data": "inline",
    }
    return msgpack.packb(header, use_bin_type=True)


def encode(data, dims, topic="", **fields):
    """[topic, header, data] frames for zmq's send_multipart."""
    data = np.ascontiguousarray(data)
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    return [topic.encode() if isinstance(topic, str) else topic,
            encode_header(data, dims, **fields), memoryview(data).cast("B")]


def _need(cond, msg):
    if not cond:
        raise WireError(msg)


def decode(header, data, topic=""):
    """A Message from a header and a data frame (bytes-like); raises
    WireError naming the field for anything malformed."""
    header = bytes(header)
    _need(len(header) <= MAX_HEADER, f"header: {len(header)} bytes (at most {MAX_HEADER})")
    try:
        h = msgpack.unpackb(header, raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises several types
        raise WireError(f"header: not msgpack ({e})") from None
    _need(isinstance(h, dict), "header: expected a msgpack map")
    for k in ("v", "dtype", "shape", "dims"):
        _need(k in h, f"header.{k}: missing (required: v, dtype, shape, dims)")
    _need(h["v"] == VERSION, f"header.v: unsupported format version {h['v']!r}")
    _need(h["dtype"] in DTYPES, f"header.dtype: unknown dtype {h['dtype']!r}")
    shape, dims = h["shape"], h["dims"]
    _need(isinstance(shape, list) and len(shape) <= MAX_DIMS, "header.shape: expected at most 8 integers")
    for i, n in enumerate(shape):
        _need(isinstance(n, int) and n >= 0, f"header.shape[{i}]: expected a non-negative integer")
    _need(isinstance(dims, list) and len(dims) == len(shape),
          f"header.dims: {len(dims) if isinstance(dims, list) else '?'} names for {len(shape)} dims")
    for i, d in enumerate(dims):
        _need(isinstance(d, str) and 0 < len(d.encode()) <= NAME_MAX,
              f"header.dims[{i}]: a dim name must be 1..{NAME_MAX} bytes")
        _need(d not in dims[:i], f"header.dims[{i}]: duplicate dim {d!r}")
    _need(h.get("data", "inline") == "inline", f"header.data: transport {h.get('data')!r} not supported")
    dtype = np.dtype(h["dtype"]).newbyteorder("<")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    _need(count <= 1 << 40, "header.shape: more than 2^40 elements")
    nbytes = count * dtype.itemsize
    _need(len(data) == nbytes,
          f"data: frame has {len(data)} bytes, header.shape x itemsize({h['dtype']}) = {nbytes}")
    axes = h.get("axes", {})
    _need(isinstance(axes, dict), "header.axes: expected a map")
    for name, ax in axes.items():
        _need(name in dims, f"header.axes: {name!r} is not one of the dims")
        _need(isinstance(ax, dict) and ax.get("kind") in ("linear", "coord"),
              f"header.axes.{name}.kind: expected \"linear\" or \"coord\"")
        if ax["kind"] == "coord":
            entries = ax.get("labels", ax.get("values"))
            _need(isinstance(entries, list) and len(entries) == shape[dims.index(name)],
                  f"header.axes.{name}: coordinate count does not match the dim length")
    arr = np.frombuffer(data, dtype=dtype, count=count).reshape(shape)
    return Message(arr, dims, axes, h.get("key", ""), h.get("attrs", {}), h.get("src", 0),
                   h.get("seq", 0), h.get("ts", 0),
                   topic.decode(errors="replace") if isinstance(topic, (bytes, bytearray)) else topic)


def decode_frames(frames):
    """A Message from the three frames of one ZeroMQ message."""
    _need(len(frames) == 3, f"frames: expected 3 ([topic][header][data]), got {len(frames)}")
    return decode(frames[1], frames[2], bytes(frames[0]))


class Publisher:
    """Binds an XPUB socket like an ezc publisher: numbered messages under a
    random publisher id, so ezc subscribers count gaps."""

    def __init__(self, endpoint, hwm=1000, context=None):
        self.ctx = context or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.XPUB)
        self.sock.setsockopt(zmq.SNDHWM, hwm)
        self.sock.setsockopt(zmq.XPUB_NODROP, 1)
        self.sock.setsockopt(zmq.LINGER, 1000)
        self.sock.bind(endpoint)
        self.endpoint = self.sock.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.src = int.from_bytes(os.urandom(8), "little")
        self.seq = {}
        self.subscriptions = 0

    def wait_subscribers(self, n=1, timeout_ms=5000):
        deadline = time.monotonic() + timeout_ms / 1000
        while self.subscriptions < n:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left):
                return False
            if self.sock.recv()[:1] == b"\x01":
                self.subscriptions += 1
        return True

    def send(self, data, dims, topic="", **fields):
        seq = self.seq.get(topic, 0)
        self.sock.send_multipart(encode(data, dims, topic, src=self.src, seq=seq, **fields),
                                 copy=False)
        self.seq[topic] = seq + 1

    def close(self):
        self.sock.close()


class Subscriber:
    """Connects a SUB socket to an ezc publisher (topic = prefix filter)."""

    def __init__(self, endpoint, topic="", context=None):
        self.ctx = context or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self.sock.connect(endpoint)

    def recv(self, timeout_ms=-1):
        """The next Message, or None after timeout_ms (-1 waits forever)."""
        if timeout_ms >= 0 and not self.sock.poll(timeout_ms):
            return None
        return decode_frames(self.sock.recv_multipart(copy=False))

    def close(self):
        self.sock.close()
