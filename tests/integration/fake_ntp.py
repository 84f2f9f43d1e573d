#!/usr/bin/env python3
"""A tiny NTP server for tests and benchmarks, on loopback.

Answers NTP client requests (mode 3) with a server reply (mode 4) whose
receive and transmit timestamps read this machine's clock plus --shift
seconds, so a client measures an offset of about --shift. It only writes
timestamps into packets: it never reads or changes any clock setting.

    fake_ntp.py --shift -0.25 [--count N] [--addr 127.0.0.1] [--port P]
                [--stratum 1] [--refid FAKE] [--precision -20]
                [--root-delay S] [--root-dispersion S] [--leap 0]
                [--ports-file PATH]

--count N opens N sockets (N associations' worth) on --addr, on --port,
--port+1, ... or on free ports when --port is 0 (the default). The ports
file gets one line per socket, "PORT REFTIME", REFTIME being the reference
timestamp every reply carries (16 hex digits, fixed at start-up); it is
written atomically once every socket is bound.
"""
import argparse
import os
import selectors
import socket
import struct
import time

NTP_EPOCH = 2208988800


def ntp_stamp(ns):
    """Unix time in ns -> 64-bit NTP timestamp (era 0)."""
    sec, rem = divmod(ns, 1_000_000_000)
    return ((sec + NTP_EPOCH) & 0xFFFFFFFF) << 32 | (rem << 32) // 1_000_000_000


def short(seconds):
    """Seconds -> NTP short format (16.16)."""
    return max(0, min(0xFFFFFFFF, round(seconds * 65536)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shift", type=float, required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--stratum", type=int, default=1)
    ap.add_argument("--refid", default="FAKE")
    ap.add_argument("--precision", type=int, default=-20)
    ap.add_argument("--root-delay", type=float, default=0.0)
    ap.add_argument("--root-dispersion", type=float, default=0.0)
    ap.add_argument("--leap", type=int, default=0)
    ap.add_argument("--ports-file")
    a = ap.parse_args()

    shift_ns = round(a.shift * 1e9)
    refid = a.refid.encode()[:4].ljust(4, b"\0")
    # A reference time 64 s before start-up, whole seconds: the same in
    # every reply, so a client's copy of it can be compared exactly.
    reftime = ntp_stamp(time.time_ns() + shift_ns) & ~0xFFFFFFFF
    reftime -= 64 << 32
    head = struct.pack("!BbIII", a.stratum & 0xFF, a.precision, short(a.root_delay),
                       short(a.root_dispersion), struct.unpack("!I", refid)[0])
    head += struct.pack("!Q", reftime)

    sel = selectors.DefaultSelector()
    ports = []
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a.addr, a.port + i if a.port else 0))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        ports.append(s.getsockname()[1])
    if a.ports_file:
        tmp = a.ports_file + ".tmp"
        with open(tmp, "w") as f:
            for p in ports:
                f.write("%d %016x\n" % (p, reftime))
        os.rename(tmp, a.ports_file)

    while True:
        for key, _ in sel.select():
            s = key.fileobj
            while True:
                try:
                    data, peer = s.recvfrom(1024)
                except BlockingIOError:
                    break
                rx = time.time_ns()
                if len(data) < 48 or data[0] & 7 != 3:
                    continue
                version = (data[0] >> 3) & 7
                org = data[40:48]            # the client's transmit time
                tx = time.time_ns()
                # LI/VN/mode, stratum, poll (the client's), precision, root
                # delay, root dispersion, refid, reftime, org, rx, tx.
                pkt = (struct.pack("!B", (a.leap & 3) << 6 | version << 3 | 4) + head[:1] +
                       data[2:3] + head[1:] + org +
                       struct.pack("!QQ", ntp_stamp(rx + shift_ns), ntp_stamp(tx + shift_ns)))
                s.sendto(pkt, peer)


if __name__ == "__main__":
    main()
