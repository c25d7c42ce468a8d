"""ezc_wire — read and write ezc AxisArray messages from Python.

Only numpy, pyzmq and msgpack are needed (Debian: python3-numpy,
python3-zmq, python3-msgpack, for Debian's /usr/bin/python3; another
interpreter needs them installed for itself). The format is specified in
docs/wire-format.md: a ZeroMQ multipart message [topic][header][data],
the header one msgpack map, the data raw C-order little-endian bytes.

A Publisher behaves like an ezc publisher: its first send waits (up to
first_wait_ms, default 500, after it was made) for a first subscriber, so
one that was already connecting gets the first message; an ipc:// endpoint
that a live process serves is refused (EndpointInUse), a dead one's socket
file is reclaimed, and the socket file is owner-only (0600).

    import ezc_wire
    sub = ezc_wire.Subscriber("tcp://127.0.0.1:5560")
    msg = sub.recv(timeout_ms=1000)        # Message or None
    print(msg.dims, msg.data.shape, msg.axes["time"]["gain"])

    pub = ezc_wire.Publisher("tcp://127.0.0.1:5561")
    pub.send(np.zeros((100, 8), np.float32), ["time", "ch"],
             axes={"time": ezc_wire.linear_axis(1 / 1000, 0.0, "s")})
    pub.send_eos()                         # the stream is over: receivers finish

End of stream: a header {"v": 1, "eos": true, "src", "seq", "ts"} with an
empty data frame (docs/wire-format.md). decode() returns an EndOfStream for
it (msg.eos is True; a Message's is False), Publisher.send_eos(topic)
sends one, encode_eos() makes its frames.

Restarts and loss are counted as ezc's subscriber does: sub.stats() (gaps,
restarts, restart_silence_ns, restart_lost), msg.restart on the first
message after a publisher restarted (how long it was silent, what was
lost: exact when it went on numbering), report=print for `ezc echo`'s
lines. CURVE: Publisher(ep, curve_server_key="amp.key",
curve_allow_dir="allow") and Subscriber(ep, curve_client_key="viewer.key",
curve_server_pub="amp.pub"), with `ezc keygen` files (docs/pubsub.md,
"Security").

Shared memory: ShmSubscriber reads an ezc publisher on ipc:// of this host
through its shared-memory pool instead of the socket: itself (mmap and
GCC's libatomic, Debian's libatomic1), or through libezc with
backend="libezc" (found by EZC_LIB or on the library path). msg.data is a
read-only numpy view of the publisher's slot: no byte is copied, and the
slot goes back when the last view of it is gone (keep arrays short-lived,
or np.copy them).

    sub = ezc_wire.ShmSubscriber("ipc:///tmp/raw")
    msg = sub.recv(timeout_ms=1000)        # Message, EndOfStream or None

Stream names (docs/pubsub.md "Names and discovery"): a stream published with
a name (`ezc pub --name emg`, a graph's outputs GRAPH/NODE) is found in this
host's registry, as `ezc echo NAME` does; anything that is not tcp://,
ipc:// or inproc:// is taken as a name. resolve(name) gives its entry (a
dict: name, endpoint, pid, graph, dtype, shape, dims, fs, ...), streams()
all of them; StreamNotFound names close matches.

    sub = ezc_wire.Subscriber(name="emg/envelope")   # or Subscriber("emg/envelope")
"""
import atexit
import errno
import fcntl
import math
import os
import socket
import stat
import struct
import sys
import threading
import time

try:
    import msgpack
    import numpy as np
    import zmq
    import zmq.utils.z85
except ImportError as _e:  # say what to install, for which interpreter
    raise ImportError(
        f"ezc_wire needs numpy, pyzmq and msgpack; "
        f"{ {'zmq': 'zmq (pyzmq)'}.get(_e.name, _e.name or str(_e))} is missing for "
        f"{sys.executable}. On Debian use /usr/bin/python3 with "
        f"`apt install python3-numpy python3-zmq python3-msgpack`, or "
        f"`{sys.executable} -m pip install numpy pyzmq msgpack`") from _e

VERSION = 1
MAX_DIMS = 8
NAME_MAX = 31
MAX_HEADER = 1 << 20
MAX_ELEMENTS = 1 << 40
DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex64", "complex128")


class WireError(ValueError):
    """A malformed message; the text names the field."""


class EndpointInUse(OSError):
    """An ipc:// endpoint a live process serves; the text names it and the pid."""


class Message:
    """One AxisArray: data (numpy, read-only view of the frame), dims, axes
    (dim -> dict), key, attrs, and the transport fields."""

    def __init__(self, data, dims, axes=None, key="", attrs=None, src=0, seq=0, ts_ns=0,
                 topic="", start_ns=0):
        self.data = data
        self.dims = list(dims)
        self.axes = axes or {}
        self.key = key
        self.attrs = attrs or {}
        self.src = src
        self.seq = seq
        self.ts_ns = ts_ns
        self.topic = topic
        self.start_ns = start_ns  # the publisher instance's start ("start"; 0 = not said)

    eos = False
    restart = None  # a Restart when a Subscriber saw its publisher restart just before it
    missing = 0     # messages a Subscriber found missing just before it (gaps)

    def __repr__(self):
        return (f"Message(topic={self.topic!r}, seq={self.seq}, dtype={self.data.dtype}, "
                f"shape={self.data.shape}, dims={self.dims}, key={self.key!r})")


class EndOfStream:
    """The end-of-stream marker of publisher `src` under `topic`: no data;
    `seq` is the number of messages it sent under the topic before it."""

    eos = True

    def __init__(self, src=0, seq=0, ts_ns=0, topic="", start_ns=0):
        self.src = src
        self.seq = seq
        self.ts_ns = ts_ns
        self.topic = topic
        self.start_ns = start_ns

    def __repr__(self):
        return f"EndOfStream(topic={self.topic!r}, src={self.src}, seq={self.seq})"


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


def encode_header(data, dims, axes=None, key="", attrs=None, src=0, seq=0, ts_ns=None,
                  start_ns=None):
    """The msgpack header for numpy array `data` (bytes). start_ns: when the
    publisher instance began (the "start" key: a receiver tells a restart
    under the same src by it); None = no such key."""
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
    if start_ns is not None:
        header["start"] = int(start_ns)
    return msgpack.packb(header, use_bin_type=True)


def encode(data, dims, topic="", **fields):
    """[topic, header, data] frames for zmq's send_multipart."""
    data = np.ascontiguousarray(data)
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    # A flat uint8 view: memoryview.cast refuses shapes with a zero in them.
    return [topic.encode() if isinstance(topic, str) else topic,
            encode_header(data, dims, **fields), memoryview(data.reshape(-1).view(np.uint8))]


def encode_eos(topic="", src=0, seq=0, ts_ns=None, start_ns=None):
    """[topic, header, data] frames of an end-of-stream marker; seq is the
    number of messages sent under the topic (what the next would have had)."""
    header = {"v": VERSION, "eos": True, "src": int(src), "seq": int(seq),
              "ts": time.time_ns() if ts_ns is None else int(ts_ns)}
    if start_ns is not None:
        header["start"] = int(start_ns)
    return [topic.encode() if isinstance(topic, str) else topic,
            msgpack.packb(header, use_bin_type=True), b""]


def _need(cond, msg):
    if not cond:
        raise WireError(msg)


def decode(header, data, topic=""):
    """A Message from a header and a data frame (bytes-like), or an
    EndOfStream for an end-of-stream marker; raises WireError naming the
    field for anything malformed."""
    header = bytes(header)
    _need(len(header) <= MAX_HEADER, f"header: {len(header)} bytes (at most {MAX_HEADER})")
    try:
        h = msgpack.unpackb(header, raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises several types
        raise WireError(f"header: not msgpack ({e})") from None
    _need(isinstance(h, dict), "header: expected a msgpack map")
    _need(isinstance(h.get("eos", False), bool), "header.eos: expected true or false")
    start = h.get("start", 0)
    _need(isinstance(start, int) and not isinstance(start, bool),
          "header.start: expected an integer (ns since the epoch)")
    if h.get("eos"):
        _need("v" in h, "header.v: missing (required: v, and eos for an end of stream)")
        _need(h["v"] == VERSION, f"header.v: unsupported format version {h['v']!r}")
        _need(len(data) == 0,
              f"data: an end-of-stream marker has an empty data frame, not {len(data)} bytes")
        _need(h.get("data", "inline") == "inline" and "cuda_ipc" not in h,
              "header.cuda_ipc: an end-of-stream marker carries no data")
        for k in ("src", "seq"):
            _need(isinstance(h.get(k, 0), int) and not isinstance(h.get(k, 0), bool)
                  and h.get(k, 0) >= 0, f"header.{k}: expected a non-negative integer")
        return EndOfStream(h.get("src", 0), h.get("seq", 0), h.get("ts", 0),
                           topic.decode(errors="replace")
                           if isinstance(topic, (bytes, bytearray)) else topic, start)
    for k in ("v", "dtype", "shape", "dims"):
        _need(k in h, f"header.{k}: missing (required: v, dtype, shape, dims)")
    _need(h["v"] == VERSION, f"header.v: unsupported format version {h['v']!r}")
    _need(h["dtype"] in DTYPES, f"header.dtype: unknown dtype {h['dtype']!r}")
    shape, dims = h["shape"], h["dims"]
    _need(isinstance(shape, list) and len(shape) <= MAX_DIMS, "header.shape: expected at most 8 integers")
    for i, n in enumerate(shape):
        _need(isinstance(n, int) and not isinstance(n, bool) and n >= 0,
              f"header.shape[{i}]: expected a non-negative integer")
        _need(n <= MAX_ELEMENTS, f"header.shape[{i}]: {n} is over 2^40")
    _need(isinstance(dims, list) and len(dims) == len(shape),
          f"header.dims: {len(dims) if isinstance(dims, list) else '?'} names for {len(shape)} dims")
    for i, d in enumerate(dims):
        _need(isinstance(d, str) and 0 < len(d.encode()) <= NAME_MAX,
              f"header.dims[{i}]: a dim name must be 1..{NAME_MAX} bytes")
        _need(d not in dims[:i], f"header.dims[{i}]: duplicate dim {d!r}")
    _need(h.get("data", "inline") == "inline", f"header.data: transport {h.get('data')!r} not supported")
    dtype = np.dtype(h["dtype"]).newbyteorder("<")
    # Python integers: the product cannot wrap (numpy's int64 prod would).
    _need(math.prod(n for n in shape if n) <= MAX_ELEMENTS, "header.shape: more than 2^40 elements")
    count = math.prod(shape)
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
                   topic.decode(errors="replace") if isinstance(topic, (bytes, bytearray)) else topic,
                   start)


def decode_frames(frames):
    """A Message from the three frames of one ZeroMQ message."""
    _need(len(frames) == 3, f"frames: expected 3 ([topic][header][data]), got {len(frames)}")
    return decode(frames[1], frames[2], bytes(frames[0]))


class _IpcClaim:
    """The lock ezc takes on an ipc:// path (docs/pubsub.md): an flock on
    PATH.lock holding the owner's pid, kept while the endpoint is bound."""

    def __init__(self, endpoint):
        self.fd = None
        self.path = os.path.abspath(endpoint[len("ipc://"):])  # release may run in another cwd
        self.lock = self.path + ".lock"
        self.sock_id = None
        for _ in range(16):
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.pread(fd, 23, 0).strip()
                os.close(fd)
                who = f"pid {int(pid)}" if pid.isdigit() else "another process"
                raise EndpointInUse(errno.EADDRINUSE,
                                    f"{endpoint}: in use by {who} (lock {self.lock})") from None
            mine = os.fstat(fd)
            try:
                there = os.stat(self.lock)
            except FileNotFoundError:
                there = None
            if there and (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                self.fd = fd
                break
            os.close(fd)  # its owner removed it meanwhile: lock the new one
        else:
            raise EndpointInUse(errno.EBUSY, f"{endpoint}: the lock file {self.lock} keeps changing")
        try:
            self._clear(endpoint)
        except BaseException:
            self.release()
            raise

    def _clear(self, endpoint):
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise EndpointInUse(errno.EEXIST,
                                f"{endpoint}: {self.path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.setblocking(False)  # a full backlog (EAGAIN) means a live listener too
        pid = 0
        try:
            probe.connect(self.path)
            pid = struct.unpack("3i", probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                       struct.calcsize("3i")))[0]
        except ConnectionRefusedError:  # nobody listens: a dead owner's file
            os.unlink(self.path)
            return
        except FileNotFoundError:
            return
        except BlockingIOError:
            pass
        finally:
            probe.close()
        who = f"pid {pid}" if pid > 0 else "another process"
        raise EndpointInUse(errno.EADDRINUSE, f"{endpoint}: in use by {who} (it holds no {self.lock})")

    def bound(self):
        os.chmod(self.path, 0o600)
        st = os.lstat(self.path)
        self.sock_id = (st.st_dev, st.st_ino)

    def release(self):
        if self.fd is None:
            return
        try:  # only the socket file this claim bound, and only our lock file
            st = os.lstat(self.path)
            if self.sock_id == (st.st_dev, st.st_ino) and stat.S_ISSOCK(st.st_mode):
                os.unlink(self.path)
        except FileNotFoundError:
            pass
        try:
            st, mine = os.stat(self.lock), os.fstat(self.fd)
            if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino):
                os.unlink(self.lock)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None


def _needs_claim(endpoint):
    path = endpoint[len("ipc://"):] if endpoint.startswith("ipc://") else ""
    return bool(path) and not path.startswith("@") and "*" not in path


class Publisher:
    """Binds an XPUB socket like an ezc publisher: numbered messages under a
    random publisher id (or src, one you keep across restarts), so ezc
    subscribers count gaps; every header carries this instance's start time
    ("start"), so they tell a restart from a gap.

    The first send waits for a first subscriber, at most until first_wait_ms
    (default 500; 0 = never) after the publisher was made: a subscriber that
    was already connecting gets the first message. For more than one, call
    wait_subscribers(n) before sending. ipc://: raises EndpointInUse when a
    live process serves the endpoint. close() (also at interpreter exit)
    lets queued messages go for up to linger_ms and removes the socket file.

    CURVE (tcp:// only, as ezc_pub_options): curve_server_key is this
    server's secret key file (`ezc keygen` NAME.key, refused when others may
    read it) and curve_allow_dir the folder whose NAME.pub files are the
    subscribers let in. Every connection is then encrypted; a subscriber
    with another key (or none) gets nothing, and each refused key is
    written once to `log` (default: stderr) with the peer's address and its
    public key in Z85 (its .pub text); `refused` counts them. A small ZAP
    handler thread of this module answers for the context (one per context,
    shared by its CURVE publishers); a context where something else bound
    inproc://zeromq.zap.01 is refused. ipc:// and inproc:// ignore these."""

    def __init__(self, endpoint, hwm=1000, context=None, first_wait_ms=500, linger_ms=1000,
                 src=None, curve_server_key=None, curve_allow_dir=None, log=None):
        if first_wait_ms < 0:
            raise ValueError(f"Publisher {endpoint}: first_wait_ms {first_wait_ms} must be >= 0")
        if src is not None and not 0 < int(src) < 1 << 64:
            raise ValueError(f"Publisher {endpoint}: src {src} must be 1 .. 2^64-1")
        if (curve_server_key is None) != (curve_allow_dir is None):
            raise ValueError(f"Publisher {endpoint}: curve_server_key and curve_allow_dir "
                             f"go together")
        self.ctx = context or zmq.Context.instance()
        self.refused = 0
        self._curve = None
        if curve_server_key and endpoint.startswith("tcp://"):
            self._curve = _CurveServer(self, curve_server_key, curve_allow_dir, log)
        self.claim = _IpcClaim(endpoint) if _needs_claim(endpoint) else None
        self.sock = self.ctx.socket(zmq.XPUB)
        try:
            self.sock.setsockopt(zmq.SNDHWM, hwm)
            self.sock.setsockopt(zmq.XPUB_NODROP, 1)
            self.sock.setsockopt(zmq.XPUB_VERBOSE, 1)
            self.sock.setsockopt(zmq.LINGER, linger_ms)
            self.linger_ms = linger_ms
            if self._curve:  # before the bind: ZeroMQ copies them into the listener
                self._curve.attach(self.sock)
            self.sock.bind(endpoint)
            if self.claim:
                self.claim.bound()
        except BaseException:
            self.sock.close(0)
            if self.claim:
                self.claim.release()
            if self._curve:
                self._curve.release()
            raise
        self.endpoint = self.sock.getsockopt(zmq.LAST_ENDPOINT).decode()
        if self._curve:
            self._curve.who = f"Publisher {self.endpoint}"
        self.src = int(src) if src is not None else int.from_bytes(os.urandom(8), "little")
        self.start_ns = time.time_ns()
        self.seq = {}
        self.subscriptions = 0
        self._first_wait_until = time.monotonic() + first_wait_ms / 1000 if first_wait_ms else None
        atexit.register(self.close)

    def wait_subscribers(self, n=1, timeout_ms=5000):
        deadline = time.monotonic() + timeout_ms / 1000
        while self.subscriptions < n:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left):
                return False
            if self.sock.recv()[:1] == b"\x01":
                self.subscriptions += 1
        return True

    def _first_wait(self):
        if self._first_wait_until is not None:
            left = self._first_wait_until - time.monotonic()
            self._first_wait_until = None
            if left > 0:
                self.wait_subscribers(1, int(left * 1000) + 1)

    def send(self, data, dims, topic="", **fields):
        self._first_wait()
        seq = self.seq.get(topic, 0)
        self.sock.send_multipart(encode(data, dims, topic, src=self.src, seq=seq,
                                        start_ns=self.start_ns, **fields), copy=False)
        self.seq[topic] = seq + 1

    def send_eos(self, topic=""):
        """Ends the stream under topic: subscribers finish after every
        message sent before. It takes no sequence number (seq tells how many
        were sent), so a subscriber counts no gap for it."""
        self._first_wait()
        self.sock.send_multipart(encode_eos(topic, self.src, self.seq.get(topic, 0),
                                            start_ns=self.start_ns))

    def close(self):
        """Closes the socket and returns once queued messages have gone
        out (on ipc://: once its subscribers have read them), at most
        linger_ms later; removes an ipc:// socket file it bound.
        Idempotent."""
        if self.sock.closed:
            return
        drain = _ConnDrain(self.endpoint)
        self.sock.close()
        if drain:
            drain.finish(self.linger_ms)
        if self.claim:
            self.claim.release()
        if self._curve:  # after the socket: no handshake asks for it any more
            self._curve.release()
        atexit.unregister(self.close)


class _ConnDrain:
    """A closing publisher's connections, held open until ZeroMQ has
    written out its queue and the kernel has delivered it, at most the
    linger time. Two losses it prevents, both measured (tests/test_pub_exit.py):
    Python does not wait for ZeroMQ's linger at exit (the context is not
    terminated), so a publisher that closed and exited lost what was still
    queued (~440 of 3,000 messages over tcp, ~500 over ipc); and on ipc://
    libzmq loses what is still in the kernel's buffer when the sender closes
    while the receiver's queue is full (zeromq/libzmq#4660), which
    core/ipc_drain.c prevents for ezc's own publishers (over tcp ezc's exit
    terminates the context, which waits)."""

    def __init__(self, endpoint):
        self.conns = []  # (ZeroMQ's fd, its socket inode, our dup as a socket)
        if endpoint.startswith("ipc://"):
            path, port = endpoint[6:], None
        elif endpoint.startswith("tcp://") and endpoint.rsplit(":", 1)[-1].isdigit():
            path, port = None, int(endpoint.rsplit(":", 1)[-1])
        else:
            return
        try:
            names = os.listdir("/proc/self/fd")
        except OSError:
            return
        for name in names:
            try:
                d = os.dup(int(name))
            except (OSError, ValueError):
                continue
            try:
                st = os.fstat(d)
                s = socket.socket(fileno=d) if stat.S_ISSOCK(st.st_mode) else None
            except OSError:
                s = None
            if s is None:
                os.close(d)
                continue
            try:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    ours = False  # the listener
                elif path is not None:
                    ours = s.family == socket.AF_UNIX and s.getsockname() in (path, path.encode())
                else:  # accepted by our listener: its local port is ours
                    ours = (s.family in (socket.AF_INET, socket.AF_INET6)
                            and s.type == socket.SOCK_STREAM and s.getsockname()[1] == port)
            except OSError:
                ours = False
            if ours:
                self.conns.append((int(name), st.st_ino, s))
            else:
                s.close()

    def finish(self, linger_ms):
        import array
        deadline = time.monotonic() + (linger_ms if linger_ms >= 0 else 1e12) / 1000
        while self.conns and time.monotonic() < deadline:
            left = []
            for fd, ino, s in self.conns:
                try:
                    zmq_has_it = os.readlink(f"/proc/self/fd/{fd}") == f"socket:[{ino}]"
                except OSError:
                    zmq_has_it = False
                q = array.array("i", [0])
                try:
                    # SIOCOUTQ: unix, bytes not yet read; tcp, bytes not yet acknowledged
                    fcntl.ioctl(s.fileno(), 0x5411, q, True)
                except OSError:
                    q[0] = 0
                if zmq_has_it or q[0] > 0:
                    left.append((fd, ino, s))
                else:
                    s.close()
            self.conns = left
            if left:
                time.sleep(0.001)
        for _, _, s in self.conns:
            s.close()


# ---- CURVE server side: the ZAP handler (RFC 27), as core/curve.c ----

ZAP_ENDPOINT = "inproc://zeromq.zap.01"


class _ZapHandler:
    """Answers ZeroMQ's authentication requests for one context: a REP
    socket on inproc://zeromq.zap.01 served by a thread; each CURVE
    publisher of the context is a ZAP domain with its own allowed keys.
    Stops (and unbinds) when its last publisher is released."""

    _lock = threading.Lock()
    _by_ctx = {}  # id(context) -> handler

    @classmethod
    def join(cls, ctx, server):
        with cls._lock:
            h = cls._by_ctx.get(id(ctx))
            if h is None:
                h = cls(ctx)
                cls._by_ctx[id(ctx)] = h
            h.servers[server.domain] = server

    @classmethod
    def leave(cls, ctx, server):
        with cls._lock:
            h = cls._by_ctx.get(id(ctx))
            if h is None or h.servers.pop(server.domain, None) is None or h.servers:
                return
            del cls._by_ctx[id(ctx)]
        h.stop.set()
        h.thread.join()

    def __init__(self, ctx):
        self.servers = {}
        self.stop = threading.Event()
        sock = ctx.socket(zmq.REP)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.bind(ZAP_ENDPOINT)
        except zmq.ZMQError as e:
            sock.close(0)
            raise RuntimeError(f"cannot start the ZAP handler on {ZAP_ENDPOINT}: {e}"
                               + (" (the program runs its own ZAP handler on this context, "
                                  "e.g. zmq.auth: give the Publisher a context of its own)"
                                  if e.errno == errno.EADDRINUSE else "")) from None
        self.thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                       name="ezc_wire ZAP")
        self.thread.start()

    def _serve(self, sock):
        try:
            while not self.stop.is_set():
                if not sock.poll(100):
                    continue
                frames = sock.recv_multipart()
                status = "400"
                if len(frames) >= 6 and frames[0] == b"1.0":
                    status = self._decide(frames)
                sock.send_multipart([b"1.0", frames[1] if len(frames) > 1 else b"",
                                     status.encode(), b"OK" if status == "200" else b"not allowed",
                                     b"", b""])
        finally:
            sock.close(0)

    def _decide(self, f):
        domain, addr, mech = f[2].decode(errors="replace"), f[3].decode(errors="replace"), f[5]
        with self._lock:
            server = self.servers.get(domain)
        if server is None:  # not ours: a plaintext socket without a domain passes, as without us
            return "200" if mech == b"NULL" and domain == "" else "400"
        if mech != b"CURVE" or len(f) < 7:
            server.refuse(addr, None, "(not a CURVE handshake)")
            return "400"
        if len(f[6]) == 32 and f[6] in server.keys:
            return "200"
        server.refuse(addr, f[6], f"is not in {server.allow_dir}")
        return "400"


def _read_secret_key(path):
    """The Z85 secret key of a NAME.key file, refused when group or others
    may read it (whatever its name), as ezc does."""
    mode = os.stat(path).st_mode
    if mode & 0o077:
        raise ValueError(f"secret key {path}: mode {mode & 0o7777:04o} lets others read it; "
                         f"chmod 600 {path}")
    return _checked_z85(path, read_curve_key(path))


def _checked_z85(path, key):
    try:
        if len(zmq.utils.z85.decode(key)) == 32:
            return key
    except Exception:  # z85 raises ValueError or KeyError on bad text
        pass
    raise ValueError(f"{path}: not a CURVE key (expected 40 characters of Z85)")


class _CurveServer:
    """A Publisher's CURVE side: its secret key, its allowed public keys (the
    .pub files of allow_dir, read once), its ZAP domain, the refusals."""

    _next = 0
    MAX_LOGGED = 64  # refused keys remembered, to write each once

    def __init__(self, pub, secret_file, allow_dir, log):
        if not zmq.has("curve"):
            raise RuntimeError(f"Publisher: CURVE needs a libzmq built with libsodium "
                               f"(zmq.has('curve') is false in libzmq {zmq.zmq_version()})")
        self.pub, self.ctx, self.allow_dir = pub, pub.ctx, allow_dir
        self.who = "Publisher"
        self.secret = _read_secret_key(secret_file)
        self.keys = set()
        try:
            names = sorted(os.listdir(allow_dir))
        except OSError as e:
            raise ValueError(f"cannot read the allowed keys folder {allow_dir}: "
                             f"{e.strerror}") from None
        for n in names:
            if n.endswith(".pub") and not n.startswith("."):
                path = os.path.join(allow_dir, n)
                self.keys.add(zmq.utils.z85.decode(_checked_z85(path, read_curve_key(path))))
        if not self.keys:
            raise ValueError(f"allowed keys folder {allow_dir} holds no .pub file: "
                             f"nobody could connect")
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.logged, self.logged_more = set(), False
        with _ZapHandler._lock:
            self.domain = f"ezc-py-{os.getpid()}-{_CurveServer._next}"
            _CurveServer._next += 1
        _ZapHandler.join(self.ctx, self)
        self.joined = True

    def attach(self, sock):
        sock.setsockopt(zmq.CURVE_SERVER, 1)
        sock.setsockopt(zmq.CURVE_SECRETKEY, self.secret)
        sock.setsockopt(zmq.ZAP_DOMAIN, self.domain.encode())

    def refuse(self, addr, key, why):
        """Counted always; written once per key (the first 64 keys)."""
        self.pub.refused += 1
        z85 = zmq.utils.z85.encode(key).decode() if key and len(key) == 32 else "(none)"
        if key in self.logged:
            return
        if len(self.logged) >= self.MAX_LOGGED:
            if not self.logged_more:
                self.log(f"ezc_wire: {self.who}: more refused keys; later ones are only counted")
            self.logged_more = True
            return
        self.logged.add(key)
        self.log(f"ezc_wire: {self.who}: refused a subscriber from {addr}: key {z85} {why} "
                 f"(logged once per key)")

    def release(self):
        if self.joined:
            self.joined = False
            _ZapHandler.leave(self.ctx, self)


def read_curve_key(path):
    """The Z85 key (bytes) of an `ezc keygen` file: the first line that is
    not a '#' comment (docs/pubsub.md, "Security"). A secret key file that
    group or others may read is refused, as ezc does."""
    if path.endswith(".key") and os.stat(path).st_mode & 0o077:
        raise ValueError(f"secret key {path}: lets others read it; chmod 600 {path}")
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(b"#"):
                if len(line) != 40:
                    raise ValueError(f"{path}: not a CURVE key (expected 40 characters of Z85)")
                return line
    raise ValueError(f"{path}: no key in the file")


# ---- stream names (the registry in the run folder; ezc/names.h) ----

class StreamNotFound(LookupError):
    """No live publisher holds the name (the message lists close matches)."""


def is_endpoint(s):
    """True for tcp://, ipc:// and inproc:// endpoints; anything else is a name."""
    return s.startswith(("tcp://", "ipc://", "inproc://"))


def run_dir():
    """The per-user run folder (ezc/rundir.h): $EZC_RUN_DIR, else
    $XDG_RUNTIME_DIR/ezc, else /tmp/ezc-UID."""
    if os.environ.get("EZC_RUN_DIR"):
        return os.environ["EZC_RUN_DIR"]
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "ezc")
    return f"/tmp/ezc-{os.geteuid()}"


def _streams_dir():
    d = os.path.join(run_dir(), "streams")
    for f in (run_dir(), d):
        try:
            st = os.lstat(f)
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise OSError(f"run folder {f}: not a folder of ours closed to others: refused")
    return d


def _escape(name):
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else
                   "".join(f"%{b:02X}" for b in c.encode()) for c in name)


def _live_entry(d, esc):
    """The entry of esc when its owner holds its lock, else None (a dead
    owner's entry is removed, as ezc does)."""
    lock, entry = os.path.join(d, esc + ".stream.lock"), os.path.join(d, esc + ".stream")
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with open(entry) as f:
                return _parse_entry(f.read())
        st, now = os.fstat(fd), os.stat(lock)
        if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
            for f in (entry, lock):
                try:
                    os.unlink(f)
                except FileNotFoundError:
                    pass
        return None
    except FileNotFoundError:
        return None
    finally:
        os.close(fd)


def _parse_entry(text):
    e = {"name": "", "endpoint": "", "pid": 0, "graph": "", "id": 0, "topic": "",
         "dtype": "", "shape": None, "dims": None, "fs": 0.0}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if not sep:
            continue
        if k in ("pid", "id", "started_ns"):
            e[k] = int(v or 0)
        elif k == "fs":
            e[k] = float(v or 0)
        elif k == "shape":
            e[k] = [int(x) for x in v.split(",") if x]
        elif k == "dims":
            e[k] = v.split(",") if v else []
        else:
            e[k] = v
    return e


def streams():
    """Every live named stream of this host (a list of entry dicts, by name)."""
    d = _streams_dir()
    out = []
    for f in sorted(os.listdir(d)) if d else []:
        if f.endswith(".stream") and not f.startswith("."):
            e = _live_entry(d, f[:-len(".stream")])
            if e and e["endpoint"]:
                out.append(e)
    return out


def resolve(name, timeout_ms=0):
    """The entry (a dict with 'endpoint') of the live stream `name`, waiting
    up to timeout_ms (-1 forever) for it to appear; StreamNotFound. With
    EZC_DISCOVERY or EZC_PEERS set, a name not registered here is listened
    for as ezc does (a beacon of another host: the entry then has "host"
    and "time")."""
    deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms >= 0 else None
    while True:
        d = _streams_dir()
        e = _live_entry(d, _escape(name)) if d else None
        if e and e["endpoint"] and e["name"] == name:
            return e
        if _discovery_env()[2]:  # another host's, heard from its beacon
            wait_ms = int(os.environ.get("EZC_DISCOVERY_WAIT_MS") or 1500)
            found = listen_beacons(wait_ms / 1000, name=name)
            if found:
                return found[0]
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    names = [x["name"] for x in streams()]
    close = [n for n in names if name in n or n in name or _distance(name, n) <= max(2, len(name) // 3)]
    if close:
        raise StreamNotFound(f"no stream named '{name}' (did you mean: {', '.join(close[:5])}?; "
                             f"`ezc ls` lists them)")
    raise StreamNotFound(f"no stream named '{name}' ({len(names)} stream"
                         f"{'' if len(names) == 1 else 's'} registered; `ezc ls` lists them)")


# ---- other hosts: beacons and clocks (docs/pubsub.md "Across hosts",
# "Clocks across hosts") ----

_BEACON_MAGIC = b"ezc-beacon 1\n"
_BEACON_MAX = 1200


def _discovery_env():
    """(port, peer addresses or None, on) from EZC_DISCOVERY / EZC_PEERS."""
    port = int(os.environ.get("EZC_DISCOVERY_PORT") or 5690)
    peers = [p for p in (os.environ.get("EZC_PEERS") or "").split(",") if p]
    on = bool(os.environ.get("EZC_DISCOVERY") or peers)
    addrs = None
    if peers and not os.environ.get("EZC_DISCOVERY"):  # only the peers' beacons count
        addrs = {socket.gethostbyname(p) for p in peers}
    return port, addrs, on


def parse_beacon(data):
    """A beacon datagram (any bytes: checked) as an entry dict, as resolve()
    gives, plus "host" (the sender's name) and "time" (its clock port, 0
    for none); WireError for anything but a well-formed beacon with name,
    endpoint (tcp://HOST:PORT only), pid and host."""
    _need(isinstance(data, (bytes, bytearray)) and len(data) <= _BEACON_MAX and
          data.startswith(_BEACON_MAGIC) and data.endswith(b"\n"), "beacon: not an ezc beacon")
    _need(all(b == 10 or 0x20 <= b <= 0x7e for b in data), "beacon: a byte outside ASCII")
    e = _parse_entry(data[len(_BEACON_MAGIC):].decode("ascii"))
    e.setdefault("host", "")
    e["time"] = int(e.get("time") or 0) if str(e.get("time", "0")).isdigit() else -1
    ep = e["endpoint"]
    host, _, port = ep[6:].rpartition(":")
    _need(ep.startswith("tcp://") and host and port.isdigit() and 0 < int(port) < 65536 and
          all(c.isalnum() or c in ".-" for c in host), "beacon: bad endpoint")
    _need(e["name"] and e["pid"] > 0 and e["host"], "beacon: name, pid and host are required")
    _need(0 <= e["time"] < 65536, "beacon: bad time")
    return e


def listen_beacons(wait_s=1.5, name=None):
    """Beacons of other hosts' streams heard within wait_s seconds on
    EZC_DISCOVERY_PORT (5690): the latest entry per (name, host, pid), or
    with name the first naming it (a list of at most one)."""
    port, addrs, _ = _discovery_env()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    seen = {}
    deadline = time.monotonic() + wait_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data, frm = s.recvfrom(_BEACON_MAX + 1)
            except socket.timeout:
                break
            if addrs is not None and frm[0] not in addrs:
                continue
            try:
                e = parse_beacon(data)
            except (WireError, ValueError):
                continue  # beacons come from anyone: a bad one is dropped
            if name is not None:
                if e["name"] == name:
                    return [e]
                continue
            seen[(e["name"], e["host"], e["pid"])] = e
    finally:
        s.close()
    return [seen[k] for k in sorted(seen)]


_PROBE = struct.Struct("<8sIIQqqq")  # magic, version, kind, nonce, t0, t1, t2


def clock_measure(host, port, probes=8, timeout_s=0.2):
    """Another host's clock against ours (ezc/clock.h): (offset_ns,
    rtt_ns) from the probe with the shortest round trip, offset = its clock
    minus ours (local = remote - offset; error <= rtt / 2). TimeoutError
    when no probe came back."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, int(port)))
    best = None
    try:
        for _ in range(probes):
            nonce = int.from_bytes(os.urandom(8), "little")
            t0 = time.time_ns()
            try:
                s.send(_PROBE.pack(b"ezc-time", 1, 1, nonce, t0, 0, 0))
            except ConnectionRefusedError:
                continue
            deadline = time.monotonic() + timeout_s
            while (left := deadline - time.monotonic()) > 0:
                s.settimeout(left)
                try:
                    r = s.recv(64)
                except (socket.timeout, ConnectionRefusedError):
                    break
                t3 = time.time_ns()
                if len(r) != _PROBE.size:
                    continue
                magic, ver, kind, n, e0, t1, t2 = _PROBE.unpack(r)
                if magic != b"ezc-time" or ver != 1 or kind != 2 or n != nonce or e0 != t0:
                    continue
                rtt = (t3 - t0) - (t2 - t1)
                if t2 < t1 or rtt < 0:
                    continue
                off = ((t1 - t0) + (t2 - t3)) // 2
                if best is None or rtt < best[1]:
                    best = (off, rtt)
                break
    finally:
        s.close()
    if best is None:
        raise TimeoutError(f"clock: no answer from {host}:{port}")
    return best


class _ClockTracker(threading.Thread):
    """clock_measure in a loop, as ezc's tracker: a burst at once, 0.1 s
    and 0.3 s later, then every second; the shortest round trip of the last
    4 bursts."""

    def __init__(self, host, port):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.estimate = None  # (offset_ns, rtt_ns)
        self._stop = threading.Event()
        self._recent = []
        self.start()

    def run(self):
        beat = 0
        while not self._stop.is_set():
            try:
                self._recent = ([clock_measure(self.host, self.port)] + self._recent)[:4]
                self.estimate = min(self._recent, key=lambda x: x[1])
            except (TimeoutError, OSError):
                pass
            self._stop.wait((0.1, 0.2)[beat] if beat < 2 else 1.0)
            beat += 1

    def stop(self):
        self._stop.set()


def _distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


class Restart:
    """A publisher that restarted under the same id (src), as a Subscriber
    saw it: silent_ns between its last message before and its first after
    (its own time stamps), and lost, the messages lost across it: exact
    when the new instance went on with the numbering (a named `ezc pub`, a
    graph output), None when it started over and the loss cannot be known."""

    def __init__(self, src, topic, seq, silent_ns, lost):
        self.src, self.topic, self.seq = src, topic, seq
        self.silent_ns, self.lost = silent_ns, lost

    @property
    def silent_s(self):
        return self.silent_ns / 1e9

    def __str__(self):
        head = (f"publisher restarted (topic '{self.topic}', seq {self.seq}): "
                f"silent {self.silent_s:.3f} s; ")
        if self.lost is None:
            return head + ("it numbered from the start again, so what it lost is unknown "
                           "(counted as 1 missing)")
        return head + f"{self.lost} messages lost (it went on with its numbering: exact)"

    __repr__ = __str__


class _Tracker:
    """Sequence tracking per (src, topic), as ezc's subscriber does
    (docs/pubsub.md, "Sequence numbers and gaps"): gaps, restarts (a new
    "start" under the same src, or a numbering that went back), and how
    long the publisher was silent across each."""

    MAX_STREAMS = 4096

    def __init__(self, report):
        self.report = report
        self.streams = {}  # (src, topic) -> [last_seq, last_ts, start, ended]
        self.received = self.gaps = self.restarts = self.publishers = self.ends = 0
        self.gap_silence_ns = self.restart_silence_ns = 0
        self.restart_lost = 0  # of the latest restart; None = unknown
        self._srcs = set()

    def take(self, m):
        key = (m.src, m.topic)
        st = self.streams.pop(key, None)
        if m.eos:
            if st is not None:
                if not st[3] and m.seq > st[0] + 1:
                    self.gaps += m.seq - st[0] - 1
                st[3] = True
                st[2] = m.start_ns or st[2]
                self.streams[key] = st
            self.ends += 1
            return m
        self.received += 1
        if st is None:
            if m.src not in self._srcs:
                self._srcs.add(m.src)
                self.publishers += 1
            if len(self.streams) >= self.MAX_STREAMS:  # the least recently seen goes
                del self.streams[next(iter(self.streams))]
        elif st[3]:
            pass  # the stream starts again after its end: no gap
        else:
            silence = max(m.ts_ns - st[1], 0)
            new_instance = bool(m.start_ns and st[2] and m.start_ns != st[2])
            if m.seq > st[0] and not new_instance:
                m.missing = m.seq - st[0] - 1
                self.gaps += m.missing
                if m.missing:
                    self.gap_silence_ns = silence
                    if self.report:
                        self.report(f"{m.missing} messages missing before seq {m.seq} "
                                    f"(topic '{m.topic}'); publisher silent "
                                    f"{silence / 1e9:.3f} s")
            else:
                lost = m.seq - st[0] - 1 if m.seq > st[0] else None
                m.missing = 1 if lost is None else lost
                self.gaps += m.missing
                self.restarts += 1
                self.restart_silence_ns, self.restart_lost = silence, lost
                m.restart = Restart(m.src, m.topic, m.seq, silence, lost)
                if self.report:
                    self.report(str(m.restart))
        self.streams[key] = [m.seq, m.ts_ns, m.start_ns or (st[2] if st else 0), False]
        return m

    def stats(self):
        return {k: getattr(self, k) for k in ("received", "gaps", "restarts", "publishers",
                                              "ends", "gap_silence_ns", "restart_silence_ns",
                                              "restart_lost")}


class Subscriber:
    """Connects a SUB socket to an ezc publisher (topic = prefix filter).
    The publisher is an endpoint, or a stream name (name=, or an endpoint
    argument that is not tcp://, ipc:// or inproc://), looked up with
    resolve(name, name_wait_ms) (StreamNotFound). A stream of another host
    found by name has its host's clock tracked and its stamps (ts_ns)
    delivered on this host's clock; clock() gives the estimate. With curve_client_key
    (this client's NAME.key) and curve_server_pub (the publisher's NAME.pub),
    a tcp:// endpoint is connected with CURVE, as `ezc echo --curve-client
    ... --curve-server-pub ...` does.

    Loss and restarts are tracked as ezc's subscriber does: stats() gives
    received, gaps, restarts, restart_silence_ns, restart_lost (None:
    unknown), gap_silence_ns, ...; a message after a gap has .missing, the
    first after a publisher restart has .restart (a Restart: how long the
    publisher was silent and what was lost, exact when it went on with its
    numbering). report (e.g. print) is called with one line for each, the
    line `ezc echo` writes."""

    def __init__(self, endpoint=None, topic="", context=None, curve_client_key=None,
                 curve_server_pub=None, name=None, name_wait_ms=0, report=None):
        if endpoint is not None and not is_endpoint(endpoint):
            endpoint, name = None, endpoint
        if (endpoint is None) == (name is None):
            raise ValueError("Subscriber: give an endpoint or a name")
        self.stream = resolve(name, name_wait_ms) if name is not None else None
        self._clock = None
        if self.stream:
            endpoint = self.stream["endpoint"]
            if self.stream.get("host") and self.stream.get("time"):  # another host's clock
                self._clock = _ClockTracker(endpoint[6:].rpartition(":")[0], self.stream["time"])
        self.endpoint = endpoint
        self.tracker = _Tracker(report)
        self.ctx = context or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        if (curve_client_key is None) != (curve_server_pub is None):
            raise ValueError("curve_client_key and curve_server_pub go together")
        if curve_client_key and endpoint.startswith("tcp://"):
            secret = read_curve_key(curve_client_key)
            self.sock.curve_secretkey = secret
            self.sock.curve_publickey = zmq.curve_public(secret)
            self.sock.curve_serverkey = read_curve_key(curve_server_pub)
        self.sock.connect(endpoint)

    def recv(self, timeout_ms=-1):
        """The next Message, an EndOfStream (its .eos is True: the publisher
        ended its stream), or None after timeout_ms (-1 waits forever)."""
        if timeout_ms >= 0 and not self.sock.poll(timeout_ms):
            return None
        m = self.tracker.take(decode_frames(self.sock.recv_multipart(copy=False)))
        est = self._clock.estimate if self._clock else None
        if est and m.ts_ns:
            m.ts_ns -= est[0]  # onto this host's clock
        return m

    def clock(self):
        """(offset_ns, rtt_ns) of the publisher's host clock against ours
        when it is another host's stream found by name (stamps are then
        delivered on this host's clock); None otherwise or before the
        first estimate."""
        return self._clock.estimate if self._clock else None

    def stats(self):
        """What arrived and what was lost (see the class)."""
        return self.tracker.stats()

    def close(self):
        if self._clock:
            self._clock.stop()
        self.sock.close()


# ---- shared memory (docs/wire-format.md "Shared memory between processes") ----

def _load_libezc(path=None):
    import ctypes
    import ctypes.util
    tried = []
    for cand in (path, os.environ.get("EZC_LIB"), ctypes.util.find_library("ezc"), "libezc.so",
                 "libezc.so.0"):
        if not cand:
            continue
        tried.append(cand)
        try:
            return ctypes.CDLL(cand)
        except OSError:
            continue
    raise OSError(f"libezc not found (tried {', '.join(tried)}): set EZC_LIB to its path")


# The pool's layout (docs/wire-format.md, "Shared memory between processes
# of one host"): every offset and size a reader relies on.
_SHM_VERSION, _SHM_READERS, _SHM_RING, _SHM_SLOTS, _SHM_SEGS, _SHM_HEAD = 3, 64, 1024, 4096, 64, 4096
_SHM_CTL_BYTES = 1644800  # version 3: origin records and fwd_mapped after the reader table
_SHM_SEG_AT, _SHM_SEG_BYTES = 64, 80
_SHM_STATE_AT = 5184
_SHM_READER_AT, _SHM_READER_BYTES = 37952, 25024
_R_STATE, _R_PID, _R_WAITING, _R_TOPIC, _R_DOOR, _R_FLAGS = 0, 4, 8, 16, 272, 312
_R_HEAD, _R_TAIL, _R_DROPPED, _R_RING, _R_HOLDS = 320, 384, 392, 448, 16832
_SHM_DOOR = 40
# Version 3: the origin pools this one forwards from, and how much of each
# every reader has mapped (a forwarded message is queued only past that).
_SHM_NORIGINS, _SHM_ORIGIN_AT, _SHM_ORIGIN_BYTES, _SHM_ORIGINS = 1639488, 1639496, 72, 16
_O_STATE, _O_GEN = 64, 68
_SHM_FWD_MAPPED = 1640648  # u32 [reader][origin]
_SHM_LOSSY, _SHM_FWD, _SHM_SIDE = 1, 2, 4  # reader flags
_RELAXED, _ACQUIRE, _SEQ_CST = 0, 2, 5
_SHM_ENTRY = struct.Struct("<IIQ")       # a ring entry: slot, reserved, generation
# A slot's head: generation, topic, header, data lengths, then origin, its
# slot and generation (version 3: origin k > 0 is a message forwarded from
# pool origins[k - 1], its data in that pool's slot).
_SHM_SLOT_HEAD = struct.Struct("<QIIQIIQ")


_atomics = None


def _load_atomics():
    """The few atomic operations a reader needs, from GCC's libatomic
    (Debian's libatomic1, installed with gcc): lock-free instructions on
    the shared words, as the C side's <stdatomic.h> does."""
    global _atomics
    if _atomics is not None:
        return _atomics
    import ctypes
    import ctypes.util
    last = None
    for cand in (ctypes.util.find_library("atomic"), "libatomic.so.1"):
        if not cand:
            continue
        try:
            lib = ctypes.CDLL(cand)
            break
        except OSError as e:
            last = e
    else:
        raise OSError(f"libatomic not found ({last}): install libatomic1")
    u16, u32, u64, p, i = ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_int
    ops = {}
    for name, sym, res, args in (("load4", "load_4", u32, [p, i]), ("load8", "load_8", u64, [p, i]),
                                 ("store4", "store_4", None, [p, u32, i]),
                                 ("store8", "store_8", None, [p, u64, i]),
                                 ("add2", "fetch_add_2", u16, [p, u16, i]),
                                 ("sub2", "fetch_sub_2", u16, [p, u16, i]),
                                 ("sub8", "fetch_sub_8", u64, [p, u64, i]),
                                 ("cas4", "compare_exchange_4", ctypes.c_bool, [p, p, u32, i, i]),
                                 ("cas8", "compare_exchange_8", ctypes.c_bool, [p, p, u64, i, i])):
        f = getattr(lib, "__atomic_" + sym)
        f.restype, f.argtypes = res, args
        ops[name] = f
    import types
    _atomics = types.SimpleNamespace(**ops)
    return _atomics


class _ShmPool:
    """A reader entry in an ezc publisher's pool, in Python (no libezc):
    the steps of docs/wire-format.md, "Reading". Everything read from the
    pool is checked first; what fails the checks is refused (WireError from
    take()) or, at open, makes the caller fall back to the socket.

    With flag FWD it also takes forwarded messages: it keeps a SIDE entry
    (a _ShmPool opened by control-segment name, flags SIDE, no doorbell) in
    each origin pool the publisher names, and holds their data there."""

    def __init__(self, path, topic, flags=_SHM_FWD, name=None):
        import ctypes
        self._ct = ctypes
        self.A = _load_atomics()
        self.fd = -1
        self.door = None
        self.me = self.entry = None
        self.flags = flags
        self.segs = []  # [mmap, address, first slot, count, slot_bytes]
        self.sides = [None] * _SHM_ORIGINS  # our SIDE entries in the origins (FWD)
        self.side_gen = [0] * _SHM_ORIGINS  # the origin's gen each was attached under
        self.pub_id = 0
        tb = topic.encode()
        if len(tb) > 256:
            raise WireError(f"shm: topic prefix of {len(tb)} bytes (at most 256)")
        if name is None:
            name = self._pool_name(path)
        else:
            _need(self._ours(name), f"shm: {name!r} does not name a pool of this user")
        try:
            self.fd = os.open("/dev/shm/" + name[1:], os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
            st = os.fstat(self.fd)
            _need(stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
                  and st.st_size >= _SHM_CTL_BYTES, f"shm: {name} is not a pool of ours")
            _need(not self._lock_free(), f"shm: the publisher of {name} is gone")
            import mmap
            self.ctl = mmap.mmap(self.fd, _SHM_CTL_BYTES, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
            self._ctl_np = np.frombuffer(self.ctl, np.uint8)  # pins the mapping, gives its address
            self.base = self._ctl_np.ctypes.data
            c = self.ctl
            _need(c[0:8] == b"EZCSHM1\0"
                  and struct.unpack_from("<6I", c, 8) == (_SHM_VERSION, _SHM_READERS, _SHM_RING,
                                                          _SHM_SLOTS, _SHM_SEGS, _SHM_HEAD)
                  and struct.unpack_from("<I", c, 44)[0] == os.geteuid(),
                  f"shm: {name}: not a version {_SHM_VERSION} pool of this user")
            self.pub_id = struct.unpack_from("<Q", c, 32)[0]
            door = b"\0"  # a SIDE entry is never queued to: no doorbell
            if not flags & _SHM_SIDE:
                self.door = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK
                                          | socket.SOCK_CLOEXEC)
                self.door.bind("")  # the kernel names it (autobind, abstract)
                door = self.door.getsockname()
                _need(isinstance(door, bytes) and 1 < len(door) < _SHM_DOOR + 1 and door[0] == 0,
                      "shm: the doorbell socket has no abstract name")
            want = ctypes.c_uint32(0)
            for i in range(_SHM_READERS):
                at = _SHM_READER_AT + i * _SHM_READER_BYTES
                want.value = 0  # FREE -> CLAIMING
                if self.A.cas4(self.base + at, ctypes.byref(want), 1,
                                                      _SEQ_CST, _SEQ_CST):
                    self.me = self.entry = at
                    self.index = i
                    break
            _need(self.me is not None, f"shm: {name}: every reader entry is taken")
            r = self.me
            struct.pack_into("<iII", c, r + _R_PID, os.getpid(), 0, len(tb))
            c[r + _R_TOPIC:r + _R_TOPIC + 256] = tb.ljust(256, b"\0")
            c[r + _R_DOOR:r + _R_DOOR + _SHM_DOOR] = door[1:].ljust(_SHM_DOOR, b"\0")
            struct.pack_into("<I", c, r + _R_FLAGS, flags)
            for k in range(_SHM_ORIGINS):  # a previous owner's counts are not ours
                self.A.store4(self._fwd_mapped(k), 0, _SEQ_CST)
            self.A.store8(self.base + r + _R_DROPPED, 0, _SEQ_CST)
            self.head = self.A.load8(self.base + r + _R_TAIL, _ACQUIRE)
            self.A.store8(self.base + r + _R_HEAD, self.head, _SEQ_CST)
            self.A.store4(self.base + r + _R_STATE, 2, _SEQ_CST)  # ACTIVE
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _pool_name(path):
        """The control segment named in PATH.shm, when that is a file of ours."""
        try:
            fd = os.open(path + ".shm", os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            raise WireError(f"shm: no pool at {path} ({e.strerror})") from None
        try:
            st = os.fstat(fd)
            _need(stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid(),
                  f"shm: {path}.shm is not a file of ours")
            line = os.read(fd, 159).decode(errors="replace").split()
        finally:
            os.close(fd)
        _need(len(line) == 3 and line[0] == "ezc-shm" and line[1] == str(_SHM_VERSION)
              and _ShmPool._ours(line[2]),
              f"shm: {path}.shm does not name a version {_SHM_VERSION} pool of this user")
        return line[2]

    @staticmethod
    def _ours(name):
        """Whether name is a control segment name of this user's (no path)."""
        return name.startswith(f"/ezc-{os.geteuid()}-") and "/" not in name[1:] and len(name) < 64

    def _lock_free(self):
        """True when the publisher's lock is free: it is gone."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        return True

    def _u64(self, at):
        return self.A.load8(self.base + at, _ACQUIRE)

    def _fwd_mapped(self, k):
        return self.base + _SHM_FWD_MAPPED + 4 * (_SHM_ORIGINS * self.index + k)

    def _seg(self, slot):
        """The mapped segment holding slot, or None."""
        for g in self.segs:  # in slot order
            if slot < g[2] + g[3]:
                return g
        return None

    def _side_drop(self, k):
        """Lets go of our side entry in origin k (arrays over its slots keep
        its mappings)."""
        if self.sides[k] is not None:
            self.sides[k].close()
            self.sides[k] = None

    def _sides_update(self):
        """Keeps our SIDE entries in step with the origin table, as the C
        reader's sides_update: attaches in each origin named since last
        time (or renamed: a new gen), lets go of those retired, maps what
        they added and says how much in fwd_mapped: the publisher forwards
        us only slots we can reach."""
        A, base = self.A, self.base
        n = A.load4(base + _SHM_NORIGINS, _ACQUIRE)
        for k in range(min(n, _SHM_ORIGINS)):
            o = _SHM_ORIGIN_AT + _SHM_ORIGIN_BYTES * k
            mapped = self._fwd_mapped(k)
            st = A.load4(base + o + _O_STATE, _ACQUIRE)
            gen = A.load4(base + o + _O_GEN, _ACQUIRE)
            if st != 1 or gen != self.side_gen[k]:
                self._side_drop(k)
                if A.load4(mapped, _RELAXED):
                    A.store4(mapped, 0, _SEQ_CST)
                if st != 1:
                    continue  # retiring: the publisher names it again once we let go
                name = bytes(self.ctl[o:o + 63]).split(b"\0", 1)[0].decode(errors="replace")
                self.side_gen[k] = gen
                try:
                    self.sides[k] = _ShmPool(None, "", _SHM_SIDE, name=name)
                except (OSError, ValueError):
                    pass  # not ours to map: its messages come copied
                # Renamed while we read the name: attach again next time.
                if A.load4(base + o + _O_GEN, _SEQ_CST) != gen or A.load4(base + o + _O_STATE,
                                                                          _SEQ_CST) != 1:
                    self._side_drop(k)
                    self.side_gen[k] = 0
            side = self.sides[k]
            if side is None:
                continue
            side._map_new()
            if A.load4(mapped, _RELAXED) != len(side.segs):
                A.store4(mapped, len(side.segs), _SEQ_CST)

    def _origin_hold(self, origin, i, ogen, dlen):
        """A forwarded message's data: a reference and hold of our own on
        slot i of origin `origin`, through our side entry there, as the C
        reader's origin_hold. (side pool, its slot, data address); WireError
        with nothing held when it cannot be had."""
        A, k = self.A, origin - 1
        gen_at = self.base + _SHM_ORIGIN_AT + _SHM_ORIGIN_BYTES * k + _O_GEN
        # Renamed since we attached (a stale fwd_mapped of ours let the
        # publisher forward from the new origin): attach to that first.
        if A.load4(gen_at, _SEQ_CST) != self.side_gen[k]:
            self._sides_update()
        o = self.sides[k] if self.side_gen[k] == A.load4(gen_at, _SEQ_CST) else None
        _need(o is not None, f"shm: a message forwarded from origin {origin}, "
                             "which this reader has not mapped")
        g = o._seg(i)
        _need(i < _SHM_SLOTS and g is not None and dlen <= g[4] - _SHM_HEAD,
              f"shm: a forwarded message names slot {i} of origin {origin}, "
              f"which cannot hold its {dlen} bytes")
        # The forwarder holds the slot while the head is ours: this fails
        # only for a forged head or a forwarder that died and was reclaimed.
        at = o.base + _SHM_STATE_AT + 8 * i
        st = self._ct.c_uint64(A.load8(at, _SEQ_CST))
        while True:
            v = st.value
            _need(v >> 16 == ogen and 0 < v & 0xFFFF < 0xFFFF,
                  f"shm: slot {i} of origin {origin} is no longer generation {ogen}")
            if A.cas8(at, self._ct.byref(st), v + 1, _SEQ_CST, _SEQ_CST):
                break
        A.add2(o.base + o.entry + _R_HOLDS + 2 * i, 1, _SEQ_CST)
        return o, i, g[1] + (i - g[2]) * g[4] + _SHM_HEAD

    def _map_new(self):
        """Maps the data segments described since last time (checked as
        the C reader checks them); False for a malformed description."""
        import mmap
        n = self.A.load4(self.base + 48, _ACQUIRE)
        if n > _SHM_SEGS:
            return False
        while len(self.segs) < n:
            k = len(self.segs)
            at = _SHM_SEG_AT + k * _SHM_SEG_BYTES
            name = bytes(self.ctl[at:at + 63]).split(b"\0", 1)[0].decode(errors="replace")
            slot_bytes, first, count = struct.unpack_from("<QII", self.ctl, at + 64)
            prev_end = self.segs[-1][2] + self.segs[-1][3] if self.segs else 0
            if (not name.startswith("/ezc-") or "/" in name[1:] or slot_bytes < _SHM_HEAD
                    or slot_bytes % 4096 or first != prev_end or count == 0
                    or count > _SHM_SLOTS - first):
                return False
            try:
                fd = os.open("/dev/shm/" + name[1:], os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:
                return False
            try:
                st = os.fstat(fd)
                size = count * slot_bytes
                if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_size < size:
                    return False
                m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
            except (OSError, ValueError):
                return False
            finally:
                os.close(fd)
            pin = np.frombuffer(m, np.uint8)
            self.segs.append([m, pin.ctypes.data, first, count, slot_bytes, pin])
        return True

    def release(self, slot):
        """Hands a slot back (step 4): its hold, then its reference."""
        r = self.base + self.entry  # still ours after close(): the publisher frees it at holds 0
        self.A.sub2(r + _R_HOLDS + 2 * slot, 1, _SEQ_CST)
        self.A.sub8(self.base + _SHM_STATE_AT + 8 * slot, 1, _SEQ_CST)

    def take(self):
        """The next queued message: (slot, topic bytes, header bytes, data
        address, data length, release) with the data's slot held (release(slot)
        hands it back: ours, or an origin's for a forwarded message), None
        when the ring is empty; WireError for an entry refused (what it took
        handed back)."""
        A, base, r = self.A, self.base, self.me
        if self.flags & _SHM_FWD:
            self._sides_update()
        head = self.head  # written by us only
        if head == A.load8(base + r + _R_TAIL, _ACQUIRE):
            return None
        slot, _, gen = _SHM_ENTRY.unpack_from(self.ctl, r + _R_RING + 16 * (head % _SHM_RING))
        # Map new segments before the entry is taken: see the C reader.
        mapped = A.load4(base + 48, _ACQUIRE) == len(self.segs) or self._map_new()
        self.head = head + 1
        A.store8(base + r + _R_HEAD, head + 1, _SEQ_CST)
        _need(slot < _SHM_SLOTS, f"shm: slot {slot} out of range")
        st = A.load8(base + _SHM_STATE_AT + 8 * slot, _ACQUIRE)
        _need(st >> 16 == gen and st & 0xFFFF,
              f"shm: slot {slot} is not the one queued (generation {gen}, now {st >> 16})")
        A.add2(base + r + _R_HOLDS + 2 * slot, 1, _SEQ_CST)
        seg = self._seg(slot)
        if not mapped or seg is None:
            self.release(slot)
            raise WireError(f"shm: slot {slot}: its data segment is missing or malformed")
        m, addr, first, _, slot_bytes, _ = seg
        at = (slot - first) * slot_bytes
        hgen, tlen, hlen, dlen, origin, oslot, ogen = _SHM_SLOT_HEAD.unpack_from(m, at)
        hs = _SHM_SLOT_HEAD.size
        # origin k: the data is in origin k's slot, checked there (_origin_hold).
        if (hgen != gen or tlen > _SHM_HEAD - hs or hlen > _SHM_HEAD - hs - tlen
                or (dlen > slot_bytes - _SHM_HEAD if origin == 0 else
                    not (self.flags & _SHM_FWD and origin <= _SHM_ORIGINS and dlen))):
            self.release(slot)
            raise WireError(f"shm: slot {slot} has a malformed head")
        t = at + hs
        topic, header = m[t:t + tlen], m[t + tlen:t + tlen + hlen]
        if origin == 0:
            return (slot, topic, header, addr + at + _SHM_HEAD, dlen, self.release)
        try:
            side, dslot, data = self._origin_hold(origin, oslot, ogen, dlen)
        finally:
            self.release(slot)  # the head goes back at once: topic and header are copied
        return (dslot, topic, header, data, dlen, side.release)

    def dropped(self):
        return self._u64(self.me + _R_DROPPED) if self.me is not None else 0

    def wait(self, timeout_ms):
        """Sleeps on the doorbell (step 5) until something is queued or
        timeout_ms passed; False when the publisher is gone and nothing is
        left to take."""
        r = self.base + self.me
        self.A.store4(r + _R_WAITING, 1, _SEQ_CST)
        try:
            if self._u64(self.me + _R_HEAD) != self._u64(self.me + _R_TAIL):
                return True
            if self._lock_free():
                return False
            import select
            select.select([self.door], [], [], max(timeout_ms, 0) / 1000)
            return True
        finally:
            self.A.store4(r + _R_WAITING, 0, _SEQ_CST)
            try:
                while self.door.recv(64):
                    pass
            except BlockingIOError:
                pass

    def close(self):
        """Leaves the pool (step 6), and the origins we have side entries
        in; mappings stay until the last array over them is gone."""
        for k in range(_SHM_ORIGINS):
            self._side_drop(k)
        if self.me is not None:
            self.A.store4(self.base + self.me + _R_STATE, 3, _SEQ_CST)  # LEAVING
            self.A.store4(self.base + 52, 1, _SEQ_CST)  # gc_hint
            self.me = None
        if self.door is not None:
            self.door.close()
            self.door = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class ShmSubscriber:
    """Reads an ezc publisher on ipc://PATH through shared memory (same host,
    same user). Raises WireError when the endpoint has no pool (then use
    Subscriber: the same messages come through the socket). recv() returns a
    Message whose data is a read-only view of the publisher's slot, an
    EndOfStream, or None after timeout_ms (or once the publisher is gone
    and nothing is left); messages the publisher missed for us show as gaps
    in seq, as on the socket. A message the pool gives malformed is skipped
    and counted (stats()["malformed"]).

    backend: "python" reads the pool itself (mmap and GCC's libatomic, no
    libezc: docs/wire-format.md's steps), "libezc" through libezc (lib=, or
    EZC_LIB, or the library path); None picks "python" unless lib is given
    or libatomic is missing."""

    def __init__(self, endpoint, topic="", lib=None, report=None, backend=None):
        import ctypes
        self._ct = ctypes
        self.tracker = _Tracker(report)
        self.endpoint = endpoint
        self.malformed = 0
        self._pool = None
        self._h = None
        if backend is None:
            backend = "libezc" if lib else "python"
            if backend == "python":
                try:
                    _load_atomics()
                except OSError:
                    backend = "libezc"
        if backend not in ("python", "libezc"):
            raise ValueError(f"ShmSubscriber: backend {backend!r} (expected 'python' or 'libezc')")
        self.backend = backend
        if backend == "python":
            if not endpoint.startswith("ipc://"):
                raise WireError(f"shm: '{endpoint}' is not an ipc:// endpoint")
            if os.environ.get("EZC_SHM", "") in ("0", "off", "inline"):
                raise WireError(f"shm: turned off (EZC_SHM={os.environ['EZC_SHM']})")
            self._pool = _ShmPool(endpoint[6:], topic)
            return
        self._lib = _load_libezc(lib)

        class Err(ctypes.Structure):
            _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 256)]

        class Msg(ctypes.Structure):
            _fields_ = [("topic", ctypes.c_void_p), ("topic_len", ctypes.c_size_t),
                        ("header", ctypes.c_void_p), ("header_len", ctypes.c_size_t),
                        ("data", ctypes.c_void_p), ("data_len", ctypes.c_size_t),
                        ("slot", ctypes.c_uint32)]
        self._Err, self._Msg = Err, Msg
        L = self._lib
        L.ezc_shm_reader_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Err)]
        L.ezc_shm_reader_next.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(Msg),
                                          ctypes.POINTER(Err)]
        L.ezc_shm_reader_release.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        L.ezc_shm_reader_close.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._h = ctypes.c_void_p()
        err = Err()
        if L.ezc_shm_reader_open(endpoint.encode(), topic.encode(), ctypes.byref(self._h),
                                 ctypes.byref(err)):
            raise WireError(err.msg.decode(errors="replace"))

    def _next_python(self, timeout_ms):
        """(slot, topic, header, address, length, release) or None."""
        p = self._pool
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            try:
                got = p.take()
            except WireError:
                self.malformed += 1
                continue
            if got is not None:
                return got
            left = 100.0 if deadline is None else min(100.0, (deadline - time.monotonic()) * 1000)
            if left <= 0 or not p.wait(left):
                return None

    def _next_libezc(self, timeout_ms):
        ct, L = self._ct, self._lib
        m, err = self._Msg(), self._Err()
        while True:
            rc = L.ezc_shm_reader_next(self._h, int(timeout_ms), ct.byref(m), ct.byref(err))
            if rc == -9 or rc == -14:  # EZC_ETIMEOUT, EZC_EEOS (the publisher is gone)
                return None
            if rc == -7:  # EZC_EPROTO: a refused message, skipped
                self.malformed += 1
                continue
            if rc:
                raise WireError(err.msg.decode(errors="replace"))
            return (m.slot, ct.string_at(m.topic, m.topic_len),
                    ct.string_at(m.header, m.header_len), m.data, m.data_len,
                    lambda slot, h=self._h.value: L.ezc_shm_reader_release(h, slot))

    def recv(self, timeout_ms=-1):
        import weakref
        ct = self._ct
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            left = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            got = (self._next_python if self._pool else self._next_libezc)(left)
            if got is None:
                return None
            slot, topic, header, addr, n, release = got
            if n:
                buf = (ct.c_char * n).from_address(addr)
                # The slot goes back when the last numpy view of buf is gone.
                weakref.finalize(buf, release, slot)
                view = memoryview(buf).cast("B").toreadonly()
            else:
                release(slot)
                view = buf = b""
            try:
                msg = decode(header, view, topic)
            except WireError:
                self.malformed += 1
                del view, buf
                continue
            return self.tracker.take(msg)

    def dropped(self):
        """Messages the publisher could not queue for this reader (its
        ring stayed full): they also show as gaps."""
        return self._pool.dropped() if self._pool else None

    def stats(self):
        """As Subscriber.stats(), with malformed: messages refused."""
        return dict(self.tracker.stats(), malformed=self.malformed)

    def close(self):
        if self._pool:
            self._pool.close()
        elif self._h:
            self._lib.ezc_shm_reader_close(self._ct.byref(self._h))


# ---- events (markers): docs/wire-format.md, "Events (markers)" ----------

def _events_fields(times, labels):
    times = np.asarray(times, dtype="<f8").reshape(-1)
    labels = [str(x) for x in labels]
    if len(labels) != times.size:
        raise WireError(f"events: {len(labels)} labels for {times.size} times")
    if not np.all(np.isfinite(times)):
        raise WireError("events: times must be finite")
    axes = {"event": coord_axis(labels=labels)} if labels else {}
    return times, axes


def encode_events(times, labels, topic="", **fields):
    """[topic, header, data] frames of an events message: times in seconds
    on the stream clock (the clock of the signal's time axis offset), one
    label each; ezc's sampler cuts windows around them."""
    times, axes = _events_fields(times, labels)
    attrs = dict(fields.pop("attrs", None) or {}, **{"ezc.kind": "events"})
    return encode(times, ["event"], topic, axes=axes, attrs=attrs, **fields)


def _send_events(self, times, labels, topic=""):
    """Publishes an events message (encode_events) under topic."""
    times, axes = _events_fields(times, labels)
    self.send(times, ["event"], topic, axes=axes, attrs={"ezc.kind": "events"})


Publisher.send_events = _send_events
