"""ezc_control.py — live control of running ezc graphs from Python
(docs/control.md, "From Python"): what `ezc top`, `ezc set` and `ezc stop`
do, as functions.

    import ezc_control
    ezc_control.graphs()                          # ['lab']
    ezc_control.stats("lab")["nodes"][0]["msg_s"]
    ezc_control.set("lab", "bw", cutoff=40)       # {'applied': True, 'state': 'kept'}
    ezc_control.stop("lab")

Every running graph serves a ZeroMQ REP socket on ipc://RUN/graphs/NAME.ctl
(RUN: ezc_wire.run_dir()), its owner's pid in NAME.ctl.lock; requests and
replies are msgpack maps. Each call opens a REQ socket of its own with a
send and a receive timeout, so a graph that died or hangs never hangs the
caller: it raises ControlTimeout. A refusal raises Refused with the
server's message, word for word what `ezc set` prints after "ezc set: ".
Needs pyzmq and msgpack (and ezc_wire beside this file).
"""
import errno
import os

try:
    import msgpack
    import zmq
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(f"ezc_control needs pyzmq and msgpack ({e}): "
                      "pip install pyzmq msgpack") from e

import ezc_wire

DEFAULT_TIMEOUT_S = 3.0  # as `ezc set --timeout`; a set waits up to 1 s for an idle node
REPLY_MAX = 16 << 20     # a longer reply is refused by ZeroMQ, not read
NAME_MAX = 64            # EZC_CONTROL_NAME_MAX: a name is 1 to 63 of A-Z a-z 0-9 . _ -


class ControlError(Exception):
    """Anything that kept a request from its answer. str(e) says why;
    e.graph is the graph's name, e.op the request's op."""

    def __init__(self, message, graph="", op=""):
        super().__init__(message)
        self.graph, self.op = graph, op


class GraphNotFound(ControlError, LookupError):
    """No graph of that name runs (no control socket with a live owner)."""


class ControlTimeout(ControlError, TimeoutError):
    """The graph did not answer in time (stopped, hung, or gone)."""


class Refused(ControlError):
    """The graph answered {"ok": false, "error": ...}: str(e) is its message,
    e.g. "node 'bw': butterworth: setting 'cutoff' = 'abc': expected a
    number (float)". Nothing was changed."""


def _check_name(name):
    ok = (isinstance(name, str) and 0 < len(name) < NAME_MAX and name[0] != "."
          and all(c.isascii() and (c.isalnum() or c in "._-") for c in name))
    if not ok:
        raise ValueError(f"graph name {name!r}: expected 1 to {NAME_MAX - 1} of "
                         "A-Z a-z 0-9 . _ - (not starting with '.')")


def _graphs_dir():
    return os.path.join(ezc_wire.run_dir(), "graphs")


def _alive(name):
    """True when NAME.ctl.lock names a live process (the convention `ezc
    top` lists by). Read only: the lock is never taken here, so a graph
    starting at that moment is not disturbed."""
    try:
        with open(os.path.join(_graphs_dir(), name + ".ctl.lock"), "rb") as f:
            text = f.read(32)
        pid = int(text.split()[0]) if text.split() else 0
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


def graphs():
    """Names of the graphs running now (a live control socket), sorted."""
    try:
        entries = os.listdir(_graphs_dir())
    except FileNotFoundError:
        return []
    names = []
    for f in entries:
        if not f.endswith(".ctl"):
            continue
        name = f[:-4]
        try:
            _check_name(name)
        except ValueError:
            continue
        if _alive(name):
            names.append(name)
    return sorted(names)


_ctx = None


def _context():
    global _ctx
    if _ctx is None or _ctx.closed:
        _ctx = zmq.Context()
    return _ctx


def call(name, request, timeout=DEFAULT_TIMEOUT_S):
    """Sends one request (a dict) to graph `name` and returns its reply (a
    dict with "ok"). Raises GraphNotFound, ControlTimeout, or ControlError
    on a malformed reply; a reply with ok false is returned as it is."""
    _check_name(name)
    op = request.get("op", "") if isinstance(request, dict) else ""
    if not _alive(name):
        raise GraphNotFound(f"no graph '{name}' runs (no live control socket in {_graphs_dir()})",
                            name, op)
    ms = max(1, int(timeout * 1000))
    s = _context().socket(zmq.REQ)
    try:
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDTIMEO, ms)
        s.setsockopt(zmq.RCVTIMEO, ms)
        s.setsockopt(zmq.MAXMSGSIZE, REPLY_MAX)
        s.connect("ipc://" + os.path.join(_graphs_dir(), name + ".ctl"))
        try:
            s.send(msgpack.packb(request, use_bin_type=True))
            frames = s.recv_multipart()
        except zmq.Again:
            raise ControlTimeout(f"graph '{name}': no answer within {ms} ms", name, op) from None
        except zmq.ZMQError as e:
            raise ControlError(f"graph '{name}': {e}", name, op) from None
    finally:
        s.close(linger=0)
    try:
        if len(frames) != 1:
            raise ValueError("not one frame")
        reply = msgpack.unpackb(frames[0], raw=False, strict_map_key=True)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise ControlError(f"graph '{name}': malformed reply ({e})", name, op) from None
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise ControlError(f"graph '{name}': malformed reply (no \"ok\")", name, op)
    return reply


def _ok(name, request, timeout):
    reply = call(name, request, timeout)
    if not reply["ok"]:
        msg = reply.get("error")
        raise Refused(msg if isinstance(msg, str) and msg else f"graph '{name}': refused",
                      name, request.get("op", ""))
    del reply["ok"]
    return reply


def stats(name, timeout=DEFAULT_TIMEOUT_S):
    """{"graph", "pid", "uptime_s", "nodes": [{"name", "type", "state",
    "messages", "bytes", "msg_s", "mb_s", "drops", "errors", "restarts",
    "latency_p50_us", "latency_p99_us", "cpu_pct", "last_error"}]}."""
    return _ok(name, {"op": "stats"}, timeout)


def graph(name, timeout=DEFAULT_TIMEOUT_S):
    """{"graph", "nodes": [{"name", "type", "group"}], "edges": [{"from", "to"}]}."""
    return _ok(name, {"op": "graph"}, timeout)


def _value(k, v):
    """A setting's value as the server takes it: str, int, float, bool, or a
    list of those (numpy scalars and tuples welcome)."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, str)):
        v = v.item()  # numpy scalar
    if isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_value(k, x) for x in v]
    raise TypeError(f"setting '{k}': expected a str, number, bool or a list of them, "
                    f"not {type(v).__name__}")


def set_settings(name, node, settings, timeout=DEFAULT_TIMEOUT_S):
    """Changes settings (a dict) of node `node` of graph `name` while it
    runs; the others stay. Returns {"applied": bool, "state": "kept" |
    "reset" | "next message"}. Raises Refused with the graph's message when
    the new set is invalid (nothing changes then)."""
    if not isinstance(node, str) or not node:
        raise ValueError("node: expected a node's name")
    if not settings:
        raise ValueError("settings: expected at least one")
    req = {"op": "set", "node": node,
           "settings": {str(k): _value(k, v) for k, v in settings.items()}}
    return _ok(name, req, timeout)


def set(name, node, /, **settings):  # noqa: A001 - the verb of `ezc set`
    """set("lab", "bw", cutoff=40, order=4): set_settings with keywords (the
    default timeout; set_settings takes another)."""
    return set_settings(name, node, settings)


def _text(k, v):
    v = _value(k, v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_text(k, x) for x in v) + "]"
    return repr(v) if isinstance(v, float) else str(v)


def settings_attrs(**settings):
    """The attrs of a message for a transformer node's in-band `settings`
    port (docs/control.md, "In-band settings"): {"ezc.settings": {name:
    text}}, each value as a graph file would write it. Send it with
    ezc_wire.Publisher.send(data, dims, attrs=settings_attrs(cutoff=20));
    the data is not looked at."""
    if not settings:
        raise ValueError("settings: expected at least one")
    return {"ezc.settings": {str(k): _text(k, v) for k, v in settings.items()}}


def stop(name, timeout=DEFAULT_TIMEOUT_S):
    """Stops graph `name` as its first Ctrl-C would: every node finishes
    cleanly and `ezc run` exits 0. Returns once the graph took the request."""
    _ok(name, {"op": "stop"}, timeout)
