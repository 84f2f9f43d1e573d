/* sim_selftest — see sim_selftest.h. */
#include "sim_selftest.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "sim_clock.h"
#include "sim_net.h"
#include "sim_rng.h"
#include "sim_sched.h"

static FILE *out;
static int n_passed, n_failed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    fprintf(out, "%s - selftest: ", ok ? "ok" : "not ok");
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    if (ok)
        n_passed++;
    else
        n_failed++;
}

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

/* --- scheduler ------------------------------------------------------- */

static char order[32];
static size_t order_len;

static void record(void *arg)
{
    if (order_len + 1 < sizeof order)
        order[order_len++] = *(const char *)arg;
    order[order_len] = '\0';
}

static void test_sched(void)
{
    static const char a = 'a', b = 'b', c = 'c', d = 'd', e = 'e';

    SIMS_Init();
    order_len = 0;
    order[0] = '\0';
    SCH_AddTimer(2.0, record, (void *)&c);
    SCH_AddTimer(1.0, record, (void *)&a);
    SCH_Timer t = SCH_AddTimer(1.5, record, (void *)&e);
    SCH_AddTimer(1.0, record, (void *)&b);    /* same time as a: after it */
    SCH_AddTimer(3.0, record, (void *)&d);
    SCH_RemoveTimer(t);
    SIMS_RunUntil(2.5);
    check(!strcmp(order, "abc"), "scheduler runs in time order, ties first-in first-out, "
          "removed timers never (got \"%s\")", order);
    check(SIMS_Elapsed() == 2.5 && SCH_Monotonic() == SIM_MONO_START + 2.5,
          "scheduler clock rests at the end of RunUntil");
    SIMS_AddAt(1.0, record, (void *)&e);        /* in the past: due now, before d at 3 s */
    SIMS_RunUntil(10.0);
    check(!strcmp(order, "abced"), "a timer added for the past runs at once (got \"%s\")",
          order);
    SIMS_Fini();
}

/* --- clock ------------------------------------------------------------ */

static void run_to(double t)
{
    SIMS_RunUntil(t);
}

static void test_clock(void)
{
    const CLK_Driver *drv = &SIMC_Driver;
    struct timespec ts;

    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 0.25, .freq_error = 20.0, .wander = 0.0, .seed = 1 });
    run_to(1000.0);
    check(near(SIMC_TrueOffset(), 0.25 + 20e-6 * 1000.0, 1e-12),
          "free-running phase grows at the frequency error (%.12f)", SIMC_TrueOffset());

    drv->read(&ts);
    double local = (double)(ts.tv_sec - SIMC_Epoch()) + ts.tv_nsec * 1e-9;
    check(near(local - 1000.0, 0.27, 1e-9), "read() = epoch + elapsed + phase, to 1 ns");

    drv->set_frequency(-20.0);
    run_to(2000.0);
    check(near(SIMC_TrueOffset(), 0.27, 1e-12), "a -20 ppm correction cancels +20 ppm");
    check(SIMC_ResidualFrequency() == 0.0, "residual frequency is exactly 0");

    drv->set_frequency(-900.0);
    check(drv->get_frequency() == -500.0, "correction clamped to -500 ppm");
    drv->set_frequency(1.0 / 3.0);
    check(drv->get_frequency() == llround(65536.0 / 3.0) / 65536.0,
          "correction quantised to 2^-16 ppm");
    drv->set_frequency(-20.0);

    /* 1 ms at 500 us/s takes exactly 2 s. */
    double before = SIMC_TrueOffset();
    drv->slew(1e-3);
    run_to(2001.0);
    check(near(SIMC_TrueOffset() - before, 0.5e-3, 1e-12), "slew adds 500 us in 1 s");
    run_to(2003.0);
    check(near(SIMC_TrueOffset() - before, 1e-3, 1e-12) && SIMC_PendingSlew() == 0.0,
          "slew of 1 ms done after 2 s, then stops");

    /* A new slew replaces what is left of the old one. */
    before = SIMC_TrueOffset();
    drv->slew(-2e-3);
    run_to(2004.0);
    drv->slew(0.1e-3);
    run_to(2010.0);
    check(near(SIMC_TrueOffset() - before, -0.5e-3 + 0.1e-3, 1e-12),
          "slew replaces the pending amount (ADJ_OFFSET_SINGLESHOT)");
    drv->slew(1.23456789e-3);
    check(near(SIMC_PendingSlew(), 1.235e-3, 1e-15), "slew rounded to 1 us like the kernel");
    drv->slew(0.0);

    before = SIMC_TrueOffset();
    unsigned steps = SIMC_GetStats()->steps;
    drv->step(-0.125);
    check(near(SIMC_TrueOffset() - before, -0.125, 1e-12) && SIMC_GetStats()->steps == steps + 1,
          "step adds at once and is counted");
    SIMC_Inject(0.132);
    check(near(SIMC_TrueOffset() - before, 0.007, 1e-12) && SIMC_GetStats()->steps == steps + 1,
          "an injected bump moves the clock and is not a driver step");
    SIMS_Fini();

    /* Wander: same seed, same walk; the frequency moves. */
    double walk[2];
    for (int i = 0; i < 2; i++) {
        SIMS_Init();
        SIMC_Init(&(SIMC_Params){ .phase = 0.0, .freq_error = 0.0, .wander = 1e-3, .seed = 7 });
        run_to(10000.0);
        walk[i] = SIMC_ResidualFrequency();
        SIMS_Fini();
    }
    check(walk[0] == walk[1] && walk[0] != 0.0 && fabs(walk[0]) < 1.0,
          "wander is a seeded random walk (%.6f ppm after 10000 s)", walk[0]);
}

/* --- network and server timestamps ------------------------------------ */

static NTP_Packet reply;
static struct timespec reply_rx;
static int replies;

static void on_reply(const NIO_Datagram *d, void *arg)
{
    (void)arg;
    if (PKT_Decode(d->data, d->len, &reply) == PKT_OK) {
        reply_rx = d->rx_time;
        replies++;
    }
}

static void test_net(void)
{
    /* Fixed 3 ms up and 1 ms down, server 0.2 s ahead, local clock 50 ms
       ahead and 100 ppm fast: the NTP offset must be exactly
       server - mean local phase + (up - down) / 2. */
    SIMN_Server srv = { .addr = "10.0.0.9", .offset = 0.2, .proc = 1e-3,
                        .up = { 3e-3, 0.0, 0.0 }, .down = { 1e-3, 0.0, 0.0 }, .stratum = 1 };
    NTP_Addr addr;
    NTP_Packet req = { .version = 4, .mode = NTP_MODE_CLIENT, .stratum = 16, .leap = 3 };
    uint8_t buf[NTP_HEADER_LEN];
    struct timespec t1;

    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 0.05, .freq_error = 100.0, .wander = 0.0, .seed = 1 });
    CLK_Init(&SIMC_Driver);
    SIMN_Init(1, &srv, 1, NULL);
    ADDR_Parse("10.0.0.9", 123, &addr);
    NIO_Socket s = NIO_OpenClient(&addr, NULL, on_reply, NULL);

    run_to(100.0);
    double phase1 = SIMC_TrueOffset();
    CLK_ReadTime(&t1);
    req.transmit = NTS_FromTimespec(&t1);
    PKT_Encode(&req, buf);
    replies = 0;
    NIO_Send(s, &addr, buf, sizeof buf);
    run_to(100.0049);
    check(replies == 0, "no reply before the round trip (5 ms) is over");
    run_to(101.0);
    check(replies == 1 && reply.origin == req.transmit && reply.mode == NTP_MODE_SERVER,
          "one reply, origin = our transmit timestamp");

    NTP_Timestamp t4 = NTS_FromTimespec(&reply_rx);
    double offset = (NTS_Diff(reply.receive, req.transmit) + NTS_Diff(reply.transmit, t4)) / 2;
    double delay = NTS_Diff(t4, req.transmit) - NTS_Diff(reply.transmit, reply.receive);
    double phase4 = phase1 + 100e-6 * 5e-3;
    double want = 0.2 - (phase1 + phase4) / 2.0 + (3e-3 - 1e-3) / 2.0;
    check(near(offset, want, 2e-9), "measured offset %+.9f = exact %+.9f (within 2 ns)", offset,
          want);
    /* T4 - T1 is 5 ms measured by a clock 100 ppm fast; T3 - T2 is 1 ms
       on the server's exact clock. */
    check(near(delay, 5e-3 * (1 + 100e-6) - 1e-3, 2e-9), "measured delay %.9f = 5 ms on a "
          "100 ppm fast clock - 1 ms server time", delay);
    check(near(NTS_Diff(reply.transmit, reply.receive), 1e-3, 1e-9),
          "server processing time appears between its receive and transmit stamps");

    /* Unknown destinations vanish. */
    NTP_Addr other;
    ADDR_Parse("10.0.0.10", 123, &other);
    NIO_Socket s2 = NIO_OpenClient(&other, NULL, on_reply, NULL);
    replies = 0;
    NIO_Send(s2, &other, buf, sizeof buf);
    run_to(200.0);
    check(replies == 0, "a request to an address without a server is lost");

    /* A reply to a closed socket is dropped, not delivered to freed memory. */
    NIO_Send(s, &addr, buf, sizeof buf);
    NIO_Close(s);
    run_to(300.0);
    check(replies == 0, "a reply to a closed socket vanishes");
    NIO_Close(s2);
    SIMN_Fini();
    CLK_Fini();
    SIMS_Fini();

    SIMN_Outage o = { .first = 100.0, .period = 1000.0, .length = 60.0 };
    SIMN_Init(1, &srv, 1, &o);
    check(!SIMN_InOutage(99.9) && SIMN_InOutage(100.0) && SIMN_InOutage(159.9) &&
          !SIMN_InOutage(160.0) && SIMN_InOutage(1130.0), "outage windows");
    SIMN_Fini();
}

/* --- leap seconds: true UTC and the kernel ----------------------------- */

#define LEAP_AT 1483228800LL   /* 2017-01-01T00:00:00Z */

/* Local clock reading, s relative to the leap (UTC, as read). */
static double local_rel(void)
{
    struct timespec ts;

    SIMC_Driver.read(&ts);
    return (double)(ts.tv_sec - LEAP_AT) + ts.tv_nsec * 1e-9;
}

static void test_leap_clock(void)
{
    const CLK_Driver *drv = &SIMC_Driver;

    /* The leap at elapsed 100; the local clock 0.25 s ahead. */
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 0.25, .seed = 1, .epoch = LEAP_AT - 100,
                              .leap_at = LEAP_AT });
    check(SIMC_UtcOf(99.0) == LEAP_AT - 1 && SIMC_UtcOf(100.0) == LEAP_AT - 1 &&
          SIMC_UtcOf(101.0) == LEAP_AT && SIMC_UtcOf(0.0) == LEAP_AT - 100,
          "true UTC repeats 23:59:59 at the leap");
    run_to(10.0);
    drv->set_status(1, 1, 0.0, 0.0);
    check(SIMC_GetLeapState() == SIMC_TIME_INS, "STA_INS on the last day: TIME_INS");
    run_to(99.7);
    double before = local_rel();
    run_to(99.8);
    double after = local_rel();
    check(near(before, -0.05, 1e-9) && near(after, -0.95, 1e-9),
          "kernel inserts at the local midnight: 23:59:59.95 then 23:59:59.05 (%.3f, %.3f)",
          before, after);
    check(SIMC_GetStats()->leaps_inserted == 1 && near(SIMC_GetStats()->leap_elapsed, 99.75, 1e-9)
          && near(SIMC_GetStats()->leap_phase, 0.25, 1e-12),
          "insertion recorded at elapsed %.9f (the local clock's midnight)",
          SIMC_GetStats()->leap_elapsed);
    check(near(SIMC_TrueOffset(), 0.25, 1e-12), "offset stays 0.25 s across the leap");
    run_to(100.5);
    /* Elapsed 100.5: true UTC is 23:59:59.5 (its leap second), the local
       clock 0.25 s ahead reads 23:59:59.75 (its repeated second too). */
    check(near(SIMC_TrueOffset(), 0.25, 1e-12) && near(local_rel(), -0.25, 1e-9),
          "while true UTC is in its leap second too, both agree (%.3f)", local_rel());
    run_to(100.0 + 86400.0 + 10.0);
    check(SIMC_GetStats()->leaps_inserted == 1 && SIMC_GetLeapState() == SIMC_TIME_WAIT,
          "STA_INS left set: TIME_WAIT, no second insertion a day later");
    drv->set_status(1, 0, 0.0, 0.0);
    check(SIMC_GetLeapState() == SIMC_TIME_OK, "STA_INS cleared: TIME_OK");
    check(SIMC_GetStats()->arm_calls == 1 && SIMC_GetStats()->arm_first == 10.0 &&
          near(SIMC_GetStats()->arm_first_local, 10.25, 1e-9),
          "set_status calls with a leap recorded with the local time");
    SIMS_Fini();

    /* Never armed: after the true leap the local clock is a second ahead. */
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 1e-3, .seed = 1, .epoch = LEAP_AT - 100,
                              .leap_at = LEAP_AT });
    run_to(200.0);
    check(SIMC_GetStats()->leaps_inserted == 0 && near(SIMC_TrueOffset(), 1.001, 1e-9),
          "a missed leap shows as +1 s (%.6f)", SIMC_TrueOffset());
    SIMS_Fini();

    /* Armed a day early: the kernel inserts at the end of that day. */
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = -1e-3, .seed = 1, .epoch = LEAP_AT - 86400 - 100,
                              .leap_at = LEAP_AT });
    run_to(10.0);
    drv->set_status(1, 1, 0.0, 0.0);
    run_to(200.0);
    check(SIMC_GetStats()->leaps_inserted == 1 && near(SIMC_TrueOffset(), -1.001, 1e-9),
          "a leap armed a day early is inserted a day early and shows as -1 s (%.6f)",
          SIMC_TrueOffset());
    SIMS_Fini();

    /* Armed, then disarmed before midnight: nothing happens. */
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 0.0, .seed = 1, .epoch = LEAP_AT - 100 });
    run_to(10.0);
    drv->set_status(1, 1, 0.0, 0.0);
    run_to(50.0);
    drv->set_status(1, 0, 0.0, 0.0);
    run_to(200.0);
    check(SIMC_GetStats()->leaps_inserted == 0 && near(local_rel(), 100.0, 1e-9),
          "a leap disarmed before midnight is not inserted");
    SIMS_Fini();
}

/* --- server roles: leap stamps, symmetric peer, broadcaster ------------ */

static NTP_Packet host_pkt;
static struct timespec host_rx;
static int host_n;

static void on_host(const NIO_Datagram *d, void *arg)
{
    (void)arg;
    if (PKT_Decode(d->data, d->len, &host_pkt) == PKT_OK) {
        host_rx = d->rx_time;
        host_n++;
    }
}

static void send_packet(NIO_Socket s, const NTP_Addr *to, const NTP_Packet *p)
{
    uint8_t buf[NTP_HEADER_LEN];

    PKT_Encode(p, buf);
    NIO_Send(s, to, buf, sizeof buf);
}

static void test_net_roles(void)
{
    NTP_Addr addr;
    struct timespec t1;

    /* A server's stamps repeat 23:59:59 at the leap; LI until its midnight. */
    SIMN_Server srv = { .addr = "10.0.0.9", .up = { 1e-3, 0.0, 0.0 },
                        .down = { 1e-3, 0.0, 0.0 }, .stratum = 1,
                        .li_from = LEAP_AT - 86400, .li_until = LEAP_AT };
    NTP_Packet req = { .version = 4, .mode = NTP_MODE_CLIENT, .stratum = 16, .leap = 3 };
    NTP_Timestamp recv[3];
    int li[3];
    const double when[3] = { 99.0, 100.0, 101.0 };

    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .seed = 1, .epoch = LEAP_AT - 100, .leap_at = LEAP_AT });
    CLK_Init(&SIMC_Driver);
    SIMN_Init(1, &srv, 1, NULL);
    ADDR_Parse("10.0.0.9", 123, &addr);
    NIO_Socket s = NIO_OpenClient(&addr, NULL, on_reply, NULL);
    for (int i = 0; i < 3; i++) {
        run_to(when[i] + 0.499);
        CLK_ReadTime(&t1);
        req.transmit = NTS_FromTimespec(&t1);
        uint8_t buf[NTP_HEADER_LEN];
        PKT_Encode(&req, buf);
        NIO_Send(s, &addr, buf, sizeof buf);
        run_to(when[i] + 0.9);
        recv[i] = reply.receive;
        li[i] = reply.leap;
    }
    uint32_t leap_ntp = (uint32_t)(LEAP_AT + NTP_UNIX_EPOCH_OFFSET);
    check((uint32_t)(recv[0] >> 32) == leap_ntp - 1 && (uint32_t)(recv[1] >> 32) == leap_ntp - 1 &&
          (uint32_t)(recv[2] >> 32) == leap_ntp,
          "server stamps: 23:59:59, 23:59:59 again (the leap second), 00:00:00");
    check(li[0] == NTP_LEAP_INSERT && li[1] == NTP_LEAP_INSERT && li[2] == NTP_LEAP_NONE,
          "server LI = 1 until its midnight, through the leap second (%d %d %d)", li[0], li[1],
          li[2]);
    NIO_Close(s);
    SIMN_Fini();
    CLK_Fini();
    SIMS_Fini();

    /* A symmetric passive peer 0.1 s ahead; 1 ms up, 3 ms down. */
    SIMN_Server peer = { .addr = "10.0.0.9", .offset = 0.1, .role = SIMN_SYM_PASSIVE,
                         .poll = 4, .up = { 1e-3, 0.0, 0.0 }, .down = { 3e-3, 0.0, 0.0 },
                         .stratum = 1 };
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = 0.02, .freq_error = 50.0, .seed = 1 });
    CLK_Init(&SIMC_Driver);
    SIMN_Init(1, &peer, 1, NULL);
    NIO_Init(123, NULL, NULL, on_host, NULL);
    NIO_Socket ntp = NIO_ServerSocket(AF_INET);
    ADDR_Parse("10.0.0.9", 123, &addr);
    host_n = 0;
    run_to(10.0);
    NTP_Packet p = { .version = 4, .mode = NTP_MODE_SYM_ACTIVE, .stratum = 2, .poll = 4 };
    CLK_ReadTime(&t1);
    p.transmit = NTS_FromTimespec(&t1);
    send_packet(ntp, &addr, &p);
    run_to(11.5);
    const SIMN_ServerStats *st = SIMN_GetServerStats(0);
    check(st->mobilised && host_n == 0, "passive peer mobilised by a mode-1 packet, silent "
          "for 2 s");
    run_to(12.5);
    check(host_n == 1 && host_pkt.mode == NTP_MODE_SYM_PASSIVE && host_pkt.origin == p.transmit,
          "its first mode-2 packet reaches the NTP port, origin = our transmit");
    /* Our offset from its packet: it echoed T1, T2 = its receive. */
    NTP_Timestamp t4 = NTS_FromTimespec(&host_rx);
    double theta = (NTS_Diff(host_pkt.receive, p.transmit) + NTS_Diff(host_pkt.transmit, t4)) / 2;
    /* T1 at 10 s; it arrived at 10.001, the peer answered 2 s later. */
    double ph1 = 0.02 + 50e-6 * 10.0, ph4 = 0.02 + 50e-6 * (12.001 + 3e-3);
    check(near(theta, 0.1 - (ph1 + ph4) / 2 + (1e-3 - 3e-3) / 2, 5e-9),
          "symmetric on-wire offset = exact (%.9f)", theta);
    /* Answer it as cntpd would: echo its transmit and our receive. */
    NTP_Packet q = p;
    q.origin = host_pkt.transmit;
    q.receive = t4;
    run_to(13.0);
    CLK_ReadTime(&t1);
    q.transmit = NTS_FromTimespec(&t1);
    send_packet(ntp, &addr, &q);
    run_to(14.0);
    check(st->peer_measured == 1 && st->peer_bogus == 0 && st->peer_err_max < 5e-9,
          "the peer measures our echo exactly (%llu, error %.1f ns)",
          (unsigned long long)st->peer_measured, st->peer_err_max * 1e9);
    send_packet(ntp, &addr, &q);
    q.origin ^= 0x12345;
    q.transmit += 1000;
    send_packet(ntp, &addr, &q);
    run_to(15.0);
    check(st->peer_dup == 1 && st->peer_bogus == 1, "the peer counts a duplicate and a bogus "
          "origin (%llu, %llu)", (unsigned long long)st->peer_dup,
          (unsigned long long)st->peer_bogus);
    run_to(12.0 + 16.0 + 0.5);
    check(host_n == 2 && host_pkt.origin == q.transmit, "next packet 2^poll s later, echoing "
          "our last transmit");
    SIMN_Fini();
    NIO_Fini();
    CLK_Fini();
    SIMS_Fini();

    /* A broadcaster every 16 s. */
    SIMN_Server bc = { .addr = "10.0.0.9", .role = SIMN_BROADCAST, .poll = 4,
                       .down = { 1e-3, 0.0, 0.0 }, .stratum = 1 };
    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .seed = 1 });
    CLK_Init(&SIMC_Driver);
    SIMN_Init(1, &bc, 1, NULL);
    NIO_Init(123, NULL, NULL, on_host, NULL);
    host_n = 0;
    run_to(160.0);
    check(host_n == 10 && host_pkt.mode == NTP_MODE_BROADCAST && host_pkt.origin == 0 &&
          host_pkt.poll == 4, "broadcaster: mode 5 to the NTP port every 2^poll s (%d in 160 s)",
          host_n);
    SIMN_Fini();
    NIO_Fini();
    CLK_Fini();
    SIMS_Fini();
}

/* --- random streams ---------------------------------------------------- */

static void test_rng(void)
{
    SIM_Rng a, b;
    double sum = 0.0;
    const int n = 200000;

    SIM_RngInit(&a, 42, 3);
    SIM_RngInit(&b, 42, 3);
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= SIM_RngNext(&a) == SIM_RngNext(&b);
    SIM_RngInit(&b, 42, 4);
    check(same && SIM_RngNext(&a) != SIM_RngNext(&b), "streams repeat per (seed, stream) "
          "and differ between streams");
    for (int i = 0; i < n; i++)
        sum += SIM_RngExp(&a, 2e-3);
    check(near(sum / n, 2e-3, 2e-5), "exponential mean %.6f ~ 0.002", sum / n);
}

int SIM_SelfTest(FILE *o, int *passed)
{
    out = o;
    n_passed = n_failed = 0;
    LOG_Init("cntpd-sim", 1, 0);
    test_sched();
    test_clock();
    test_net();
    test_leap_clock();
    test_net_roles();
    test_rng();
    LOG_Fini();
    *passed += n_passed;
    return n_failed;
}
