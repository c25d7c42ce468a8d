"""ezc_ws.py — a minimal WebSocket client for the dashboard's tests (tests
only): the handshake (RFC 6455: the accept key and the subprotocol
checked), masked client frames of any opcode and length (lengths that lie
too, for hostile tests), fragments joined, pings answered, and the
dashboard's messages decoded: JSON text, and binary plot frames (a uint32
header length, the JSON header, zero padding to 4, float32 values)."""
import base64
import hashlib
import json
import os
import socket
import struct
import time

import numpy as np


class WSClosed(Exception):
    pass


class WS:
    """A minimal WebSocket client: the handshake and masked client frames."""

    def __init__(self, port, token, path="/ws", origin=None, timeout=5.0, proto="ezc-dash.v1",
                 host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.key = base64.b64encode(os.urandom(16)).decode()
        q = f"?token={token}" if token is not None else ""
        req = (f"GET {path}{q} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
               "Sec-WebSocket-Version: 13\r\n")
        if proto:
            req += f"Sec-WebSocket-Protocol: {proto}\r\n"
        if origin:
            req += f"Origin: {origin}\r\n"
        self.s.sendall((req + "\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = self.s.recv(4096)
            if not d:
                break
            buf += d
        head, _, self.buf = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin1").split("\r\n")
        parts = lines[0].split() if lines else []
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                (self.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                   for l in lines[1:] if ":" in l}
            assert hdr.get("sec-websocket-accept") == want, hdr
            assert hdr.get("sec-websocket-protocol") == proto, hdr

    def send_frame(self, payload, opcode=1, fin=True, mask=True, length=None):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | opcode
        mbit = 0x80 if mask else 0
        if n < 126:
            h = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            h = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            h = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            k = os.urandom(4)
            a = np.frombuffer(payload, np.uint8)
            m = np.frombuffer((k * (len(payload) // 4 + 1))[:len(payload)], np.uint8)
            payload = k + (a ^ m).tobytes()
        self.s.sendall(h + payload)

    def send_json(self, obj):
        self.send_frame(json.dumps(obj))

    def _frame(self):
        """One whole frame from the buffer (b0, payload), or None: nothing is
        consumed until a frame is complete, so a timeout loses no bytes."""
        b = self.buf
        if len(b) < 2:
            return None
        n, pos = b[1] & 127, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < pos + n:
            return None
        self.buf = b[pos + n:]
        return b[0], b[pos:pos + n]

    def recv(self):
        """(opcode, payload) of the next whole message; pings answered."""
        while True:
            f = self._frame()
            if f is None:
                d = self.s.recv(1 << 20)
                if not d:
                    raise WSClosed()
                self.buf += d
                continue
            b0, p = f
            op = b0 & 15
            if op == 8:
                raise WSClosed()
            if op == 9:
                self.send_frame(p, opcode=10)
                continue
            if op == 10:
                continue
            if op != 0:
                self.op0, self.data = op, b""
            self.data += p
            if b0 & 0x80:
                return self.op0, self.data

    def recv_until(self, pred, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                op, p = self.recv()
            except socket.timeout:
                break
            m = decode(op, p)
            if pred(m):
                return m
        raise TimeoutError("no matching message within %.1f s" % timeout)

    def frames(self, seconds):
        """Every plot frame that arrives within `seconds`."""
        out, end = [], time.time() + seconds
        while time.time() < end:
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                m = decode(*self.recv())
            except socket.timeout:
                break
            if m["type"] == "frame":
                out.append(m)
        return out

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def decode(op, p):
    if op == 1:
        return json.loads(p)
    h = struct.unpack("<I", p[:4])[0]
    head = json.loads(p[4:4 + h])
    off = (4 + h + 3) // 4 * 4
    assert p[4 + h:off] == b"\0" * (off - 4 - h), "padding is zeros"
    head["type"] = "frame"
    head["values"] = np.frombuffer(p[off:], "<f4")
    return head


