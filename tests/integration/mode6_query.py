#!/usr/bin/python3
"""Mode 6 queries for the integration tests, through python3-ntp: the
library ntpsec's ntpq is built on (Debian's ntpq comes only with the ntpsec
daemon, which the test machines must not install). ntpq's own code does
the requests, fragment reassembly and the `peers` table.

  mode6_query.py peers HOST PORT          the table of `ntpq -p`
  mode6_query.py rv HOST PORT ASSOC [VAR...]
                                          READVAR: one "name=value" a line,
                                          then "rstatus=0x...." and
                                          "octets=N" (reassembled data)
  mode6_query.py stat HOST PORT           READSTAT: "ASSOC 0xSTATUS" lines,
                                          then "rstatus=0x...."
  mode6_query.py raw HOST PORT HEX        send these octets once, print the
                                          replies' hex ("timeout" if none
                                          within 1 s)
Exit 1 with the library's message on a server error or a timeout.
"""
import socket
import sys

import ntp.control
import ntp.packet
import ntp.util


def session(host, port):
    s = ntp.packet.ControlSession()
    s.primary_timeout = 1000    # ms
    s.secondary_timeout = 1000
    # openhost() always uses port 123; point the session at the test port.
    s.openhost(host)
    s.sock.close()
    s.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                           socket.SOCK_DGRAM)
    s.sock.connect((host, port))
    return s


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "raw":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect((host, port))
        sock.settimeout(1.0)
        sock.send(bytes.fromhex(sys.argv[4]))
        got = 0
        try:
            while True:
                print(sock.recv(4096).hex())
                got += 1
                sock.settimeout(0.3)
        except socket.timeout:
            pass
        if not got:
            print("timeout")
        return 0
    s = session(host, port)
    try:
        if cmd == "stat":
            for p in s.readstat():
                print("%d 0x%04x" % (p.associd, p.status))
            print("rstatus=0x%04x" % s.rstatus)
        elif cmd == "rv":
            names = sys.argv[5:] or None
            v = s.readvar(int(sys.argv[4]), names, raw=True)
            for k, (_, raw) in v.items():
                print("%s=%s" % (k, raw))
            print("rstatus=0x%04x" % s.rstatus)
            print("octets=%d" % len(s.response))
        elif cmd == "peers":
            report = ntp.util.PeerSummary("peers", 2, False, False)
            print(report.header())
            print("=" * report.width())
            for p in s.readstat():
                v = s.readvar(p.associd, raw=True)
                sys.stdout.write(report.summary(s.rstatus, v, p.associd))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ntp.packet.ControlException as e:
        print(e.message.strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
