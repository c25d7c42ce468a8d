"""test_shm_python_pool.py — ezc_wire's own shared-memory reader
(ShmSubscriber(backend="python")) against a pool this test writes itself,
from docs/wire-format.md's layout alone: a second, independent writer of
the format. Each check forges what a broken or hostile pool could hold
(slot indices, generations, reference counts, head pages, segment
descriptions, headers) and asserts the message is refused and counted, the
references the reader took are handed back, and every good message arrives
intact, read-only and in place. Ends with structured mutations of all of
those fields. Run by meson with Debian's python3."""
import fcntl
import gc
import os
import random
import secrets
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("EZC_SOURCE_DIR", "."), "tools", "python"))
import numpy as np  # noqa: E402
import ezc_wire  # noqa: E402

try:
    ezc_wire._load_atomics()
except OSError as e:
    print(f"skipped: {e}")
    sys.exit(77)

CTL = 1644800  # version 3: norigins, 16 origin records and fwd_mapped follow the readers
VERSION, HEAD = 3, 40  # a slot's head page struct: <QIIQIIQ>
SEG_AT, STATE_AT, READER_AT, READER_BYTES = 64, 5184, 37952, 25024
R_STATE, R_WAITING, R_DOOR, R_HEAD, R_TAIL, R_RING, R_HOLDS = 0, 8, 272, 320, 384, 448, 16832
R_FLAGS, R_PID = 312, 4
NORIGINS, ORIGIN_AT, FWD_MAPPED = 1639488, 1639496, 1640648  # origin records: 72 bytes each
SLOT_BYTES, NSLOTS = 8192, 16

failures = 0


def next_arrives(pool, sub):
    """Publishes an honest message (3, in slot 5) and receives: whether it
    arrived intact (after a refused one, the reader must go on)."""
    hdr, data = pool.message(3)
    pool.publish(5, hdr, data)
    m = sub.recv(timeout_ms=1000)
    got = m is not None and np.array_equal(m.data, data)
    del m
    gc.collect()
    return got


def check(name, cond, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)
    failures += not cond


class FakePool:
    """A publisher's pool written from the documented layout."""

    def __init__(self, path):
        self.path = path
        self.tag = f"/ezc-{os.geteuid()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.names = [self.tag + "-c", self.tag + "-0"]
        self.fd = self._create(self.names[0], CTL)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        import mmap
        self.c = mmap.mmap(self.fd, CTL)
        self.c[0:8] = b"EZCSHM1\0"
        struct.pack_into("<6IQiI", self.c, 8, VERSION, 64, 1024, 4096, 64, 4096, 0xabcdef,
                         os.getpid(), os.geteuid())
        dfd = self._create(self.names[1], NSLOTS * SLOT_BYTES)
        self.d = mmap.mmap(dfd, NSLOTS * SLOT_BYTES)
        os.close(dfd)
        self.describe(0, self.names[1], SLOT_BYTES, 0, NSLOTS)
        struct.pack_into("<I", self.c, 48, 1)
        self.write_sidecar(f"ezc-shm {VERSION} {self.names[0]}\n")
        self.gen = 1
        self.seq = 0
        self.more = []  # (mmap, first slot) of segments added, last first

    @staticmethod
    def _create(name, size):
        fd = os.open("/dev/shm/" + name[1:], os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.ftruncate(fd, size)
        return fd

    def write_sidecar(self, text):
        with open(self.path + ".shm", "w") as f:
            f.write(text)

    def describe(self, k, name, slot_bytes, first, count):
        at = SEG_AT + 80 * k
        self.c[at:at + 64] = name.encode().ljust(64, b"\0")
        struct.pack_into("<QII", self.c, at + 64, slot_bytes, first, count)

    def reader(self):
        for i in range(64):
            at = READER_AT + i * READER_BYTES
            if struct.unpack_from("<I", self.c, at)[0] != 0:
                return at
        return None

    def state(self, slot):
        return struct.unpack_from("<Q", self.c, STATE_AT + 8 * slot)[0]

    def refs(self, slot):
        return self.state(slot) & 0xFFFF

    def holds(self, slot, entry=None):
        at = self.reader() if entry is None else entry
        return struct.unpack_from("<H", self.c, at + R_HOLDS + 2 * slot)[0]

    def entry(self, i):
        """Reader entry i: (offset, state, flags)."""
        at = READER_AT + i * READER_BYTES
        return (at, struct.unpack_from("<I", self.c, at)[0],
                struct.unpack_from("<I", self.c, at + R_FLAGS)[0])

    def name_origin(self, k, name, gen, state=1):
        """Names origin pool k + 1 (its record, then norigins)."""
        at = ORIGIN_AT + 72 * k
        if name is not None:
            self.c[at:at + 64] = name.encode().ljust(64, b"\0")
        struct.pack_into("<II", self.c, at + 64, state, gen)
        n = struct.unpack_from("<I", self.c, NORIGINS)[0]
        struct.pack_into("<I", self.c, NORIGINS, max(k + 1, n))

    def fwd_mapped(self, reader, k):
        return struct.unpack_from("<I", self.c, FWD_MAPPED + 4 * (16 * reader + k))[0]

    def put(self, slot, data):
        """Writes data in slot as a publisher holding it (one reference), not
        queued: the origin of a forwarded message. Its generation."""
        self.gen += 1
        raw = bytes(data)
        d, first = next((d, first) for d, first in self.more + [(self.d, 0)] if slot >= first)
        at = (slot - first) * SLOT_BYTES
        struct.pack_into("<QIIQIIQ", d, at, self.gen, 0, 0, len(raw), 0, 0, 0)
        d[at + 4096:at + 4096 + len(raw)] = raw
        struct.pack_into("<Q", self.c, STATE_AT + 8 * slot, self.gen << 16 | 1)
        return self.gen

    def message(self, k, n=6):
        data = (k * 1000.0 + np.arange(n)).astype("<f8")
        frames = ezc_wire.encode(data, ["time"], "t", src=0xabcdef, seq=self.seq)
        self.seq += 1
        return frames[1], data

    def publish(self, slot, header, data, topic=b"t", ring_slot=None, ring_gen=None,
                state=None, head_gen=None, tlen=None, hlen=None, dlen=None, origin=0,
                origin_slot=0, origin_gen=0):
        """Writes the slot and queues it; each keyword forges one field."""
        self.gen += 1
        gen = self.gen
        if slot < NSLOTS:
            at = slot * SLOT_BYTES
            raw = bytes(data) if data is not None else b""
            struct.pack_into("<QIIQIIQ", self.d, at, gen if head_gen is None else head_gen,
                             len(topic) if tlen is None else tlen,
                             len(header) if hlen is None else hlen,
                             len(raw) if dlen is None else dlen, origin, origin_slot, origin_gen)
            self.d[at + HEAD:at + HEAD + len(topic) + len(header)] = topic + header
            self.d[at + 4096:at + 4096 + len(raw)] = raw
            struct.pack_into("<Q", self.c, STATE_AT + 8 * slot,
                             (gen << 16 | 1) if state is None else state)
        r = self.reader()
        tail = struct.unpack_from("<Q", self.c, r + R_TAIL)[0]
        struct.pack_into("<IIQ", self.c, r + R_RING + 16 * (tail % 1024),
                         slot if ring_slot is None else ring_slot, 0,
                         gen if ring_gen is None else ring_gen)
        struct.pack_into("<Q", self.c, r + R_TAIL, tail + 1)
        waiting = struct.unpack_from("<I", self.c, r + R_WAITING)[0]
        if waiting:
            door = bytes(self.c[r + R_DOOR:r + R_DOOR + 40]).rstrip(b"\0")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"x", b"\0" + door)
            s.close()
        return waiting

    def die(self):
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self):
        for n in self.names:
            try:
                os.unlink("/dev/shm/" + n[1:])
            except FileNotFoundError:
                pass
        os.close(self.fd)


def in_shm_mapping(a, name="/dev/shm/ezc-"):
    addr = a.__array_interface__["data"][0]
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and name in parts[5]:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                if lo <= addr < hi:
                    return True
    return False


def open_errors(tmp):
    path = os.path.join(tmp, "none")
    for text, want in ((None, "no pool"), ("ezc-shm 2 /ezc-%d-1-c\n", "version 3"),
                       ("ezc-shm 4 /ezc-%d-1-c\n", "version 3"),
                       ("ezc-shm 3 /ezc-%d-1/c\n", "version 3"),
                       ("ezc-shm 3 /ezc-99999-1-c\n", "version 3"), ("garbage", "version 3")):
        if text is not None:
            with open(path + ".shm", "w") as f:
                f.write(text % os.geteuid() if "%d" in text else text)
        try:
            ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
            check(f"open refused: {text!r}", False, "opened")
        except ezc_wire.WireError as e:
            check(f"open refused: {text!r} ({e})", want in str(e), str(e))
    os.unlink(path + ".shm")
    os.symlink("/etc/hostname", path + ".shm")
    try:
        ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
        check("open refused: a symlinked sidecar", False, "opened")
    except ezc_wire.WireError as e:
        check(f"open refused: a symlinked sidecar ({e})", "no pool" in str(e), str(e))
    os.environ["EZC_SHM"] = "0"
    try:
        ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
        check("EZC_SHM=0 refused", False, "opened")
    except ezc_wire.WireError as e:
        check("EZC_SHM=0 refused", "turned off" in str(e), str(e))
    del os.environ["EZC_SHM"]


def pool_checks(tmp):
    path = os.path.join(tmp, "p")
    pool = FakePool(path)
    try:
        # A control segment of another version (the sidecar still says 3).
        for other in (2, 4):
            struct.pack_into("<I", pool.c, 8, other)
            try:
                ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
                check(f"a version {other} control segment is refused", False, "opened")
            except ezc_wire.WireError as e:
                check(f"a version {other} control segment is refused", "version" in str(e), str(e))
        struct.pack_into("<I", pool.c, 8, VERSION)
        # A control segment of the version 2 size: too short for version 3.
        os.ftruncate(pool.fd, 1639488)
        try:
            ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
            check("a control segment of the version 2 size is refused", False, "opened")
        except ezc_wire.WireError as e:
            check("a control segment of the version 2 size is refused", "not a pool" in str(e),
                  str(e))
        os.ftruncate(pool.fd, CTL)
        # Every reader entry taken.
        for i in range(64):
            struct.pack_into("<I", pool.c, READER_AT + i * READER_BYTES, 2)
        try:
            ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
            check("a full reader table is refused", False, "opened")
        except ezc_wire.WireError as e:
            check("a full reader table is refused", "every reader entry" in str(e), str(e))
        for i in range(64):
            struct.pack_into("<I", pool.c, READER_AT + i * READER_BYTES, 0)

        sub = ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
        r = pool.reader()
        check("the reader claimed entry 0, active, with its pid",
              r == READER_AT and struct.unpack_from("<Ii", pool.c, r)[:2] == (2, os.getpid()))
        check("the reader takes forwarded messages (flags FWD)", pool.entry(0)[2] == 2,
              pool.entry(0))

        # 1. A good message: in place, read-only, intact; the slot comes back.
        hdr, data = pool.message(1)
        pool.publish(3, hdr, data)
        m = sub.recv(timeout_ms=1000)
        ok = m is not None and np.array_equal(m.data, data)
        check("good message intact", ok, repr(m))
        check("in place: the array lies in the data segment's mapping", in_shm_mapping(m.data))
        check("read-only", not m.data.flags.writeable)
        try:
            m.data.flags.writeable = True
            check("cannot be made writeable", False, "it could")
        except ValueError:
            check("cannot be made writeable", True)
        check("held while in use: refs 1, holds 1", pool.refs(3) == 1 and pool.holds(3) == 1,
              (pool.refs(3), pool.holds(3)))
        view = m.data[2:]
        del m
        gc.collect()
        check("a view keeps the slot", pool.refs(3) == 1 and float(view[0]) == 1002.0)
        del view
        gc.collect()
        check("released: refs 0, holds 0", pool.refs(3) == 0 and pool.holds(3) == 0,
              (pool.refs(3), pool.holds(3)))

        def refused(name, expect_refs, slot=4, **forge):
            before = sub.stats()["malformed"]
            hdr, data = pool.message(2)
            pool.publish(slot, hdr, data, **forge)
            got = next_arrives(pool, sub)
            after = sub.stats()["malformed"]
            refs = pool.refs(slot) if slot < NSLOTS else 0
            check(f"refused: {name}; the next message arrives; refs {expect_refs}",
                  got and after == before + 1 and refs == expect_refs and pool.refs(5) == 0
                  and (slot >= NSLOTS or pool.holds(slot) == 0),
                  f"got {got} malformed {before}->{after} refs {refs} next refs {pool.refs(5)}")
            if slot < NSLOTS:
                struct.pack_into("<Q", pool.c, STATE_AT + 8 * slot, 0)

        # 2. Forged ring entries: nothing is given back (the slot written keeps
        # the reference its publisher took: the entry does not name it).
        refused("slot index 5000", 1, ring_slot=5000)
        refused("slot index 2^32-1", 1, ring_slot=0xFFFFFFFF)
        refused("a generation the slot is not under", 1, ring_gen=12345)
        refused("a slot with no references", 0, state=(10 ** 6) << 16, ring_gen=10 ** 6)
        # 3. Broken head pages and headers: the reference is handed back.
        refused("head page of another generation", 0, head_gen=7)
        refused("topic length past the head page", 0, tlen=5000)
        refused("header length past the head page", 0, hlen=4090)
        refused("data length past the slot", 0, dlen=SLOT_BYTES)
        refused("data length 2^64-1", 0, dlen=2 ** 64 - 1)
        refused("a header cut short (not msgpack)", 0, hlen=3)
        # A forwarded message (origin k > 0) from an origin this pool never
        # named (norigins 0): nothing is mapped for it (forward_checks has
        # the origins that are).
        refused("a forwarded head (origin 1)", 0, origin=1)
        refused("a forwarded head (origin 1, slot 3 under its generation)", 0, origin=1,
                origin_slot=3, origin_gen=7)
        refused("a forwarded head (origin 16, slot 2^32-1)", 0, origin=16,
                origin_slot=0xFFFFFFFF, origin_gen=2 ** 64 - 1)
        refused("a forwarded head (origin 2^32-1)", 0, origin=0xFFFFFFFF)
        # Topic and header filling the head page after its 40 bytes exactly
        # arrive; one byte more is refused.
        hdr, data = pool.message(11)
        fill = b"t" * (4096 - HEAD - len(hdr))
        pool.publish(4, hdr, data, topic=fill)
        m = sub.recv(timeout_ms=1000)
        check("topic and header filling the head page arrive intact",
              m is not None and np.array_equal(m.data, data) and m.topic == fill.decode(),
              repr(m))
        del m
        gc.collect()
        refused("topic and header one byte past the head page", 0, topic=fill + b"t")
        # The old fields alone, origin 0 but a stale origin slot/generation:
        # only origin says where the data is.
        hdr, data = pool.message(10)
        pool.publish(4, hdr, data, origin_slot=9, origin_gen=99)
        m = sub.recv(timeout_ms=1000)
        check("origin 0 with other origin fields: the data follows the head page",
              m is not None and np.array_equal(m.data, data), repr(m))
        del m
        gc.collect()
        check("... and its slot comes back", pool.refs(4) == 0 and pool.holds(4) == 0,
              (pool.refs(4), pool.holds(4)))
        # The last slot claiming data past the end of the mapping, with a
        # header that agrees: only the length check stands between the
        # reader and a read past the segment.
        hdr, _ = pool.message(8, n=1024)
        before = sub.stats()["malformed"]
        pool.publish(NSLOTS - 1, hdr, None, dlen=8192)
        m = sub.recv(timeout_ms=200)
        check("refused: the last slot's data running past the segment",
              m is None and sub.stats()["malformed"] == before + 1 and pool.refs(NSLOTS - 1) == 0,
              (m, pool.refs(NSLOTS - 1)))
        hdr, _ = pool.message(9)
        before = sub.stats()["malformed"]
        pool.publish(6, hdr, np.zeros(5))  # 40 bytes where the header says 48
        m = sub.recv(timeout_ms=200)
        check("refused: data shorter than the header's shape; slot back",
              m is None and sub.stats()["malformed"] == before + 1 and pool.refs(6) == 0
              and pool.holds(6) == 0, (m, pool.refs(6)))
        # 4. Segment descriptions: a second segment that does not follow the
        # first, one named outside /ezc-, one smaller than described.
        for name, desc in (("not following the first", (pool.tag + "-1", SLOT_BYTES, 3, 4)),
                           ("with a path in its name", (pool.tag + "-1/x", SLOT_BYTES, NSLOTS, 4)),
                           ("slot size not a page multiple", (pool.tag + "-1", 5000, NSLOTS, 4)),
                           ("missing", (pool.tag + "-9", SLOT_BYTES, NSLOTS, 4)),
                           ("smaller than described", (pool.tag + "-0", SLOT_BYTES, NSLOTS, 100))):
            pool.describe(1, *desc)
            struct.pack_into("<I", pool.c, 48, 2)
            before = sub.stats()["malformed"]
            hdr, data = pool.message(4)
            pool.publish(2, hdr, data)
            m = sub.recv(timeout_ms=200)
            check(f"refused: a segment {name}; reference handed back",
                  m is None and sub.stats()["malformed"] == before + 1 and pool.refs(2) == 0
                  and pool.holds(2) == 0, (m, pool.refs(2), sub.stats()["malformed"] - before))
            struct.pack_into("<I", pool.c, 48, 1)
        # 5. End of stream: a slot whose header is the marker.
        eos = ezc_wire.encode_eos("t", src=0xabcdef, seq=pool.seq)[1]
        pool.publish(7, eos, None)
        m = sub.recv(timeout_ms=1000)
        check("end of stream arrives; its slot is back", m is not None and m.eos
              and pool.refs(7) == 0, repr(m))

        # 6. The doorbell: a reader asleep is woken by the datagram.
        hdr, data = pool.message(5)
        seen = []
        t = threading.Thread(target=lambda: (time.sleep(0.3), seen.append(pool.publish(8, hdr, data))))
        t0 = time.monotonic()
        t.start()
        m = sub.recv(timeout_ms=5000)
        dt = time.monotonic() - t0
        t.join()
        check("doorbell: the sleeping reader said waiting and woke", seen == [1] and m is not None
              and np.array_equal(m.data, data) and dt < 2.0, (seen, dt))
        del m
        gc.collect()

        # 7. Structured mutations of every field above, 3000 rounds: each
        # message arrives intact or is refused; no reference is kept.
        rng = random.Random(1234)
        fields = ["ring_slot", "ring_gen", "state", "head_gen", "tlen", "hlen", "dlen", "origin",
                  "origin_slot", "origin_gen", "hdrbyte", "none"]
        bounds = [0, 1, 2, 15, 16, 4095, 4096, 4097, 8191, 8192, 2 ** 16, 2 ** 31, 2 ** 32 - 1]
        intact = refused_n = bad = 0
        for i in range(3000):
            slot = rng.randrange(NSLOTS)
            hdr, data = pool.message(i, n=rng.choice([0, 1, 6, 100]))
            f = rng.choice(fields)
            forge = {}
            v = rng.choice(bounds + [rng.getrandbits(32)])
            if f == "hdrbyte" and hdr:
                b = bytearray(hdr)
                b[rng.randrange(len(b))] = rng.getrandbits(8)
                hdr = bytes(b)
            elif f in ("ring_slot", "tlen", "hlen", "origin", "origin_slot"):
                forge[f] = v
            elif f in ("ring_gen", "head_gen", "dlen", "origin_gen"):
                forge[f] = v if rng.random() < 0.5 else rng.getrandbits(64)
            elif f == "state":
                forge[f] = rng.getrandbits(64)
            before = sub.stats()["malformed"]
            pool.publish(slot, hdr, data, **forge)
            try:
                m = sub.recv(timeout_ms=0)
            except Exception as e:  # anything but a refusal is a failure
                bad += 1
                print("mutation", f, forge, "raised", type(e).__name__, e)
                continue
            if m is not None and forge.get("origin"):
                bad += 1
                print("mutation", f, forge, "delivered a forwarded message")
            elif m is not None and not m.eos:
                if np.array_equal(np.asarray(m.data).reshape(-1), data) or f == "hdrbyte":
                    intact += 1
                else:
                    bad += 1
                    print("mutation", f, forge, "delivered wrong data")
            elif m is None:
                refused_n += sub.stats()["malformed"] - before
            del m
            gc.collect()
            st = pool.state(slot)
            forged_state = f in ("state", "ring_gen", "ring_slot")  # the real entry was never ours
            if not forged_state and st & 0xFFFF:
                bad += 1
                print("mutation", f, forge, "kept a reference", st & 0xFFFF)
            struct.pack_into("<Q", pool.c, STATE_AT + 8 * slot, 0)
        held = sum(pool.holds(s) for s in range(NSLOTS))
        check(f"mutations: {intact} intact, {refused_n} refused, none wrong, no hold kept",
              bad == 0 and held == 0 and intact > 0 and refused_n > 0, (bad, held))

        # 8. Leaving with a message still in use: the entry says leaving,
        # and the slot still comes back when the array goes.
        hdr, data = pool.message(6)
        pool.publish(9, hdr, data)
        m = sub.recv(timeout_ms=1000)
        sub.close()
        check("close: entry leaving, gc_hint set",
              struct.unpack_from("<I", pool.c, r)[0] == 3
              and struct.unpack_from("<I", pool.c, 52)[0] == 1)
        check("close: the array stays readable", m is not None and np.array_equal(m.data, data))
        del m
        gc.collect()
        check("close: the slot comes back after", pool.refs(9) == 0 and pool.holds(9) == 0)

        # 9. The publisher dies: recv returns None at once, not at its timeout.
        struct.pack_into("<I", pool.c, r, 0)
        sub = ezc_wire.ShmSubscriber("ipc://" + path, backend="python")
        pool.die()
        t0 = time.monotonic()
        m = sub.recv(timeout_ms=5000)
        check("publisher gone: recv returns None at once", m is None and time.monotonic() - t0 < 1)
        sub.close()
    finally:
        pool.close()


def forward_checks(tmp):
    """Forwarded messages: the pool names an origin pool; the reader keeps a
    side entry there and holds the origin's slot itself."""
    pool = FakePool(os.path.join(tmp, "f"))
    origin = FakePool(os.path.join(tmp, "o"))
    extra = origin.tag + "-1"
    sub = None
    try:
        sub = ezc_wire.ShmSubscriber("ipc://" + pool.path, backend="python")
        struct.pack_into("<I", origin.c, 52, 0)
        pool.name_origin(0, origin.names[0], gen=1)
        check("no side entry before a take", origin.reader() is None)
        check("nothing queued: None", sub.recv(timeout_ms=0) is None)
        side, st, flags = origin.entry(0)
        check("a take attaches a side entry in the origin: active, flags SIDE, our pid, "
              "no doorbell",
              st == 2 and flags == 4
              and struct.unpack_from("<i", origin.c, side + R_PID)[0] == os.getpid()
              and origin.c[side + R_DOOR:side + R_DOOR + 40] == bytes(40), (st, flags))
        check("fwd_mapped: the origin's 1 segment", pool.fwd_mapped(0, 0) == 1,
              pool.fwd_mapped(0, 0))

        def forward(oslot, data, ostate=None, **forge):
            """Puts data in the origin's slot oslot (its state then ostate(gen)
            when given) and queues a head naming it in pool slot 2."""
            ogen = origin.put(oslot, data)
            if ostate is not None:
                struct.pack_into("<Q", origin.c, STATE_AT + 8 * oslot, ostate(ogen))
            hdr = ezc_wire.encode(data, ["time"], "t", src=0xabcdef, seq=pool.seq)[1]
            pool.seq += 1
            f = dict(dlen=data.nbytes, origin=1, origin_slot=oslot, origin_gen=ogen)
            f.update(forge)
            pool.publish(2, hdr, None, **f)
            return ogen

        data = np.arange(100, dtype="<f8") * 3
        forward(3, data)
        m = sub.recv(timeout_ms=1000)
        check("forwarded: the origin slot's bytes", m is not None and np.array_equal(m.data, data),
              repr(m))
        check("forwarded: in place, in the origin's mapping",
              m is not None and in_shm_mapping(m.data, origin.names[1]))
        check("forwarded: read-only", m is not None and not m.data.flags.writeable)
        check("forwarded: the head's ref and hold are back at once",
              pool.refs(2) == 0 and pool.holds(2) == 0, (pool.refs(2), pool.holds(2)))
        check("forwarded: held in the origin (refs 2, the side entry's holds 1)",
              origin.refs(3) == 2 and origin.holds(3, side) == 1,
              (origin.refs(3), origin.holds(3, side)))
        del m
        gc.collect()
        check("forwarded: the origin slot is back after (refs 1, holds 0)",
              origin.refs(3) == 1 and origin.holds(3, side) == 0,
              (origin.refs(3), origin.holds(3, side)))

        def held_none():
            return (sum(origin.holds(s, side) for s in range(NSLOTS + 4)) == 0 and pool.refs(2) == 0
                    and pool.holds(2) == 0)

        def fwd_refused(name, expect_refs=1, oslot=3, **forge):
            before = sub.stats()["malformed"]
            forward(oslot, data, **forge)
            got = next_arrives(pool, sub)
            after = sub.stats()["malformed"]
            check(f"forwarded refused: {name}; nothing left taken",
                  got and after == before + 1 and held_none() and origin.refs(oslot) == expect_refs
                  and pool.refs(5) == 0,
                  f"got {got} malformed {before}->{after} origin refs {origin.refs(oslot)} "
                  f"head refs {pool.refs(2)}")

        fwd_refused("origin 2 (not named)", origin=2)
        fwd_refused("origin 17", origin=17)
        fwd_refused("origin generation wrong", origin_gen=12345)
        fwd_refused("origin slot 5000", origin_slot=5000)
        fwd_refused("origin slot past the origin's segment", origin_slot=NSLOTS)
        fwd_refused("data length larger than the origin slot", dlen=SLOT_BYTES - 4096 + 1)
        fwd_refused("data length 0", dlen=0)
        # The origin slot taken back (its forwarder gone): refs 0.
        fwd_refused("origin slot with refs 0", expect_refs=0, ostate=lambda g: g << 16)
        fwd_refused("origin slot with refs 0xffff", expect_refs=0xffff,
                    ostate=lambda g: g << 16 | 0xffff)

        # The origin adds a segment: mapped at the next take, and said.
        fd = FakePool._create(extra, 4 * SLOT_BYTES)
        import mmap
        origin.more.insert(0, (mmap.mmap(fd, 4 * SLOT_BYTES), NSLOTS))
        os.close(fd)
        origin.names.append(extra)
        origin.describe(1, extra, SLOT_BYTES, NSLOTS, 4)
        struct.pack_into("<I", origin.c, 48, 2)
        sub.recv(timeout_ms=0)
        check("a new origin segment: fwd_mapped 2", pool.fwd_mapped(0, 0) == 2,
              pool.fwd_mapped(0, 0))

        # Retirement (state 2): the side entry leaves, fwd_mapped goes to 0.
        pool.name_origin(0, None, gen=1, state=2)
        sub.recv(timeout_ms=0)
        check("retired origin: the side entry is leaving, gc_hint set, fwd_mapped 0",
              origin.entry(0)[1] == 3 and struct.unpack_from("<I", origin.c, 52)[0] == 1
              and pool.fwd_mapped(0, 0) == 0, (origin.entry(0), pool.fwd_mapped(0, 0)))
        fwd_refused("origin retired")
        # Renamed (gen 2): attached again, a new side entry.
        pool.name_origin(0, origin.names[0], gen=2)
        sub.recv(timeout_ms=0)
        side, st, flags = origin.entry(1)
        check("renamed origin: a new side entry, fwd_mapped 2",
              st == 2 and flags == 4 and pool.fwd_mapped(0, 0) == 2, (st, flags))
        forward(3, data)
        m = sub.recv(timeout_ms=1000)
        check("renamed origin: forwarded again", m is not None and np.array_equal(m.data, data)
              and origin.refs(3) == 2 and origin.holds(3, side) == 1)
        del m
        gc.collect()
        forward(NSLOTS + 2, data)
        m = sub.recv(timeout_ms=1000)
        check("forwarded from the origin's second segment",
              m is not None and np.array_equal(m.data, data) and in_shm_mapping(m.data, extra))
        del m
        gc.collect()
        check("... and back", origin.refs(NSLOTS + 2) == 1 and held_none())

        # Structured mutations of the forwarded fields and of the origin
        # slot's state: intact or refused, nothing kept in either pool.
        rng = random.Random(99)
        bounds = [0, 1, 2, 15, 16, 17, 4095, 4096, 4097, 2 ** 16 - 1, 2 ** 32 - 1]
        intact = refused_n = bad = 0
        for i in range(1000):
            oslot = rng.randrange(NSLOTS + 4)
            d = np.arange(rng.choice([1, 6, 100, 512]), dtype="<f8") + i
            f = rng.choice(["origin", "origin_slot", "origin_gen", "dlen", "ostate", "none"])
            forge = {}
            v = rng.choice(bounds + [rng.getrandbits(32)])
            if f in ("origin", "origin_slot", "dlen"):
                forge[f] = v
            elif f == "origin_gen":
                forge[f] = v if rng.random() < 0.5 else rng.getrandbits(64)
            if f == "ostate":
                forge["ostate"] = rng.choice([lambda g: g << 16, lambda g: g << 16 | 0xffff,
                                              lambda g: (g + 1) << 16 | 1,
                                              lambda g: rng.getrandbits(64)])
            before = sub.stats()["malformed"]
            ogen = forward(oslot, d, **forge)
            st_before = origin.state(oslot)
            # Named under another generation, or with no reference: never delivered.
            stale = forge.get("origin_gen", ogen) != ogen or st_before >> 16 != ogen \
                or not st_before & 0xFFFF
            try:
                m = sub.recv(timeout_ms=0)
            except Exception as e:
                bad += 1
                print("mutation", f, forge, "raised", type(e).__name__, e)
                continue
            if m is not None:
                if stale and forge.get("origin", 1):
                    bad += 1
                    print("mutation", f, forge, "delivered a slot not under its generation")
                elif np.array_equal(m.data, d) and in_shm_mapping(m.data, origin.tag):
                    intact += 1
                elif forge.get("origin") == 0 and in_shm_mapping(m.data, pool.tag):
                    intact += 1  # not forwarded: the head slot's own bytes
                else:
                    bad += 1
                    print("mutation", f, forge, "delivered wrong data")
            else:
                refused_n += sub.stats()["malformed"] - before
            del m
            gc.collect()
            if origin.state(oslot) != st_before or not held_none():
                bad += 1
                print("mutation", f, forge, "kept something", origin.state(oslot), st_before)
            struct.pack_into("<Q", origin.c, STATE_AT + 8 * oslot, 0)
        check(f"forwarded mutations: {intact} intact, {refused_n} refused, none wrong, none kept",
              bad == 0 and intact > 0 and refused_n > 0, bad)

        # Closing lets go of the side entries too.
        forward(3, data)
        m = sub.recv(timeout_ms=1000)
        sub.close()
        sub = None
        check("close: the side entry is leaving", origin.entry(1)[1] == 3)
        check("close: the forwarded array stays readable",
              m is not None and np.array_equal(m.data, data))
        del m
        gc.collect()
        check("close: the origin slot comes back after",
              origin.refs(3) == 1 and origin.holds(3, side) == 0)
    finally:
        if sub is not None:
            sub.close()
        pool.close()
        origin.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        open_errors(tmp)
        pool_checks(tmp)
        forward_checks(tmp)
    print(f"{'FAILED' if failures else 'passed'}: {failures} failures")
    return 1 if failures else 0


sys.exit(main())
