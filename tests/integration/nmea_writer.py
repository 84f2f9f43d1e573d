#!/usr/bin/env python3
"""A GPS receiver on a pseudo-terminal for tests/integration/t_refclock_nmea.sh.

Opens a pty (raw), points --link at its slave, and once --go exists writes
NMEA sentences for the real time, one second at a time: each second's
sentences are written --delay s after that second begins (so cntpd's fudge
time2 should be --delay), rotating through sentence types and talkers
(RMC+GGA, GGA before RMC as SiRF receivers send them, ZDA+GLL, RMC+GSV+GSA).
During the first --noise-seconds after each open, each second also carries junk: line
noise with NULs and 8-bit octets, a copy with a wrong checksum, a sentence
cut short by the next '$', an overlong line, and every fourth second an
invalid fix instead of a valid one.

With --gap-after N, after N seconds of writing it closes the pty (cntpd
reads EIO), waits --gap s, opens a new pty at the same --link and waits for
--go2 before writing again. It ends after --seconds seconds of writing.

--state gets, after every second (atomically), what was written:
  second S valid|invalid      one line per second written
  count NAME N                what cntpd's NMEA counters must say
The counts are those since the pty was last opened (as cntpd's, which start
again when it reopens the line), and assume cntpd reads everything written
(hence --go/--go2: cntpd drops what was queued before it opened the line).
"""
import argparse
import calendar
import os
import time
import tty
from functools import reduce


def nmea(body):
    cs = reduce(lambda a, c: a ^ ord(c), body, 0)
    return "$%s*%02X\r\n" % (body, cs)


def fields(sec):
    t = time.gmtime(sec)
    return (time.strftime("%H%M%S", t) + ".00", time.strftime("%d%m%y", t),
            time.strftime("%d,%m,%Y", t))


def rmc(talker, sec, status="A", mode="A"):
    hms, dmy, _ = fields(sec)
    return nmea("%sRMC,%s,%s,4717.11437,N,00833.91522,E,0.004,77.52,%s,,,%s" %
                (talker, hms, status, dmy, mode))


def gga(talker, sec, quality=1):
    hms, _, _ = fields(sec)
    return nmea("%sGGA,%s,4717.11399,N,00833.91590,E,%d,08,1.01,499.6,M,48.0,M,,"
                % (talker, hms, quality))


def zda(talker, sec):
    hms, _, dmy4 = fields(sec)
    return nmea("%sZDA,%s,%s,00,00" % (talker, hms, dmy4))


def gll(talker, sec):
    hms, _, _ = fields(sec)
    return nmea("%sGLL,4717.11364,N,00833.91565,E,%s,A,A" % (talker, hms))


GSV = nmea("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00")
GSA = nmea("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1")


class Writer:
    def __init__(self, args):
        self.args = args
        self.lines = []
        self.count = dict.fromkeys(
            ["sample", "same-second", "invalid-fix", "no-date", "other", "bad-checksum",
             "garbage", "overlong", "partial"], 0)
        self.master = None

    def open_pty(self):
        master, slave = os.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        tmp = self.args.link + ".tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(name, tmp)
        os.replace(tmp, self.args.link)
        # Keep the slave open too: the master then never reads EIO between
        # cntpd's opens; cntpd's own end is what matters.
        self.master, self.slave = master, slave

    def close_pty(self):
        os.close(self.master)
        os.close(self.slave)

    def save(self):
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(self.lines))
            for k, v in self.count.items():
                f.write("count %s %d\n" % (k, v))
        os.replace(tmp, self.args.state)

    def second(self, sec, n, first_after_open):
        """The sentences of one second (the n-th since the pty opened)."""
        noisy = n < self.args.noise_seconds
        out = []
        kind = 0 if first_after_open else sec % 4
        if noisy and n % 4 == 3:
            # The receiver lost its fix: no time this second.
            out += [rmc("GP", sec, status="V", mode="N"), gga("GP", sec, quality=0)]
            self.count["invalid-fix"] += 2
            self.lines.append("second %d invalid\n" % sec)
            return out
        if noisy:
            out.append("\x00\x00JUNK\xff\xfe \x01\r\n")       # one noise run
            self.count["garbage"] += 1
            bad = rmc("GN", sec)
            out.append(bad[:-4] + ("0" if bad[-4] != "0" else "1") + "\r\n")
            self.count["bad-checksum"] += 1
            out.append("$GNGGA,%s,47" % fields(sec)[0])     # cut by the next '$'
            self.count["partial"] += 1
            out.append("$GPTXT," + "X" * 100 + "\r\n")
            self.count["overlong"] += 1
        if kind == 0:
            out += [rmc("GP", sec), gga("GP", sec)]
        elif kind == 1:
            out += [gga("GN", sec), rmc("GN", sec)]
        elif kind == 2:
            out += [zda("GL", sec), gll("GA", sec)]
        else:
            out += [rmc("BD", sec), GSV, GSA]
            self.count["other"] += 2
        self.count["sample"] += 1
        if kind != 3:
            self.count["same-second"] += 1
        self.lines.append("second %d valid\n" % sec)
        return out

    def wait_for(self, path):
        while not os.path.exists(path):
            time.sleep(0.05)

    def run(self):
        a = self.args
        self.open_pty()
        self.save()
        self.wait_for(a.go)
        n = 0           # seconds written
        since_open = 0
        first = True
        sec = int(time.time()) + 1
        while n < a.seconds:
            # Sleep until `delay` s after second `sec` begins.
            while True:
                left = sec + a.delay - time.time()
                if left <= 0:
                    break
                time.sleep(min(left, 0.2))
            if time.time() - (sec + a.delay) > 0.05:
                sec = int(time.time()) + 1     # overslept: skip to the next second
                continue
            data = "".join(self.second(sec, since_open, first)).encode("latin-1")
            os.write(self.master, data)
            first = False
            n += 1
            since_open += 1
            sec += 1
            self.save()
            if a.gap_after and n == a.gap_after:
                time.sleep(1.5)                 # let cntpd read the last second
                self.close_pty()
                time.sleep(a.gap)
                self.open_pty()
                self.count = dict.fromkeys(self.count, 0)
                self.lines.append("reopened\n")
                self.save()
                self.wait_for(a.go2)
                since_open = 0
                first = True
                sec = int(time.time()) + 1
        self.lines.append("done\n")
        self.save()
        # Keep the line open until the test ends.
        while True:
            time.sleep(60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--link", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--go", required=True)
    p.add_argument("--go2", default="")
    p.add_argument("--delay", type=float, default=0.1)
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--noise-seconds", type=int, default=12)
    p.add_argument("--gap-after", type=int, default=0)
    p.add_argument("--gap", type=float, default=3.0)
    Writer(p.parse_args()).run()


if __name__ == "__main__":
    main()
