/*
 * Unit tests for mode 6: the codec (ntp_ctlmsg: request parsing and every
 * reason to drop, fragments and their reassembly, error responses, status
 * words, ntpd's text layout, system and peer variables with their units,
 * requested lists, the response budget) and the responder (ntp_control,
 * with the engine, the network, the clock and the events faked here: who
 * is answered, errors per opcode, READSTAT pairs, event counts, budget).
 * Wire octets are built by hand here, independently of the encoder.
 *
 * Links: ntp_ctlmsg ntp_control access addr filter ntp_time counters mem log textfile
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "access.h"
#include "clock.h"
#include "counters.h"
#include "engine.h"
#include "events.h"
#include "ntp_control.h"
#include "ntp_ctlmsg.h"
#include "ntp_io.h"
#include "refclock.h"
#include "sched.h"

/* ---- fakes of the engine, the network, the clock and the events -------- */

static ENG_SystemReport fake_sys;
static PEER_Report fake_peers[4];
static size_t n_fake_peers;
static double fake_now = 1000.0;
static EVT_Handler evt_handler;
static void *evt_arg;

#define MAX_SENT 64
static uint8_t sent[MAX_SENT][NCM_MAX_PACKET + 64];
static size_t sent_len[MAX_SENT], n_sent;

void ENG_GetSystemReport(ENG_SystemReport *report)
{
    *report = fake_sys;
}

size_t ENG_GetPeerReports(PEER_Report **reports)
{
    *reports = malloc(sizeof fake_peers);
    memcpy(*reports, fake_peers, sizeof fake_peers);
    return n_fake_peers;
}

int NIO_Send(NIO_Socket sock, const NTP_Addr *remote, const void *buf, size_t len)
{
    (void)sock;
    (void)remote;
    assert_true(len <= sizeof sent[0]);
    assert_true(n_sent < MAX_SENT);
    memcpy(sent[n_sent], buf, len);
    sent_len[n_sent++] = len;
    return 0;
}

void CLK_ReadTime(struct timespec *now)
{
    now->tv_sec = 1700000000;   /* 0xe8fe6f80 in NTP seconds */
    now->tv_nsec = 500000000;
}

double SCH_Monotonic(void)
{
    return fake_now;
}

void EVT_Subscribe(EVT_Handler handler, void *arg)
{
    evt_handler = handler;
    evt_arg = arg;
}

void EVT_Unsubscribe(EVT_Handler handler, void *arg)
{
    (void)handler;
    (void)arg;
    evt_handler = NULL;
}

/* ---- helpers ----------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A request as ntpq builds it: version 2, data padded to 4 octets. */
static size_t request(uint8_t *buf, int opcode, uint16_t seq, uint16_t assoc, const char *data)
{
    size_t n = data ? strlen(data) : 0, len = 12 + n;

    memset(buf, 0, 12 + ((n + 3) & ~(size_t)3));
    buf[0] = 2 << 3 | 6;
    buf[1] = (uint8_t)opcode;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[6] = (uint8_t)(assoc >> 8);
    buf[7] = (uint8_t)assoc;
    buf[10] = (uint8_t)(n >> 8);
    buf[11] = (uint8_t)n;
    if (n)
        memcpy(buf + 12, data, n);
    while (len % 4)
        len++;
    return len;
}

static NTP_Addr mkaddr(const char *text)
{
    NTP_Addr a;

    if (ADDR_Parse(text, 40000, &a) != 0)
        fail_msg("bad test address %s", text);
    return a;
}

/* Run the responder on one datagram from `from`. */
static void receive(const char *from, const uint8_t *buf, size_t len)
{
    NIO_Datagram d = { .sock = NULL, .remote = mkaddr(from), .data = buf, .len = len };

    NCTL_Receive(&d);
}

static void set_restrict(const char *line)
{
    char copy[256], *argv[16], *save = NULL, err[ACC_ERRLEN];
    int argc = 0;
    ACC_Rule r;

    snprintf(copy, sizeof copy, "%s", line);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    assert_int_equal(ACC_ParseRestrict(argc, argv, &r, err, sizeof err), 0);
    ACC_SetRules(&r, 1);
}

/* The reassembled data of the responses sent (checking the fragment
   headers on the way); returns the status word of the last one. */
static uint16_t reassemble(uint8_t *out, size_t *len, int opcode, uint16_t seq, uint16_t assoc)
{
    *len = 0;
    assert_true(n_sent > 0);
    for (size_t i = 0; i < n_sent; i++) {
        const uint8_t *p = sent[i];
        size_t count = get16(p + 10);

        assert_int_equal(p[0] & 7, 6);
        assert_int_equal(p[0] >> 3 & 7, 2);               /* the request's version */
        assert_int_equal(p[1] & 0x80, 0x80);              /* R */
        assert_int_equal(p[1] & 0x40, 0);                 /* no E */
        assert_int_equal(!!(p[1] & 0x20), i + 1 < n_sent);  /* M on all but the last */
        assert_int_equal(p[1] & 0x1f, opcode);
        assert_int_equal(get16(p + 2), seq);
        assert_int_equal(get16(p + 6), assoc);
        assert_int_equal(get16(p + 8), *len);             /* offset */
        assert_true(count <= 468);
        if (i + 1 < n_sent)
            assert_int_equal(count, 468);
        assert_int_equal(sent_len[i], 12 + ((count + 3) & ~(size_t)3));
        for (size_t k = 12 + count; k < sent_len[i]; k++)
            assert_int_equal(p[k], 0);                    /* padding */
        memcpy(out + *len, p + 12, count);
        *len += count;
    }
    out[*len] = '\0';
    return get16(sent[n_sent - 1] + 4);
}

static void expect_error(int opcode, uint16_t seq, uint16_t assoc, int code)
{
    assert_int_equal(n_sent, 1);
    assert_int_equal(sent_len[0], 12);
    assert_int_equal(sent[0][1], 0x80 | 0x40 | opcode);
    assert_int_equal(get16(sent[0] + 2), seq);
    assert_int_equal(get16(sent[0] + 4), code << 8);
    assert_int_equal(get16(sent[0] + 6), assoc);
    assert_int_equal(get16(sent[0] + 10), 0);
}

static PEER_Report peer(uint32_t id, const char *host)
{
    PEER_Report r;

    memset(&r, 0, sizeof r);
    r.assoc_id = id;
    snprintf(r.host, sizeof r.host, "%s", host);
    r.addr = mkaddr("192.0.2.1");
    ADDR_SetPort(&r.addr, 123);
    r.local = mkaddr("192.0.2.100");
    ADDR_SetPort(&r.local, 40123);
    r.mode = 3;
    r.configured = 1;
    r.hpoll = 6;
    r.ppoll = 7;
    r.reach = 0377;
    r.leap = 0;
    r.stratum = 2;
    r.precision = -20;
    r.root_delay = 0.0125;
    r.root_dispersion = 0.0250;
    r.refid = 0xc6336401;   /* 198.51.100.1 */
    r.reference_time = 0xe8f9aa0012345678ull;
    r.org = 0xe8f9aa7000000001ull;
    r.rec = 0xe8f9aa7080000000ull;
    r.xmt = 0xe8f9aa6f00000000ull;
    r.received = 10;
    r.have_sample = 1;
    r.offset = -0.0012345;
    r.delay = 0.0201;
    r.dispersion = 0.0031;
    r.jitter = 0.000456;
    r.select = PEER_SEL_SYSPEER;
    FLT_Reset(&r.filter);
    return r;
}

static int reset(void **state)
{
    (void)state;
    memset(&CNT, 0, sizeof CNT);
    n_sent = 0;
    fake_now += 1000.0;   /* budgets full again */
    memset(&fake_sys, 0, sizeof fake_sys);
    fake_sys.sys.leap = 0;
    fake_sys.sys.stratum = 3;
    fake_sys.sys.precision = -22;
    fake_sys.sys.root_delay = 0.0345;
    fake_sys.sys.root_dispersion = 0.05;
    fake_sys.sys.refid = 0xc0000201;
    fake_sys.sys.reference_time = 0xe8f9aa7f00000000ull;
    fake_sys.sys.sys_peer = 7;
    fake_sys.sys.poll = 6;
    fake_sys.sys.offset = 0.000123;
    fake_sys.sys.jitter = 0.0000456;
    fake_sys.frequency = -12.5;
    n_fake_peers = 2;
    fake_peers[0] = peer(7, "192.0.2.1");
    fake_peers[1] = peer(9, "ntp.example.org");
    fake_peers[1].select = PEER_SEL_CANDIDATE;
    fake_peers[1].configured = 0;
    ACC_SetRules(NULL, 0);
    NCTL_Init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    NCTL_Fini();
    ACC_Fini();
    return 0;
}

/* ---- codec: requests ------------------------------------------------------ */

static void test_parse_ok(void **state)
{
    uint8_t buf[64];
    NCM_Request r;
    size_t len;

    (void)state;
    len = request(buf, 1, 0x1234, 0, NULL);
    assert_int_equal(len, 12);
    assert_int_equal(NCM_ParseRequest(buf, len, &r), NCM_PARSE_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.opcode, 1);
    assert_int_equal(r.sequence, 0x1234);
    assert_int_equal(r.count, 0);

    /* check_ntp_peer's READVAR: 21 octets padded to 24. */
    len = request(buf, 2, 2, 0x0102, "stratum,offset,jitter");
    assert_int_equal(len, 36);
    assert_int_equal(NCM_ParseRequest(buf, len, &r), NCM_PARSE_OK);
    assert_int_equal(r.assoc_id, 0x0102);
    assert_int_equal(r.count, 21);
    assert_memory_equal(r.data, "stratum,offset,jitter", 21);

    /* A MAC after the data (ntpq pads to 8 octets, then key id + 16 or 20
       octets of digest) is accepted and ignored. */
    assert_int_equal(NCM_ParseRequest(buf, 40 + 20, &r), NCM_PARSE_OK);
    assert_int_equal(NCM_ParseRequest(buf, 40 + 24, &r), NCM_PARSE_OK);
    assert_int_equal(r.count, 21);
    /* Versions 1 and 4. */
    buf[0] = 1 << 3 | 6;
    assert_int_equal(NCM_ParseRequest(buf, 36, &r), NCM_PARSE_OK);
    buf[0] = 4 << 3 | 6;
    assert_int_equal(NCM_ParseRequest(buf, 36, &r), NCM_PARSE_OK);
}

static void test_parse_drops(void **state)
{
    uint8_t buf[600], b[600];
    NCM_Request r;
    size_t len;

    (void)state;
    memset(buf, 0, sizeof buf);
    len = request(buf, 2, 1, 0, "offset");   /* 20 octets */
    assert_int_equal(NCM_ParseRequest(buf, len, &r), NCM_PARSE_OK);

    for (size_t n = 0; n < 12; n++)
        assert_int_equal(NCM_ParseRequest(buf, n, &r), NCM_PARSE_SHORT);

    memcpy(b, buf, len);
    b[0] = 2 << 3 | 3;
    assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_MODE);

    for (int v = 0; v < 8; v += 5) {   /* 0 and 5 */
        memcpy(b, buf, len);
        b[0] = (uint8_t)(v << 3 | 6);
        assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_VERSION);
    }
    b[0] = 7 << 3 | 6;
    assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_VERSION);

    static const uint8_t bits[] = { 0x80, 0x40, 0x20 };
    for (size_t i = 0; i < sizeof bits; i++) {
        memcpy(b, buf, len);
        b[1] |= bits[i];
        assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_NOT_REQUEST);
    }

    memcpy(b, buf, len);
    b[9] = 4;
    assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_OFFSET);

    /* Count beyond the datagram, beyond 468, length not a multiple of 4,
       more after the data than a MAC. */
    memcpy(b, buf, len);
    b[11] = 9;
    assert_int_equal(NCM_ParseRequest(b, len, &r), NCM_PARSE_LENGTH);
    memset(b, 0, sizeof b);
    memcpy(b, buf, 12);
    b[10] = 469 >> 8;
    b[11] = 469 & 0xff;
    assert_int_equal(NCM_ParseRequest(b, 484, &r), NCM_PARSE_LENGTH);
    b[10] = 468 >> 8;
    b[11] = 468 & 0xff;
    assert_int_equal(NCM_ParseRequest(b, 480, &r), NCM_PARSE_OK);
    assert_int_equal(NCM_ParseRequest(buf, len - 1, &r), NCM_PARSE_LENGTH);
    assert_int_equal(NCM_ParseRequest(buf, len + 2, &r), NCM_PARSE_LENGTH);
    assert_int_equal(NCM_ParseRequest(buf, len + 28, &r), NCM_PARSE_OK);
    assert_int_equal(NCM_ParseRequest(buf, len + 32, &r), NCM_PARSE_LENGTH);
}

/* ---- codec: responses ----------------------------------------------------- */

static void test_fragments(void **state)
{
    static const size_t lens[] = { 0, 1, 467, 468, 469, 936, 1000, 32 * 468 };
    uint8_t data[32 * 468], out[NCM_MAX_PACKET], back[32 * 468 + 1];
    uint8_t req_buf[16];
    NCM_Request req;

    (void)state;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    request(req_buf, 2, 77, 5, NULL);
    assert_int_equal(NCM_ParseRequest(req_buf, 12, &req), NCM_PARSE_OK);

    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k], n = NCM_FragmentCount(len), total = 0;

        assert_int_equal(n, len == 0 ? 1 : (len + 467) / 468);
        n_sent = 0;
        for (size_t i = 0; i < n; i++) {
            size_t plen = NCM_EncodeFragment(&req, 1, 0xabcd, data, len, i, out);

            assert_int_equal(plen % 4, 0);
            assert_int_equal(out[0], 1 << 6 | 2 << 3 | 6);   /* LI from the caller */
            assert_int_equal(get16(out + 4), 0xabcd);
            memcpy(sent[n_sent], out, plen);
            sent_len[n_sent++] = plen;
            total += plen;
        }
        assert_int_equal(NCM_EncodeFragment(&req, 1, 0xabcd, data, len, n, out), 0);
        assert_int_equal(total, NCM_ReplyOctets(len));
        size_t got;
        reassemble(back, &got, 2, 77, 5);
        assert_int_equal(got, len);
        assert_memory_equal(back, data, len);
    }
    n_sent = 0;
}

static void test_error_response(void **state)
{
    uint8_t buf[16], out[16];
    NCM_Request req;

    (void)state;
    request(buf, 3, 0xbeef, 42, NULL);
    buf[0] = 3 << 3 | 6;
    assert_int_equal(NCM_ParseRequest(buf, 12, &req), NCM_PARSE_OK);
    assert_int_equal(NCM_EncodeError(&req, 3, NCM_ERR_PERMISSION, out), 12);
    assert_int_equal(out[0], 3 << 6 | 3 << 3 | 6);
    assert_int_equal(out[1], 0x80 | 0x40 | 3);
    assert_int_equal(get16(out + 2), 0xbeef);
    assert_int_equal(get16(out + 4), 0x0100);
    assert_int_equal(get16(out + 6), 42);
    assert_int_equal(get16(out + 8), 0);
    assert_int_equal(get16(out + 10), 0);
}

static void test_status_words(void **state)
{
    PEER_Report r = peer(1, "192.0.2.1");

    (void)state;
    /* LI(2) source(6) count(4) code(4); the count saturates at 15. */
    assert_int_equal(NCM_SystemStatus(0, 6, 1, 5), 0x0615);
    assert_int_equal(NCM_SystemStatus(3, 0, 1, 6), 0xc016);
    assert_int_equal(NCM_SystemStatus(1, 4, 99, 8), 0x44f8);
    assert_int_equal(NCM_ClockSource(0), 6);
    assert_int_equal(NCM_ClockSource(RCL_TYPE_LOCAL), 5);
    assert_int_equal(NCM_ClockSource(RCL_TYPE_PPS), 1);
    assert_int_equal(NCM_ClockSource(RCL_TYPE_NMEA), 4);
    assert_int_equal(NCM_ClockSource(RCL_TYPE_SHM), 4);

    /* ntpd's tally codes. */
    assert_int_equal(NCM_SelectCode(PEER_SEL_REJECT, 0), 0);
    assert_int_equal(NCM_SelectCode(PEER_SEL_FALSETICK, 0), 1);
    assert_int_equal(NCM_SelectCode(PEER_SEL_EXCESS, 0), 2);
    assert_int_equal(NCM_SelectCode(PEER_SEL_OUTLIER, 0), 3);
    assert_int_equal(NCM_SelectCode(PEER_SEL_CANDIDATE, 0), 4);
    assert_int_equal(NCM_SelectCode(PEER_SEL_SYSPEER, 0), 6);
    assert_int_equal(NCM_SelectCode(PEER_SEL_SYSPEER, RCL_TYPE_PPS), 7);
    assert_int_equal(NCM_SelectCode(PEER_SEL_CANDIDATE, RCL_TYPE_PPS), 4);

    /* conf, reach, sys.peer; 1 event "reachable": ntpd's 0x9614. */
    assert_int_equal(NCM_PeerStatus(&r, 1, 4), 0x9614);
    r.reach = 0;
    r.configured = 0;
    r.select = PEER_SEL_REJECT;
    assert_int_equal(NCM_PeerStatus(&r, 2, 3), 0x0023);
    /* A key: authenable, and authentic once something was received. */
    r.key = 42;
    assert_int_equal(NCM_PeerStatus(&r, 0, 0), 0x4000);
    r.reach = 1;
    assert_int_equal(NCM_PeerStatus(&r, 0, 0), 0x7000);
    /* A broadcast association. */
    r.key = 0;
    r.mode = 5;
    assert_int_equal(NCM_PeerStatus(&r, 20, 4), 0x18f4);
}

/* ---- codec: text and variables ------------------------------------------- */

static void test_text_layout(void **state)
{
    char buf[512];
    NCM_Text t;

    (void)state;
    NCM_TextInit(&t, buf, sizeof buf);
    NCM_TextItem(&t, "a=1");
    NCM_TextItem(&t, "bb=%d", 22);
    NCM_TextEnd(&t);
    assert_int_equal(t.len, strlen("a=1, bb=22\r\n"));
    assert_memory_equal(buf, "a=1, bb=22\r\n", t.len);

    /* A line never reaches 72 characters: the item that would make it do
       so starts a new line (",\r\n" instead of ", "). Here a line of four
       items is 71 characters with its comma; a fifth would pass 72. */
    NCM_TextInit(&t, buf, sizeof buf);
    for (int i = 0; i < 10; i++)
        NCM_TextItem(&t, "item%d=0123456789", i);   /* 16 characters */
    NCM_TextEnd(&t);
    buf[t.len] = '\0';
    assert_string_equal(buf,
                        "item0=0123456789, item1=0123456789, item2=0123456789, item3=0123456789,\r\n"
                        "item4=0123456789, item5=0123456789, item6=0123456789, item7=0123456789,\r\n"
                        "item8=0123456789, item9=0123456789\r\n");
    for (char *line = buf, *end; (end = strstr(line, "\r\n")) != NULL; line = end + 2)
        assert_true(end - line < 72);

    /* Overflow is flagged, never overrun. */
    NCM_TextInit(&t, buf, 10);
    NCM_TextItem(&t, "longer=than ten");
    assert_int_equal(t.len, 10);
    assert_true(t.overflow);
}

static void sys_info(NCM_System *s)
{
    memset(s, 0, sizeof *s);
    s->version = "cntpd 9.9";
    s->processor = "x86_64";
    s->system = "Linux/6.1";
    s->leap = 0;
    s->stratum = 2;
    s->precision = -23;
    s->root_delay = 0.0123456;
    s->root_dispersion = 0.5;
    s->refid = 0xc0000201;
    s->reftime = 0xe8f9aa7f80000000ull;
    s->clock = 0xe8f9aa8080000000ull;
    s->peer = 3;
    s->poll = 6;
    s->offset = -0.000123456;
    s->frequency = 17.25;
    s->jitter = 0.0000789;
}

static int vars(int peer_vars, const void *ctx, const char *list, char *out, size_t size)
{
    NCM_Text t;
    int error = -99, rc;

    NCM_TextInit(&t, out, size - 1);
    if (peer_vars)
        rc = NCM_PeerVars(ctx, (const uint8_t *)list, list ? strlen(list) : 0, &t, &error);
    else
        rc = NCM_SystemVars(ctx, (const uint8_t *)list, list ? strlen(list) : 0, &t, &error);
    out[t.len] = '\0';
    return rc < 0 ? error : -1;
}

static void test_system_vars(void **state)
{
    char out[2048];
    NCM_System s;

    (void)state;
    sys_info(&s);
    assert_int_equal(vars(0, &s, NULL, out, sizeof out), -1);
    assert_string_equal(out,
                        "version=\"cntpd 9.9\", processor=\"x86_64\", system=\"Linux/6.1\", leap=0,\r\n"
                        "stratum=2, precision=-23, rootdelay=12.346, rootdisp=500.000,\r\n"
                        "refid=192.0.2.1, reftime=0xe8f9aa7f.80000000, clock=0xe8f9aa80.80000000,\r\n"
                        "peer=3, tc=6, offset=-0.123456, frequency=17.250000,\r\n"
                        "sys_jitter=0.078900\r\n");

    /* Refids: ASCII at stratum 0/1 and 16 (unprintables, blanks and commas
       as '.'), dotted quad at 2..15. */
    s.stratum = 1;
    s.refid = 0x47505300;   /* "GPS" */
    assert_int_equal(vars(0, &s, "refid", out, sizeof out), -1);
    assert_string_equal(out, "refid=GPS\r\n");
    s.refid = 0x7f7f0101;   /* chronyd's local reference */
    vars(0, &s, "refid", out, sizeof out);
    assert_string_equal(out, "refid=....\r\n");
    s.refid = 0x412c2042;   /* "A, B" */
    vars(0, &s, "refid", out, sizeof out);
    assert_string_equal(out, "refid=A..B\r\n");
    s.stratum = 16;
    s.refid = 0x494e4954;   /* INIT */
    vars(0, &s, "refid", out, sizeof out);
    assert_string_equal(out, "refid=INIT\r\n");
    s.stratum = 15;
    vars(0, &s, "refid", out, sizeof out);
    assert_string_equal(out, "refid=73.78.73.84\r\n");
}

static void test_requested_lists(void **state)
{
    PEER_Report r = peer(1, "192.0.2.1");
    char out[2048];

    (void)state;
    /* check_ntp_peer's request: only those, in ntpd's table order. */
    assert_int_equal(vars(1, &r, "stratum,offset,jitter", out, sizeof out), -1);
    assert_string_equal(out, "stratum=2, offset=-1.234500, jitter=0.456000\r\n");
    assert_int_equal(vars(1, &r, "jitter,stratum", out, sizeof out), -1);
    assert_string_equal(out, "stratum=2, jitter=0.456000\r\n");
    /* Blanks, "=value" (ignored on a read), repeats (sent once), empty items. */
    assert_int_equal(vars(1, &r, " delay = 5 ,,\r\n delay,offset=", out, sizeof out), -1);
    assert_string_equal(out, "offset=-1.234500, delay=20.100000\r\n");
    /* A NUL ends the list. */
    NCM_Text t;
    int error = 0;
    NCM_TextInit(&t, out, sizeof out);
    assert_int_equal(NCM_PeerVars(&r, (const uint8_t *)"leap\0bogus", 10, &t, &error), 0);
    assert_memory_equal(out, "leap=0\r\n", t.len);
    /* Only blanks and commas: the default set. */
    assert_int_equal(vars(1, &r, " , ", out, sizeof out), -1);
    assert_non_null(strstr(out, "srcadr=192.0.2.1"));
    /* Unknown names, names of the other table, bad characters. */
    assert_int_equal(vars(1, &r, "offset,bogus", out, sizeof out), NCM_ERR_UNKNOWNVAR);
    assert_int_equal(vars(1, &r, "sys_jitter", out, sizeof out), NCM_ERR_UNKNOWNVAR);
    assert_int_equal(vars(0, &r, "filtdelay", out, sizeof out), NCM_ERR_UNKNOWNVAR);
    assert_int_equal(vars(1, &r, "off set", out, sizeof out), NCM_ERR_BADFMT);
    assert_int_equal(vars(1, &r, "offs\x01t", out, sizeof out), NCM_ERR_BADFMT);
    assert_int_equal(vars(1, &r, "a_name_far_too_long_to_be_any_variable_at_all", out,
                          sizeof out), NCM_ERR_UNKNOWNVAR);
}

static void test_peer_vars(void **state)
{
    PEER_Report r = peer(1, "192.0.2.1");
    char out[2048];
    double now = 100.0;

    (void)state;
    /* Three stages, the newest first; the other five empty (0, 0, 16 s). */
    FLT_Reset(&r.filter);
    for (int i = 0; i < 3; i++) {
        FLT_Stage *s = &r.filter.stage[i];

        s->valid = 1;
        s->offset = 0.001 * (i + 1);
        s->delay = 0.010 * (i + 1);
        s->dispersion = 0.0001 * (i + 1);
        s->epoch = now + i;
    }
    r.filter.newest = 2;
    assert_int_equal(vars(1, &r, NULL, out, sizeof out), -1);
    assert_string_equal(out,
                        "srcadr=192.0.2.1, srcport=123, dstadr=192.0.2.100, dstport=40123,\r\n"
                        "leap=0, stratum=2, precision=-20, rootdelay=12.500, rootdisp=25.000,\r\n"
                        "refid=198.51.100.1, reftime=0xe8f9aa00.12345678,\r\n"
                        "rec=0xe8f9aa70.80000000, reach=0xff, unreach=0, hmode=3, pmode=4,\r\n"
                        "hpoll=6, ppoll=7, keyid=0, offset=-1.234500, delay=20.100000,\r\n"
                        "dispersion=3.100000, jitter=0.456000,\r\n"
                        "filtdelay= 30.00 20.00 10.00 0.00 0.00 0.00 0.00 0.00,\r\n"
                        "filtoffset= 3.00 2.00 1.00 0.00 0.00 0.00 0.00 0.00,\r\n"
                        "filtdisp= 0.30 0.20 0.10 16000.00 16000.00 16000.00 16000.00 16000.00\r\n");

    /* org and xmt on request only; srchost only for a name. */
    assert_int_equal(vars(1, &r, "org,xmt,srchost", out, sizeof out), -1);
    assert_string_equal(out, "org=0xe8f9aa70.00000001, xmt=0xe8f9aa6f.00000000\r\n");
    snprintf(r.host, sizeof r.host, "ntp.example.org");
    vars(1, &r, "srchost", out, sizeof out);
    assert_string_equal(out, "srchost=\"ntp.example.org\"\r\n");

    /* pmode: a server answers a client, a broadcaster broadcasts; unknown
       for symmetric modes and before any packet. */
    r.mode = 6;   /* broadcast client */
    vars(1, &r, "hmode,pmode", out, sizeof out);
    assert_string_equal(out, "hmode=6, pmode=5\r\n");
    r.mode = 1;
    vars(1, &r, "hmode,pmode", out, sizeof out);
    assert_string_equal(out, "hmode=1\r\n");
    r.mode = 3;
    r.received = 0;
    vars(1, &r, "hmode,pmode", out, sizeof out);
    assert_string_equal(out, "hmode=3\r\n");

    /* Unresolved: no address yet. */
    memset(&r.addr, 0, sizeof r.addr);
    memset(&r.local, 0, sizeof r.local);
    vars(1, &r, "srcadr,srcport,dstadr,dstport", out, sizeof out);
    assert_string_equal(out, "srcadr=0.0.0.0, srcport=0, dstadr=0.0.0.0, dstport=0\r\n");
}

/* ---- codec: budget --------------------------------------------------------- */

static NCM_Budget b;

static int take(const char *from, size_t octets, double now)
{
    NTP_Addr a = mkaddr(from);

    return NCM_BudgetTake(&b, &a, octets, now);
}

static int loopback(const char *text)
{
    NTP_Addr a = mkaddr(text);

    return NCM_IsLoopback(&a);
}

static void test_budget(void **state)
{
    NTP_Addr a = mkaddr("192.0.2.1"), c = mkaddr("198.51.100.7"), a6 = mkaddr("::ffff:192.0.2.1");
    double t = 50.0;

    (void)state;
    NCM_BudgetInit(&b, 1, 2, 100.0, 1000.0, 300.0, 2500.0);
    /* A source's burst, then nothing until the bucket refills. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(NCM_BudgetTake(&b, &a, 100, t), 1);
    assert_int_equal(NCM_BudgetTake(&b, &a, 1, t), 0);
    /* The v4-mapped form is the same source. */
    assert_int_equal(NCM_BudgetTake(&b, &a6, 1, t), 0);
    /* 100 octets/s: 0.5 s later 50 octets, 1 s later 100. */
    assert_int_equal(NCM_BudgetTake(&b, &a, 60, t + 0.5), 0);
    assert_int_equal(NCM_BudgetTake(&b, &a, 50, t + 0.5), 1);
    assert_int_equal(NCM_BudgetTake(&b, &a, 100, t + 1.5), 1);
    assert_int_equal(NCM_BudgetTake(&b, &a, 1, t + 1.5), 0);
    /* Time running backwards gives nothing. */
    assert_int_equal(NCM_BudgetTake(&b, &a, 1, t), 0);
    /* Another source has its own burst, but the shared bucket runs out
       first: 2500 - 1150 taken + 450 refilled (300/s for 1.5 s) = 1800,
       800 after this 1000. */
    assert_int_equal(NCM_BudgetTake(&b, &c, 1000, t + 1.5), 1);
    assert_int_equal(take("203.0.113.9", 801, t + 1.5), 0);
    assert_int_equal(take("203.0.113.9", 800, t + 1.5), 1);
    assert_int_equal(take("203.0.113.10", 1, t + 1.5), 0);
    /* A reply bigger than a burst never fits. */
    assert_int_equal(take("203.0.113.11", 1001, t + 100.0), 0);
    assert_int_equal(take("203.0.113.11", 1000, t + 100.0), 1);

    /* Loopback. */
    assert_true(loopback("127.0.0.1"));
    assert_true(loopback("127.200.0.9"));
    assert_true(loopback("::1"));
    assert_true(loopback("::ffff:127.0.0.1"));
    assert_false(loopback("128.0.0.1"));
    assert_false(loopback("::2"));
    assert_false(loopback("192.0.2.1"));
}

/* ---- responder ------------------------------------------------------------- */

static void test_who_is_answered(void **state)
{
    uint8_t q[16];
    size_t len = request(q, 1, 5, 0, NULL);

    (void)state;
    /* No restrict line: loopback only. */
    receive("127.0.0.1", q, len);
    assert_int_equal(n_sent, 1);
    receive("::1", q, len);
    assert_int_equal(n_sent, 2);
    receive("192.0.2.50", q, len);
    receive("2001:db8::50", q, len);
    assert_int_equal(n_sent, 2);
    assert_int_equal(CNT.ctl_answered, 2);
    assert_int_equal(CNT.ctl_denied, 2);

    /* A restrict line matching without noquery opens it (ntpd's rule). */
    set_restrict("restrict 192.0.2.0 mask 255.255.255.0 nomodify");
    receive("192.0.2.50", q, len);
    assert_int_equal(n_sent, 3);
    receive("198.51.100.1", q, len);
    assert_int_equal(n_sent, 3);
    set_restrict("restrict default kod limited nopeer");
    receive("198.51.100.1", q, len);
    assert_int_equal(n_sent, 4);

    /* noquery closes it, loopback included; ignore too. */
    set_restrict("restrict default noquery");
    receive("198.51.100.1", q, len);
    set_restrict("restrict 127.0.0.1 noquery");
    receive("127.0.0.1", q, len);
    set_restrict("restrict 127.0.0.1 ignore");
    receive("127.0.0.1", q, len);
    assert_int_equal(n_sent, 4);
    assert_int_equal(CNT.ctl_denied, 6);
    assert_int_equal(CNT.ctl_answered, 4);
    /* All of these are in the dropped total. */
    assert_int_equal(CNT_Dropped(), 6);
}

static void test_malformed_dropped(void **state)
{
    uint8_t q[64];
    size_t len = request(q, 2, 1, 0, "offset");

    (void)state;
    receive("127.0.0.1", q, 11);
    q[1] |= 0x80;   /* a response */
    receive("127.0.0.1", q, len);
    q[1] = 2;
    q[9] = 1;       /* an offset */
    receive("127.0.0.1", q, len);
    q[9] = 0;
    receive("127.0.0.1", q, len - 2);
    assert_int_equal(n_sent, 0);
    assert_int_equal(CNT.ctl_malformed, 4);
    assert_int_equal(CNT_Dropped(), 4);
    receive("127.0.0.1", q, len);
    assert_int_equal(n_sent, 1);
    assert_int_equal(CNT.ctl_answered, 1);
}

static void test_errors(void **state)
{
    static const struct {
        int opcode, code;
    } cases[] = {
        { 3, NCM_ERR_PERMISSION },   /* writevar */
        { 5, NCM_ERR_PERMISSION },   /* writeclock */
        { 6, NCM_ERR_PERMISSION },   /* settrap */
        { 8, NCM_ERR_PERMISSION },   /* configure */
        { 9, NCM_ERR_PERMISSION },   /* saveconfig */
        { 31, NCM_ERR_PERMISSION },  /* unsettrap */
        { 0, NCM_ERR_BADOP },
        { 4, NCM_ERR_BADOP },        /* readclock */
        { 7, NCM_ERR_BADOP },
        { 10, NCM_ERR_BADOP },       /* read MRU list */
        { 12, NCM_ERR_BADOP },       /* nonce */
        { 20, NCM_ERR_BADOP },
    };
    uint8_t q[64];
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n_sent = 0;
        len = request(q, cases[i].opcode, (uint16_t)(100 + i), 0, "leap=1");
        receive("127.0.0.1", q, len);
        expect_error(cases[i].opcode, (uint16_t)(100 + i), 0, cases[i].code);
    }
    n_sent = 0;
    len = request(q, 2, 1, 8, NULL);
    receive("127.0.0.1", q, len);
    expect_error(2, 1, 8, NCM_ERR_BADASSOC);
    n_sent = 0;
    len = request(q, 1, 1, 8, NULL);
    receive("127.0.0.1", q, len);
    expect_error(1, 1, 8, NCM_ERR_BADASSOC);
    n_sent = 0;
    len = request(q, 2, 2, 7, "stratum,offset,bogus");
    receive("127.0.0.1", q, len);
    expect_error(2, 2, 7, NCM_ERR_UNKNOWNVAR);
    assert_int_equal(CNT.ctl_errors, 15);
    assert_int_equal(CNT.ctl_answered, 15);
    /* The leap indicator of the system rides on errors too. */
    assert_int_equal(sent[0][0] >> 6, 0);
}

static void test_readstat_and_events(void **state)
{
    uint8_t q[16], data[8192];
    size_t len;
    uint16_t status;

    (void)state;
    fake_sys.sys.leap = 1;
    len = request(q, 1, 9, 0, NULL);
    receive("127.0.0.1", q, len);
    status = reassemble(data, &len, 1, 9, 0);
    /* leap 1, an NTP server as source, 1 event: restart. */
    assert_int_equal(status, 0x4616);
    assert_int_equal(sent[0][0] >> 6, 1);
    assert_int_equal(len, 8);
    assert_int_equal(get16(data), 7);
    assert_int_equal(get16(data + 2), 0x9600);   /* conf reach sys.peer */
    assert_int_equal(get16(data + 4), 9);
    assert_int_equal(get16(data + 6), 0x1400);   /* reach candidate */

    /* Events heard: sync status, reachability; a gone association is forgotten. */
    assert_non_null(evt_handler);
    evt_handler(&(EVT_Event){ .type = EVT_SYNC_STATUS, .status = 6 }, evt_arg);
    evt_handler(&(EVT_Event){ .type = EVT_PEER_UNREACHABLE, .assoc_id = 9 }, evt_arg);
    evt_handler(&(EVT_Event){ .type = EVT_PEER_REACHABLE, .assoc_id = 9 }, evt_arg);
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 1, 10, 0, NULL));
    status = reassemble(data, &len, 1, 10, 0);
    assert_int_equal(status, 0x4625);            /* 2 events, clock_sync */
    assert_int_equal(get16(data + 6), 0x1424);   /* 2 events, reachable */
    evt_handler(&(EVT_Event){ .type = EVT_SYNC_STATUS, .status = 3 }, evt_arg);
    evt_handler(&(EVT_Event){ .type = EVT_PEER_GONE, .assoc_id = 9 }, evt_arg);
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 1, 11, 0, NULL));
    status = reassemble(data, &len, 1, 11, 0);
    assert_int_equal(status, 0x4638);            /* 3 events, no_sys_peer */
    assert_int_equal(get16(data + 6), 0x1400);

    /* READSTAT of one association: its status word, no data. */
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 1, 12, 7, NULL));
    status = reassemble(data, &len, 1, 12, 7);
    assert_int_equal(status, 0x9600);
    assert_int_equal(len, 0);

    /* Associations beyond 16 bits are left out; a refclock system peer
       sets the clock source. */
    fake_peers[1].assoc_id = 70000;
    fake_peers[0].refclock_type = RCL_TYPE_NMEA;
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 1, 13, 0, NULL));
    status = reassemble(data, &len, 1, 13, 0);
    assert_int_equal(len, 4);
    assert_int_equal(status >> 8 & 0x3f, 4);
    /* No system peer: source unspecified. */
    fake_sys.sys.sys_peer = 0;
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 1, 14, 0, NULL));
    status = reassemble(data, &len, 1, 14, 0);
    assert_int_equal(status >> 8 & 0x3f, 0);
}

static void test_readvar(void **state)
{
    uint8_t q[64], data[8192];
    size_t len;
    uint16_t status;

    (void)state;
    receive("127.0.0.1", q, request(q, 2, 3, 0, "stratum,peer,clock"));
    status = reassemble(data, &len, 2, 3, 0);
    assert_int_equal(status, 0x0616);
    assert_string_equal((char *)data, "stratum=3, clock=0xe8fe6f80.80000000, peer=7\r\n");

    /* A long host name makes the peer variables span two fragments, which
       reassemble to the whole text. */
    memset(fake_peers[1].host, 'h', 200);
    fake_peers[1].host[200] = '\0';
    n_sent = 0;
    receive("127.0.0.1", q, request(q, 2, 4, 9, NULL));
    status = reassemble(data, &len, 2, 4, 9);
    assert_int_equal(n_sent, 2);
    assert_true(len > 468);
    assert_int_equal(status, 0x1400);
    assert_int_equal(strlen((char *)data), len);
    assert_non_null(strstr((char *)data, "srchost=\"hhhh"));
    assert_non_null(strstr((char *)data, "filtdisp="));
    assert_memory_equal(data + len - 2, "\r\n", 2);
    assert_int_equal(CNT.ctl_fragments, 3);
}

static void test_budget_in_responder(void **state)
{
    uint8_t q[16];
    size_t len = request(q, 2, 1, 7, NULL), octets = 0, expect;

    (void)state;
    set_restrict("restrict default");
    /* A remote source gets its burst, then is cut off and counted. */
    receive("192.0.2.77", q, len);
    for (size_t i = 0; i < n_sent; i++)
        octets += sent_len[i];
    assert_true(octets > 300 && octets < 1000);
    expect = (size_t)(NCTL_SRC_BURST / (double)octets);
    for (int i = 1; i < 100; i++) {
        n_sent = 0;
        receive("192.0.2.77", q, len);
    }
    assert_int_equal(CNT.ctl_answered, expect);
    assert_int_equal(CNT.ctl_limited, 100 - expect);
    /* Refilled at NCTL_SRC_RATE octets/s. */
    fake_now += (double)octets / NCTL_SRC_RATE * 1.01;
    receive("192.0.2.77", q, len);
    receive("192.0.2.77", q, len);
    assert_int_equal(CNT.ctl_answered, expect + 1);
    /* Loopback is never limited. */
    for (int i = 0; i < 100; i++) {
        n_sent = 0;
        receive("127.0.0.1", q, len);
    }
    assert_int_equal(CNT.ctl_answered, expect + 101);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_drops),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_error_response),
        cmocka_unit_test(test_status_words),
        cmocka_unit_test(test_text_layout),
        cmocka_unit_test(test_system_vars),
        cmocka_unit_test(test_requested_lists),
        cmocka_unit_test(test_peer_vars),
        cmocka_unit_test(test_budget),
        cmocka_unit_test_setup_teardown(test_who_is_answered, reset, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_dropped, reset, teardown),
        cmocka_unit_test_setup_teardown(test_errors, reset, teardown),
        cmocka_unit_test_setup_teardown(test_readstat_and_events, reset, teardown),
        cmocka_unit_test_setup_teardown(test_readvar, reset, teardown),
        cmocka_unit_test_setup_teardown(test_budget_in_responder, reset, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
