/*
 * Unit tests for control (the control API behind SNMP writes to
 * cntpPeersVarTable, cntpSysStratum and cntpSysLeap) and its state file:
 * AssocId rules (0 and beyond CTL_MAX_ASSOC_ID, in use, retired after a
 * destroy but not after an undone creation, `tos maxassoc`), spec checks
 * (modes, hosts, 127.127.T.U refused, local address of this host), rows
 * created active or suspended, changes only while suspended except prefer,
 * config-file and ephemeral rows left alone, undo (CTL_Restore), the
 * prefer order, local stratum, the leap announcement window, and the
 * state file written and read back across a simulated restart.
 *
 * control.c shares the association records with engine.c (engine_priv.h).
 * Linking engine.c would pull in the whole daemon (peers, sockets,
 * resolver, selection), so the engine side is a small fake below that
 * keeps the same lists the same way (sorted by AssocId, eng_n_assocs,
 * retired ids) and records which associations were started and stopped;
 * a "peer" is just the parameters it was created with. PEER_GetReport,
 * PEER_ParamsReport, RCL_SetLocalStratum and CLK_ReadTime are fakes too
 * (the reference-clock side of the local stratum is test_refclock.c's).
 * conf (CNF_ValidHost), state, leapstate and log are the real ones; the
 * log goes to a file in the test's mkdtemp directory, which is also the
 * statedir.
 *
 * Links: control state conf leapstate leapfile access addr keys ratelimit textfile mem log
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "conf.h"
#include "control.h"
#include "engine_priv.h"
#include "leapstate.h"
#include "log.h"
#include "mem.h"
#include "ntp_pkt.h"
#include "ntp_time.h"
#include "refclock.h"
#include "state.h"

/* ---- fake clock ------------------------------------------------------------ */

static struct timespec wall;      /* what CLK_ReadTime returns */

void CLK_ReadTime(struct timespec *now)
{
    *now = wall;
}

static time_t utc(int year, int month, int day, int hour, int min, int sec)
{
    struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                     .tm_hour = hour, .tm_min = min, .tm_sec = sec };
    return timegm(&tm);
}

static void set_wall(time_t t)
{
    wall.tv_sec = t;
    wall.tv_nsec = 0;
}

static uint64_t ntp_of(time_t t)
{
    return (uint64_t)t + NTP_UNIX_EPOCH_OFFSET;
}

/* ---- fake reference-clock layer -------------------------------------------- */

static int rcl_local_stratum = -1;   /* last RCL_SetLocalStratum, -1 none */
static int rcl_calls;

void RCL_SetLocalStratum(int served)
{
    rcl_local_stratum = served;
    rcl_calls++;
}

/* ---- fake peers ------------------------------------------------------------ */

/* What an association was created with (as PEER_Create would keep it). */
struct PEER_Record {
    PEER_Params params;
    uint32_t assoc_id;
    char host[CTL_HOST_LEN];
};

/* A live association's report carries reach 0377, a suspended row's
   (PEER_ParamsReport) 0, so a test can tell which one CTL_GetRows used. */
#define LIVE_REACH 0377

void PEER_ParamsReport(uint32_t assoc_id, const PEER_Params *params, PEER_Report *r)
{
    memset(r, 0, sizeof *r);
    r->assoc_id = assoc_id;
    snprintf(r->host, sizeof r->host, "%s", params->host ? params->host : "");
    r->local = params->local;
    r->mode = params->mode;
    r->configured = params->configured;
    r->prefer = params->prefer;
    r->iburst = params->iburst;
    r->stratum = NTP_STRATUM_UNSYNC;
}

void PEER_GetReport(PEER_Instance p, PEER_Report *r)
{
    PEER_ParamsReport(p->assoc_id, &p->params, r);
    r->reach = LIVE_REACH;
}

const char *PEER_ModeName(int mode)
{
    (void)mode;
    return "mode";
}

/* ---- fake engine (engine_priv.h, engine.c's side) -------------------------- */

Assoc *eng_assocs;
size_t eng_n_assocs;
Assoc *eng_parked;
uint32_t *eng_retired;
size_t eng_n_retired, eng_retired_cap;
int eng_max_assocs = CNF_DEFAULT_MAXASSOC;
char *eng_state_path;
uint32_t eng_prefer_clock;
int eng_local_stratum;
uint64_t eng_leap_announced_at;

static uint32_t last_auto_id;

/* Association starts and stops since the last clear_events(), in order. */
#define MAX_EVENTS 256
static struct {
    uint32_t id;
    int start;
} events[MAX_EVENTS];
static size_t n_events;

static void note(uint32_t id, int start)
{
    assert_true(n_events < MAX_EVENTS);
    events[n_events].id = id;
    events[n_events].start = start;
    n_events++;
}

static void clear_events(void)
{
    n_events = 0;
}

static int starts_of(uint32_t id)
{
    int n = 0;
    for (size_t i = 0; i < n_events; i++)
        n += events[i].id == id && events[i].start;
    return n;
}

static int stops_of(uint32_t id)
{
    int n = 0;
    for (size_t i = 0; i < n_events; i++)
        n += events[i].id == id && !events[i].start;
    return n;
}

void eng_insert_sorted(Assoc **list, Assoc *a)
{
    Assoc **pa = list;
    while (*pa && (*pa)->id < a->id)
        pa = &(*pa)->next;
    a->next = *pa;
    *pa = a;
}

Assoc *eng_new_record(uint32_t id, CTL_Origin origin, const PEER_Params *params)
{
    Assoc *a = MEM_New(Assoc);

    if (!id) {
        /* As engine.c: above every id handed out, skipping taken ones. */
        do
            ++last_auto_id;
        while (eng_id_in_use(last_auto_id) || eng_id_retired(last_auto_id));
        id = last_auto_id;
    }
    a->id = id;
    a->origin = origin;
    a->params = *params;
    snprintf(a->host, sizeof a->host, "%s", params->host ? params->host : "");
    a->params.host = a->host;
    return a;
}

void eng_start_assoc(Assoc *a, const NTP_Addr *addr)
{
    (void)addr;
    a->params.host = a->host;
    a->params.local = a->local;
    a->params.prefer = eng_effective_prefer(a);
    struct PEER_Record *p = MEM_New(struct PEER_Record);
    p->params = a->params;
    p->assoc_id = a->id;
    snprintf(p->host, sizeof p->host, "%s", a->host);
    p->params.host = p->host;
    a->peer = p;
    eng_insert_sorted(&eng_assocs, a);
    eng_n_assocs++;
    note(a->id, 1);
}

void eng_stop_assoc(Assoc *victim)
{
    for (Assoc **pa = &eng_assocs; *pa; pa = &(*pa)->next) {
        if (*pa != victim)
            continue;
        *pa = victim->next;
        victim->next = NULL;
        free(victim->peer);
        victim->peer = NULL;
        eng_n_assocs--;
        note(victim->id, 0);
        return;
    }
    fail_msg("eng_stop_assoc: association %u is not running", victim->id);
}

void eng_retire_id(uint32_t id)
{
    if (eng_n_retired == eng_retired_cap) {
        eng_retired_cap = eng_retired_cap ? eng_retired_cap * 2 : 16;
        eng_retired = MEM_Realloc(eng_retired, eng_retired_cap * sizeof *eng_retired);
    }
    eng_retired[eng_n_retired++] = id;
}

void eng_remove_assoc(Assoc *victim)
{
    eng_stop_assoc(victim);
    eng_retire_id(victim->id);
    free(victim);
}

/* A config-file line (`server HOST [prefer]`) or a mobilised symmetric
   passive association, as engine.c's add_assoc and mobilise make them. */
static uint32_t add_row(CTL_Origin origin, const char *host, int prefer)
{
    PEER_Params params = {
        .mode = origin == CTL_ORIGIN_EPHEMERAL ? NTP_MODE_SYM_PASSIVE : NTP_MODE_CLIENT,
        .host = host,
        .port = CNF_DEFAULT_PORT,
        .minpoll = CNF_DEFAULT_MINPOLL,
        .maxpoll = CNF_DEFAULT_MAXPOLL,
        .version = CNF_DEFAULT_VERSION,
        .prefer = prefer,
        .configured = origin == CTL_ORIGIN_CONFIG,
    };
    Assoc *a = eng_new_record(0, origin, &params);
    a->prefer_seq = prefer ? ++eng_prefer_clock : 0;
    eng_start_assoc(a, NULL);
    return a->id;
}

/* ENG_Fini's part: every record gone, the shared state reset. */
static void engine_fini(void)
{
    while (eng_assocs) {
        Assoc *a = eng_assocs;
        eng_assocs = a->next;
        free(a->peer);
        free(a);
    }
    eng_n_assocs = 0;
    last_auto_id = 0;
    eng_forget_rows();
    LPS_Fini();
}

/* ENG_Init's order: the state file's rows first (their AssocIds taken),
   then the config file's (`config_prefer[i]`: line i has prefer), the
   loaded prefer order moved after the config lines', then the loaded
   active rows started. Returns how many rows were loaded. */
static size_t engine_init(const char *statedir, const int *config_prefer, size_t n_config)
{
    static const char *const hosts[] = { "192.0.2.101", "192.0.2.102", "192.0.2.103" };

    LPS_Init(NULL);
    size_t n = eng_load_state(statedir);
    for (size_t i = 0; i < n_config; i++)
        add_row(CTL_ORIGIN_CONFIG, hosts[i % 3], config_prefer[i]);
    uint32_t base = eng_prefer_clock;
    for (Assoc *a = eng_parked; a; a = a->next) {
        if (a->prefer_seq) {
            a->prefer_seq += base;
            if (a->prefer_seq > eng_prefer_clock)
                eng_prefer_clock = a->prefer_seq;
        }
    }
    eng_start_loaded(n);
    return n;
}

/* ---- fixture ---------------------------------------------------------------- */

static char dir[64];
static char state_path[128];
static char log_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_control.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(state_path, sizeof state_path, "%s/%s", dir, STATE_FILE_NAME);
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    assert_int_equal(LOG_SetFile(log_path), 0);
    eng_max_assocs = CNF_DEFAULT_MAXASSOC;
    rcl_local_stratum = -1;
    rcl_calls = 0;
    clear_events();
    /* Mid-June 2030: inside the 28 days before the end of the month. */
    set_wall(utc(2030, 6, 15, 12, 0, 0));
    LPS_Init(NULL);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    engine_fini();
    LOG_SetFile(NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static CTL_Spec spec_of(int mode, const char *host, int prefer)
{
    CTL_Spec s;
    memset(&s, 0, sizeof s);
    s.mode = mode;
    snprintf(s.host, sizeof s.host, "%s", host);
    s.prefer = prefer;
    return s;
}

static CTL_Spec client(const char *host)
{
    return spec_of(NTP_MODE_CLIENT, host, 0);
}

static CTL_Spec with_local(CTL_Spec s, const char *local)
{
    assert_int_equal(ADDR_Parse(local, 0, &s.local), 0);
    return s;
}

static CTL_Row find(uint32_t id)
{
    CTL_Row row;
    assert_true(CTL_Find(id, &row));
    return row;
}

static int exists(uint32_t id)
{
    CTL_Row row;
    return CTL_Find(id, &row);
}

/* The running association of `id` (fails if suspended or missing). */
static const struct PEER_Record *assoc_of(uint32_t id)
{
    for (Assoc *a = eng_assocs; a; a = a->next)
        if (a->id == id)
            return a->peer;
    fail_msg("association %u is not running", id);
    return NULL;
}

static int running(uint32_t id)
{
    for (Assoc *a = eng_assocs; a; a = a->next)
        if (a->id == id)
            return 1;
    return 0;
}

/* Which running association has prefer now; 0 none, -1 more than one. */
static long preferred(void)
{
    long who = 0;
    for (Assoc *a = eng_assocs; a; a = a->next) {
        if (a->peer->params.prefer)
            who = who ? -1 : (long)a->id;
    }
    return who;
}

static int log_contains(const char *text)
{
    FILE *f = fopen(log_path, "r");
    char line[1024];
    int found = 0;

    assert_non_null(f);
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

static void create_ok(uint32_t id, CTL_Spec s, int active)
{
    assert_int_equal(CTL_Create(id, &s, active), CTL_OK);
}

static void update_prefer(uint32_t id, int prefer)
{
    CTL_Row row = find(id);
    row.spec.prefer = prefer;
    assert_int_equal(CTL_Update(id, &row.spec), CTL_OK);
}

/* The state file as written: its rows (caller frees) and system part. */
static STATE_Row *saved(size_t *n, STATE_System *sys)
{
    STATE_Row *rows;
    char err[256];
    assert_int_equal(STATE_Read(state_path, sys, &rows, n, err, sizeof err), 1);
    return rows;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- AssocIds --------------------------------------------------------------- */

static void test_id_range(void **state)
{
    (void)state;
    CTL_Spec s = client("192.0.2.10");

    assert_int_equal(CTL_CheckCreate(0), CTL_BAD_ID);
    assert_int_equal(CTL_CheckCreate(CTL_MAX_ASSOC_ID + 1), CTL_BAD_ID);
    assert_int_equal(CTL_CheckCreate(UINT32_MAX), CTL_BAD_ID);
    assert_int_equal(CTL_CheckCreate(1), CTL_OK);
    assert_int_equal(CTL_CheckCreate(CTL_MAX_ASSOC_ID), CTL_OK);

    assert_int_equal(CTL_Create(0, &s, 1), CTL_BAD_ID);
    assert_int_equal(CTL_Create(CTL_MAX_ASSOC_ID + 1, &s, 1), CTL_BAD_ID);
    assert_int_equal(eng_n_assocs, 0);
    assert_null(eng_parked);

    create_ok(CTL_MAX_ASSOC_ID, s, 1);
    assert_int_equal(find(CTL_MAX_ASSOC_ID).id, CTL_MAX_ASSOC_ID);
    assert_int_equal(assoc_of(CTL_MAX_ASSOC_ID)->assoc_id, CTL_MAX_ASSOC_ID);
}

static void test_id_in_use(void **state)
{
    (void)state;
    CTL_Spec s = client("192.0.2.10"), other = client("192.0.2.11");

    create_ok(5, s, 1);
    create_ok(6, s, 0);
    uint32_t cfg = add_row(CTL_ORIGIN_CONFIG, "192.0.2.20", 0);
    assert_int_equal(CTL_CheckCreate(5), CTL_EXISTS);
    assert_int_equal(CTL_CheckCreate(6), CTL_EXISTS);
    assert_int_equal(CTL_CheckCreate(cfg), CTL_EXISTS);
    /* Nothing replaced: the rows keep their settings. */
    assert_int_equal(CTL_Create(5, &other, 1), CTL_EXISTS);
    assert_int_equal(CTL_Create(6, &other, 0), CTL_EXISTS);
    assert_string_equal(find(5).spec.host, "192.0.2.10");
    assert_string_equal(find(6).spec.host, "192.0.2.10");
    assert_int_equal(eng_n_assocs, 2);
    assert_int_equal(CTL_CheckCreate(7), CTL_OK);
}

/* A destroyed id stays taken for this run, from an active row and from a
   suspended one; undoing a creation (retire 0) frees it again. */
static void test_id_retired(void **state)
{
    (void)state;
    CTL_Spec s = client("192.0.2.10");

    create_ok(7, s, 1);
    create_ok(8, s, 0);
    assert_int_equal(CTL_Remove(7, 1), CTL_OK);
    assert_int_equal(CTL_Remove(8, 1), CTL_OK);
    assert_false(exists(7));
    assert_false(exists(8));
    assert_int_equal(eng_n_assocs, 0);
    assert_int_equal(CTL_CheckCreate(7), CTL_RETIRED);
    assert_int_equal(CTL_CheckCreate(8), CTL_RETIRED);
    assert_int_equal(CTL_Create(7, &s, 1), CTL_RETIRED);
    assert_int_equal(CTL_Create(8, &s, 0), CTL_RETIRED);
    assert_false(exists(7));

    create_ok(9, s, 1);
    create_ok(10, s, 0);
    assert_int_equal(CTL_Remove(9, 0), CTL_OK);
    assert_int_equal(CTL_Remove(10, 0), CTL_OK);
    assert_false(exists(9));
    assert_false(exists(10));
    assert_int_equal(CTL_CheckCreate(9), CTL_OK);
    assert_int_equal(CTL_CheckCreate(10), CTL_OK);
    /* Undoing one creation does not free another retired id. */
    assert_int_equal(CTL_CheckCreate(7), CTL_RETIRED);
    assert_int_equal(CTL_CheckCreate(8), CTL_RETIRED);

    assert_int_equal(CTL_Remove(11, 1), CTL_NO_SUCH);
    assert_int_equal(CTL_Remove(7, 1), CTL_NO_SUCH);
}

/* Config-file and SNMP rows, running or suspended, count against `tos
   maxassoc`; ephemeral associations do not. */
static void test_maxassoc(void **state)
{
    (void)state;
    CTL_Spec s = client("192.0.2.10");

    eng_max_assocs = 3;
    uint32_t cfg = add_row(CTL_ORIGIN_CONFIG, "192.0.2.20", 0);
    add_row(CTL_ORIGIN_EPHEMERAL, "192.0.2.30", 0);
    add_row(CTL_ORIGIN_EPHEMERAL, "192.0.2.31", 0);
    create_ok(10, s, 1);
    assert_int_equal(CTL_CheckCreate(11), CTL_OK);
    create_ok(11, s, 0);
    assert_int_equal(CTL_CheckCreate(12), CTL_FULL);
    assert_int_equal(CTL_Create(12, &s, 1), CTL_FULL);
    assert_int_equal(CTL_Create(12, &s, 0), CTL_FULL);
    assert_false(exists(12));
    /* A suspended config row still has its place. */
    assert_int_equal(CTL_SetActive(cfg, 0), CTL_OK);
    assert_int_equal(CTL_CheckCreate(12), CTL_FULL);
    assert_int_equal(CTL_Remove(11, 1), CTL_OK);
    assert_int_equal(CTL_CheckCreate(12), CTL_OK);
    create_ok(12, s, 1);
    assert_int_equal(CTL_CheckCreate(13), CTL_FULL);
}

/* ---- specs ------------------------------------------------------------------ */

static void test_check_spec_modes(void **state)
{
    (void)state;
    static const int good[] = { NTP_MODE_SYM_ACTIVE, NTP_MODE_CLIENT, NTP_MODE_BROADCAST };
    static const int bad[] = { -1, 0, NTP_MODE_SYM_PASSIVE, NTP_MODE_SERVER, 6, 7, 16 };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CTL_Spec s = spec_of(good[i], "192.0.2.10", 0);
        assert_int_equal(CTL_CheckSpec(&s), CTL_OK);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CTL_Spec s = spec_of(bad[i], "192.0.2.10", 0);
        assert_int_equal(CTL_CheckSpec(&s), CTL_BAD_MODE);
        assert_int_equal(CTL_Create(20, &s, 1), CTL_BAD_MODE);
        assert_int_equal(CTL_Create(20, &s, 0), CTL_BAD_MODE);
    }
    assert_false(exists(20));
    assert_int_equal(CTL_CheckCreate(20), CTL_OK);
}

static void test_check_spec_hosts(void **state)
{
    (void)state;
    static const char *const good[] = {
        "192.0.2.10", "2001:db8::1", "ntp.example.org", "localhost", "",
    };
    static const char *const bad[] = {
        "127.127.1.0", "127.127.28.2", "127.127.22.0",   /* reference clocks */
        "[2001:db8::1]", "300.1.2.3", "1.2.3", "bad host", "under_score!", "-x.example.org",
    };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CTL_Spec s = client(good[i]);
        assert_int_equal(CTL_CheckSpec(&s), CTL_OK);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CTL_Spec s = client(bad[i]);
        assert_int_equal(CTL_CheckSpec(&s), CTL_BAD_HOST);
        assert_int_equal(CTL_Create(21, &s, 0), CTL_BAD_HOST);
    }
    assert_false(exists(21));

    /* No address: fine for a suspended row (notReady), not an active one. */
    CTL_Spec none = client("");
    assert_int_equal(CTL_Create(22, &none, 1), CTL_NO_HOST);
    assert_false(exists(22));
    create_ok(22, none, 0);
    assert_false(find(22).active);
}

static void test_check_spec_local(void **state)
{
    (void)state;
    CTL_Spec s;

    s = with_local(client("192.0.2.10"), "127.0.0.1");
    assert_int_equal(CTL_CheckSpec(&s), CTL_OK);
    s = with_local(client("192.0.2.10"), "127.0.0.5");
    assert_int_equal(CTL_CheckSpec(&s), CTL_OK);
    s = with_local(client("2001:db8::1"), "::1");
    assert_int_equal(CTL_CheckSpec(&s), CTL_OK);
    s = client("192.0.2.10");      /* local.len 0: any */
    assert_int_equal(CTL_CheckSpec(&s), CTL_OK);

    /* Documentation addresses (RFC 5737, RFC 3849) no interface here has. */
    s = with_local(client("192.0.2.10"), "203.0.113.77");
    assert_int_equal(CTL_CheckSpec(&s), CTL_NOT_LOCAL);
    assert_int_equal(CTL_Create(23, &s, 1), CTL_NOT_LOCAL);
    assert_false(exists(23));
    s = with_local(client("2001:db8::1"), "2001:db8:ffff::77");
    assert_int_equal(CTL_CheckSpec(&s), CTL_NOT_LOCAL);

    NTP_Addr a;
    assert_int_equal(ADDR_Parse("127.0.0.1", 123, &a), 0);
    assert_true(CTL_IsLocalAddress(&a));
    assert_int_equal(ADDR_Parse("203.0.113.77", 123, &a), 0);
    assert_false(CTL_IsLocalAddress(&a));
    memset(&a, 0, sizeof a);
    assert_false(CTL_IsLocalAddress(&a));
}

/* ---- creating rows ---------------------------------------------------------- */

static void test_create_active(void **state)
{
    (void)state;

    create_ok(100, with_local(client("192.0.2.10"), "127.0.0.1"), 1);
    CTL_Row row = find(100);
    assert_int_equal(row.id, 100);
    assert_true(row.active);
    assert_int_equal(row.origin, CTL_ORIGIN_SNMP);
    assert_int_equal(row.spec.mode, NTP_MODE_CLIENT);
    assert_string_equal(row.spec.host, "192.0.2.10");
    assert_false(row.spec.prefer);
    char buf[64];
    assert_string_equal(ADDR_HostString(&row.spec.local, buf, sizeof buf), "127.0.0.1");

    /* As `server HOST iburst`: port 123, default polls and version, not
       configured, bound to the local address asked for. */
    const struct PEER_Record *p = assoc_of(100);
    assert_int_equal(p->params.mode, NTP_MODE_CLIENT);
    assert_string_equal(p->params.host, "192.0.2.10");
    assert_int_equal(p->params.port, CNF_DEFAULT_PORT);
    assert_int_equal(p->params.minpoll, CNF_DEFAULT_MINPOLL);
    assert_int_equal(p->params.maxpoll, CNF_DEFAULT_MAXPOLL);
    assert_int_equal(p->params.version, CNF_DEFAULT_VERSION);
    assert_true(p->params.iburst);
    assert_false(p->params.configured);
    assert_false(p->params.prefer);
    assert_true(ADDR_EqualHost(&p->params.local, &row.spec.local));
    assert_int_equal(eng_n_assocs, 1);

    /* As `peer HOST` / `broadcast HOST`: no iburst. */
    create_ok(101, spec_of(NTP_MODE_SYM_ACTIVE, "192.0.2.11", 0), 1);
    assert_int_equal(assoc_of(101)->params.mode, NTP_MODE_SYM_ACTIVE);
    assert_false(assoc_of(101)->params.iburst);
    create_ok(102, spec_of(NTP_MODE_BROADCAST, "192.0.2.255", 0), 1);
    assert_int_equal(assoc_of(102)->params.mode, NTP_MODE_BROADCAST);
    assert_false(assoc_of(102)->params.iburst);
    assert_int_equal(eng_n_assocs, 3);
    assert_true(log_contains("association 100: created over SNMP"));
}

static void test_create_suspended(void **state)
{
    (void)state;

    create_ok(200, client("ntp.example.org"), 0);
    clear_events();
    CTL_Row row = find(200);
    assert_false(row.active);
    assert_string_equal(row.spec.host, "ntp.example.org");
    assert_false(running(200));
    assert_int_equal(eng_n_assocs, 0);
    assert_true(log_contains("association 200: created, not in service over SNMP"));

    assert_int_equal(CTL_SetActive(200, 1), CTL_OK);
    assert_true(find(200).active);
    assert_int_equal(starts_of(200), 1);
    assert_string_equal(assoc_of(200)->params.host, "ntp.example.org");
    /* Resuming what runs, suspending what is suspended: nothing happens. */
    assert_int_equal(CTL_SetActive(200, 1), CTL_OK);
    assert_int_equal(starts_of(200), 1);
    assert_int_equal(stops_of(200), 0);

    assert_int_equal(CTL_SetActive(200, 0), CTL_OK);
    assert_false(find(200).active);
    assert_false(running(200));
    assert_int_equal(stops_of(200), 1);
    assert_int_equal(CTL_SetActive(200, 0), CTL_OK);
    assert_int_equal(stops_of(200), 1);
    assert_string_equal(find(200).spec.host, "ntp.example.org");

    assert_int_equal(CTL_SetActive(201, 1), CTL_NO_SUCH);
    assert_int_equal(CTL_SetActive(201, 0), CTL_NO_SUCH);

    /* createAndWait without an address cannot go active until it has one. */
    create_ok(202, client(""), 0);
    assert_int_equal(CTL_SetActive(202, 1), CTL_NO_HOST);
    assert_false(find(202).active);
    CTL_Spec s = client("192.0.2.12");
    assert_int_equal(CTL_Update(202, &s), CTL_OK);
    assert_int_equal(CTL_SetActive(202, 1), CTL_OK);
    assert_string_equal(assoc_of(202)->params.host, "192.0.2.12");
}

/* Rows in AssocId order, running and suspended ones interleaved; a
   suspended row shows its settings and nothing measured, never prefer. */
static void test_get_rows(void **state)
{
    (void)state;
    PEER_Report *reports;
    CTL_Row *rows;

    create_ok(3, spec_of(NTP_MODE_CLIENT, "192.0.2.3", 1), 0);
    create_ok(1, client("192.0.2.1"), 1);
    create_ok(2, spec_of(NTP_MODE_SYM_ACTIVE, "192.0.2.2", 0), 0);
    create_ok(4, spec_of(NTP_MODE_CLIENT, "192.0.2.4", 1), 1);
    uint32_t cfg = add_row(CTL_ORIGIN_CONFIG, "192.0.2.5", 0);
    assert_int_equal(cfg, 5);

    size_t n = CTL_GetRows(&reports, &rows);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].id, i + 1);
        assert_int_equal(reports[i].assoc_id, i + 1);
    }
    static const int active[] = { 1, 0, 0, 1, 1 };
    static const char *const hosts[] = {
        "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5",
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].active, active[i]);
        assert_int_equal(reports[i].reach, active[i] ? LIVE_REACH : 0);
        assert_string_equal(reports[i].host, hosts[i]);
        assert_string_equal(rows[i].spec.host, hosts[i]);
        assert_int_equal(rows[i].origin, i == 4 ? CTL_ORIGIN_CONFIG : CTL_ORIGIN_SNMP);
    }
    assert_int_equal(reports[1].mode, NTP_MODE_SYM_ACTIVE);
    /* Row 3 asks for prefer (and asked first) but is suspended: row 4 has
       it, and row 3's report does not claim it. */
    assert_true(rows[2].spec.prefer);
    assert_false(rows[2].prefer_effective);
    assert_false(reports[2].prefer);
    assert_true(rows[3].spec.prefer);
    assert_true(rows[3].prefer_effective);
    assert_true(reports[3].prefer);
    assert_true(rows[2].prefer_order < rows[3].prefer_order);
    free(reports);
    free(rows);

    engine_fini();
    n = CTL_GetRows(&reports, &rows);
    assert_int_equal(n, 0);
    free(reports);
    free(rows);
}

/* ---- changing rows ---------------------------------------------------------- */

/* An active row changes prefer only; address, mode and local address need
   it suspended, and then take effect when it resumes. */
static void test_update_active_row(void **state)
{
    (void)state;
    CTL_Spec s;

    create_ok(30, with_local(client("192.0.2.10"), "127.0.0.1"), 1);
    clear_events();
    s = with_local(client("192.0.2.99"), "127.0.0.1");
    assert_int_equal(CTL_Update(30, &s), CTL_ACTIVE);
    s = with_local(spec_of(NTP_MODE_SYM_ACTIVE, "192.0.2.10", 0), "127.0.0.1");
    assert_int_equal(CTL_Update(30, &s), CTL_ACTIVE);
    s = with_local(client("192.0.2.10"), "127.0.0.2");
    assert_int_equal(CTL_Update(30, &s), CTL_ACTIVE);
    s = client("192.0.2.10");    /* local dropped */
    assert_int_equal(CTL_Update(30, &s), CTL_ACTIVE);
    /* A bad spec is that, whatever the row's state. */
    s = with_local(spec_of(NTP_MODE_SERVER, "192.0.2.10", 0), "127.0.0.1");
    assert_int_equal(CTL_Update(30, &s), CTL_BAD_MODE);
    assert_int_equal(n_events, 0);
    CTL_Row row = find(30);
    assert_string_equal(row.spec.host, "192.0.2.10");
    assert_int_equal(row.spec.mode, NTP_MODE_CLIENT);
    assert_string_equal(assoc_of(30)->params.host, "192.0.2.10");

    /* The same settings with prefer: accepted, the association restarts
       with it (a peer takes prefer at creation). */
    s = with_local(spec_of(NTP_MODE_CLIENT, "192.0.2.10", 1), "127.0.0.1");
    assert_int_equal(CTL_Update(30, &s), CTL_OK);
    assert_true(find(30).spec.prefer);
    assert_true(find(30).prefer_effective);
    assert_true(assoc_of(30)->params.prefer);
    assert_int_equal(stops_of(30), 1);
    assert_int_equal(starts_of(30), 1);

    /* Suspended, everything may change; resumed, it runs with that. */
    assert_int_equal(CTL_SetActive(30, 0), CTL_OK);
    s = with_local(spec_of(NTP_MODE_SYM_ACTIVE, "peer.example.org", 1), "127.0.0.2");
    assert_int_equal(CTL_Update(30, &s), CTL_OK);
    row = find(30);
    assert_false(row.active);
    assert_int_equal(row.spec.mode, NTP_MODE_SYM_ACTIVE);
    assert_string_equal(row.spec.host, "peer.example.org");
    assert_true(ADDR_EqualHost(&row.spec.local, &s.local));
    assert_int_equal(CTL_SetActive(30, 1), CTL_OK);
    const struct PEER_Record *p = assoc_of(30);
    assert_int_equal(p->params.mode, NTP_MODE_SYM_ACTIVE);
    assert_string_equal(p->params.host, "peer.example.org");
    assert_false(p->params.iburst);
    assert_true(ADDR_EqualHost(&p->params.local, &s.local));
    assert_true(p->params.prefer);

    /* Back to any local address, while suspended. */
    assert_int_equal(CTL_SetActive(30, 0), CTL_OK);
    s = client("192.0.2.10");
    assert_int_equal(CTL_Update(30, &s), CTL_OK);
    assert_int_equal(find(30).spec.local.len, 0);
    assert_false(find(30).spec.prefer);
    assert_int_equal(CTL_SetActive(30, 1), CTL_OK);
    assert_int_equal(assoc_of(30)->params.local.len, 0);
    assert_true(assoc_of(30)->params.iburst);

    assert_int_equal(CTL_Update(31, &s), CTL_NO_SUCH);
}

static void test_update_suspended_bad_spec(void **state)
{
    (void)state;
    CTL_Spec s;

    create_ok(40, client("192.0.2.10"), 0);
    s = client("127.127.1.0");
    assert_int_equal(CTL_Update(40, &s), CTL_BAD_HOST);
    s = with_local(client("192.0.2.11"), "203.0.113.77");
    assert_int_equal(CTL_Update(40, &s), CTL_NOT_LOCAL);
    s = spec_of(NTP_MODE_SYM_PASSIVE, "192.0.2.11", 0);
    assert_int_equal(CTL_Update(40, &s), CTL_BAD_MODE);
    CTL_Row row = find(40);
    assert_string_equal(row.spec.host, "192.0.2.10");
    assert_int_equal(row.spec.mode, NTP_MODE_CLIENT);
    assert_int_equal(row.spec.local.len, 0);
}

/* Config-file rows: suspend and resume, nothing else. Ephemeral rows:
   nothing at all. */
static void test_rows_not_ours(void **state)
{
    (void)state;
    CTL_Spec s = client("192.0.2.20");
    uint32_t cfg = add_row(CTL_ORIGIN_CONFIG, "192.0.2.20", 0);
    uint32_t eph = add_row(CTL_ORIGIN_EPHEMERAL, "192.0.2.30", 0);
    clear_events();

    assert_int_equal(CTL_Update(cfg, &s), CTL_NOT_OURS);
    assert_int_equal(CTL_Remove(cfg, 1), CTL_NOT_OURS);
    assert_int_equal(CTL_Remove(cfg, 0), CTL_NOT_OURS);
    assert_int_equal(n_events, 0);

    assert_int_equal(CTL_SetActive(cfg, 0), CTL_OK);
    CTL_Row row = find(cfg);
    assert_false(row.active);
    assert_int_equal(row.origin, CTL_ORIGIN_CONFIG);
    assert_false(running(cfg));
    /* Suspended, still not changeable or removable. */
    assert_int_equal(CTL_Update(cfg, &s), CTL_NOT_OURS);
    assert_int_equal(CTL_Remove(cfg, 1), CTL_NOT_OURS);
    assert_int_equal(CTL_Restore(&row), CTL_NOT_OURS);
    assert_true(exists(cfg));
    assert_int_equal(CTL_SetActive(cfg, 1), CTL_OK);
    assert_true(find(cfg).active);
    const struct PEER_Record *p = assoc_of(cfg);
    assert_true(p->params.configured);
    assert_string_equal(p->params.host, "192.0.2.20");

    assert_int_equal(CTL_SetActive(eph, 0), CTL_NOT_OURS);
    assert_int_equal(CTL_SetActive(eph, 1), CTL_NOT_OURS);
    assert_int_equal(CTL_Update(eph, &s), CTL_NOT_OURS);
    assert_int_equal(CTL_Remove(eph, 1), CTL_NOT_OURS);
    row = find(eph);
    assert_int_equal(CTL_Restore(&row), CTL_NOT_OURS);
    assert_true(running(eph));
    assert_int_equal(find(eph).origin, CTL_ORIGIN_EPHEMERAL);
}

/* ---- undo ------------------------------------------------------------------- */

static void assert_same_row(const CTL_Row *a, const CTL_Row *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->active, b->active);
    assert_int_equal(a->origin, b->origin);
    assert_int_equal(a->spec.mode, b->spec.mode);
    assert_string_equal(a->spec.host, b->spec.host);
    assert_int_equal(a->spec.prefer, b->spec.prefer);
    assert_int_equal(a->spec.local.len, b->spec.local.len);
    if (a->spec.local.len)
        assert_true(ADDR_EqualHost(&a->spec.local, &b->spec.local));
    assert_int_equal(a->prefer_order, b->prefer_order);
    assert_int_equal(a->prefer_effective, b->prefer_effective);
}

static void assert_row_is(uint32_t id, const CTL_Row *want)
{
    CTL_Row row = find(id);
    assert_same_row(&row, want);
}

/* A destroy undone: the row is back as it was, its id usable again by it
   (and retired again by the next destroy). */
static void test_restore_after_remove(void **state)
{
    (void)state;

    create_ok(50, with_local(spec_of(NTP_MODE_CLIENT, "192.0.2.50", 1), "127.0.0.1"), 1);
    create_ok(51, spec_of(NTP_MODE_SYM_ACTIVE, "192.0.2.51", 0), 0);
    CTL_Row old50 = find(50), old51 = find(51);

    assert_int_equal(CTL_Remove(50, 1), CTL_OK);
    assert_int_equal(CTL_Remove(51, 1), CTL_OK);
    assert_int_equal(CTL_Restore(&old50), CTL_OK);
    assert_int_equal(CTL_Restore(&old51), CTL_OK);
    assert_row_is(50, &old50);
    assert_row_is(51, &old51);
    assert_true(running(50));
    assert_true(assoc_of(50)->params.prefer);
    assert_true(assoc_of(50)->params.iburst);
    assert_false(running(51));
    assert_int_equal(eng_n_assocs, 1);
    assert_int_equal(CTL_CheckCreate(50), CTL_EXISTS);
    assert_int_equal(CTL_CheckCreate(51), CTL_EXISTS);

    assert_int_equal(CTL_Remove(50, 1), CTL_OK);
    assert_int_equal(CTL_CheckCreate(50), CTL_RETIRED);
    /* The destroy undone left nothing of it behind: once the restored
       row's creation is undone too, its id is free. */
    assert_int_equal(CTL_Remove(51, 0), CTL_OK);
    assert_int_equal(CTL_CheckCreate(51), CTL_OK);
}

/* A change undone: whatever has the id now is replaced by the old row. */
static void test_restore_replaces(void **state)
{
    (void)state;

    create_ok(60, client("192.0.2.60"), 1);
    CTL_Row old = find(60);
    assert_int_equal(CTL_SetActive(60, 0), CTL_OK);
    CTL_Spec s = spec_of(NTP_MODE_BROADCAST, "192.0.2.255", 1);
    assert_int_equal(CTL_Update(60, &s), CTL_OK);
    assert_int_equal(CTL_Restore(&old), CTL_OK);
    assert_row_is(60, &old);
    assert_string_equal(assoc_of(60)->params.host, "192.0.2.60");
    assert_int_equal(assoc_of(60)->params.mode, NTP_MODE_CLIENT);
    assert_int_equal(eng_n_assocs, 1);
    /* Restoring does not retire the id it replaced. */
    assert_int_equal(CTL_CheckCreate(60), CTL_EXISTS);
    assert_int_equal(CTL_Remove(60, 0), CTL_OK);
    assert_int_equal(CTL_CheckCreate(60), CTL_OK);

    /* An undone resume puts a row back suspended. */
    create_ok(61, client("192.0.2.61"), 0);
    old = find(61);
    assert_int_equal(CTL_SetActive(61, 1), CTL_OK);
    assert_int_equal(CTL_Restore(&old), CTL_OK);
    assert_false(find(61).active);
    assert_false(running(61));
}

/* ---- prefer ----------------------------------------------------------------- */

/* Of the active SNMP rows asking for prefer, the first to ask has it;
   clearing, suspending or destroying it passes it on; asking again goes
   to the end of the order. Only associations gaining or losing prefer
   restart. */
static void test_prefer_first_set_wins(void **state)
{
    (void)state;

    create_ok(71, spec_of(NTP_MODE_CLIENT, "192.0.2.71", 0), 1);
    create_ok(72, spec_of(NTP_MODE_CLIENT, "192.0.2.72", 1), 1);
    create_ok(73, spec_of(NTP_MODE_CLIENT, "192.0.2.73", 1), 1);
    create_ok(70, spec_of(NTP_MODE_CLIENT, "192.0.2.70", 1), 1);
    assert_int_equal(preferred(), 72);
    assert_true(find(72).prefer_effective);
    assert_false(find(73).prefer_effective);
    assert_false(find(70).prefer_effective);
    assert_true(find(73).spec.prefer);   /* reads what it asks for */

    /* 71 asks last: nothing moves. */
    clear_events();
    update_prefer(71, 1);
    assert_int_equal(preferred(), 72);
    assert_int_equal(n_events, 0);

    /* 72 clears it: 73 (asked next) takes over; only those two restart. */
    clear_events();
    update_prefer(72, 0);
    assert_int_equal(preferred(), 73);
    assert_int_equal(starts_of(72), 1);
    assert_int_equal(stops_of(72), 1);
    assert_int_equal(starts_of(73), 1);
    assert_int_equal(stops_of(73), 1);
    assert_int_equal(n_events, 4);
    assert_true(log_contains("association 73: 192.0.2.73 is now the preferred source"));
    assert_true(log_contains("association 72: 192.0.2.72 is no longer the preferred source"));

    /* 72 asks again: now behind 73, 70 and 71. */
    update_prefer(72, 1);
    assert_int_equal(preferred(), 73);
    /* Asking again while asking keeps the place. */
    uint32_t order73 = find(73).prefer_order;
    update_prefer(73, 1);
    assert_int_equal(find(73).prefer_order, order73);
    assert_int_equal(preferred(), 73);

    /* Suspended: the next one; resumed: back (it asked earlier). */
    assert_int_equal(CTL_SetActive(73, 0), CTL_OK);
    assert_int_equal(preferred(), 70);
    assert_false(find(73).prefer_effective);
    assert_true(find(73).spec.prefer);
    assert_int_equal(CTL_SetActive(73, 1), CTL_OK);
    assert_int_equal(preferred(), 73);

    /* Destroyed: the next one. */
    assert_int_equal(CTL_Remove(73, 1), CTL_OK);
    assert_int_equal(preferred(), 70);
    assert_int_equal(CTL_Remove(70, 1), CTL_OK);
    assert_int_equal(preferred(), 71);
    assert_int_equal(CTL_Remove(71, 1), CTL_OK);
    assert_int_equal(preferred(), 72);
    update_prefer(72, 0);
    assert_int_equal(preferred(), 0);
}

/* A row created or resumed with an earlier order (an undo) takes prefer
   from the one that had it. */
static void test_prefer_restore_takes_back(void **state)
{
    (void)state;

    create_ok(80, spec_of(NTP_MODE_CLIENT, "192.0.2.80", 1), 1);
    create_ok(81, spec_of(NTP_MODE_CLIENT, "192.0.2.81", 1), 1);
    CTL_Row old = find(80);
    assert_int_equal(CTL_Remove(80, 1), CTL_OK);
    assert_int_equal(preferred(), 81);
    assert_int_equal(CTL_Restore(&old), CTL_OK);
    assert_int_equal(preferred(), 80);
    assert_false(find(81).prefer_effective);
    assert_int_equal(find(80).prefer_order, old.prefer_order);
}

/* Config-file prefer lines count as set before any SNMP row and are all
   honoured; while one of them is active no SNMP row is preferred. */
static void test_prefer_config_wins(void **state)
{
    (void)state;

    uint32_t c1 = add_row(CTL_ORIGIN_CONFIG, "192.0.2.1", 1);
    uint32_t c2 = add_row(CTL_ORIGIN_CONFIG, "192.0.2.2", 1);
    uint32_t c3 = add_row(CTL_ORIGIN_CONFIG, "192.0.2.3", 0);
    create_ok(90, spec_of(NTP_MODE_CLIENT, "192.0.2.90", 1), 1);
    assert_true(assoc_of(c1)->params.prefer);
    assert_true(assoc_of(c2)->params.prefer);
    assert_false(assoc_of(c3)->params.prefer);
    assert_false(assoc_of(90)->params.prefer);
    assert_false(find(90).prefer_effective);

    assert_int_equal(CTL_SetActive(c1, 0), CTL_OK);
    assert_false(assoc_of(90)->params.prefer);
    assert_true(assoc_of(c2)->params.prefer);
    assert_int_equal(CTL_SetActive(c2, 0), CTL_OK);
    /* A config row without prefer does not hold SNMP rows back. */
    assert_int_equal(preferred(), 90);
    assert_true(find(90).prefer_effective);

    assert_int_equal(CTL_SetActive(c2, 1), CTL_OK);
    assert_true(assoc_of(c2)->params.prefer);
    assert_false(assoc_of(90)->params.prefer);
    assert_int_equal(CTL_SetActive(c1, 1), CTL_OK);
    assert_true(assoc_of(c1)->params.prefer);
    assert_true(assoc_of(c2)->params.prefer);
    assert_false(assoc_of(90)->params.prefer);
}

/* ---- cntpSysStratum, cntpSysLeap -------------------------------------------- */

static void test_local_stratum(void **state)
{
    (void)state;

    assert_int_equal(CTL_GetLocalStratum(), 0);
    assert_int_equal(CTL_SetLocalStratum(-1), CTL_BAD_STRATUM);
    assert_int_equal(CTL_SetLocalStratum(16), CTL_BAD_STRATUM);
    assert_int_equal(CTL_SetLocalStratum(255), CTL_BAD_STRATUM);
    assert_int_equal(rcl_calls, 0);
    assert_int_equal(CTL_GetLocalStratum(), 0);

    for (int s = 15; s >= 0; s--) {
        assert_int_equal(CTL_SetLocalStratum(s), CTL_OK);
        assert_int_equal(CTL_GetLocalStratum(), s);
        /* The LOCAL clock serves it (refclock.c; test_refclock.c). */
        assert_int_equal(rcl_local_stratum, s);
    }
    assert_int_equal(CTL_SetLocalStratum(3), CTL_OK);
    assert_int_equal(CTL_SetLocalStratum(16), CTL_BAD_STRATUM);
    assert_int_equal(CTL_GetLocalStratum(), 3);
    assert_int_equal(rcl_local_stratum, 3);
}

/* Announcing needs stratum 1 and the 28 days before the end of the
   month; withdrawing is always accepted. June 2030 has 30 days: the
   leap is at 2030-07-01 00:00 UTC, the window opens 2030-06-03 00:00. */
static void test_leap_window(void **state)
{
    (void)state;
    time_t end = utc(2030, 7, 1, 0, 0, 0);

    set_wall(utc(2030, 6, 2, 23, 59, 59));
    assert_int_equal(CTL_CheckLeap(1, 1), CTL_LEAP_WINDOW);
    assert_int_equal(CTL_CheckLeap(-1, 1), CTL_LEAP_WINDOW);
    assert_int_equal(CTL_AnnounceLeap(1), CTL_LEAP_WINDOW);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    assert_int_equal(CTL_CheckLeap(0, 1), CTL_OK);
    assert_int_equal(CTL_CheckLeap(0, 5), CTL_OK);
    assert_int_equal(CTL_AnnounceLeap(0), CTL_OK);

    set_wall(utc(2030, 6, 3, 0, 0, 0));
    assert_int_equal(CTL_CheckLeap(1, 1), CTL_OK);
    assert_int_equal(CTL_CheckLeap(-1, 1), CTL_OK);
    assert_int_equal(CTL_CheckLeap(1, 2), CTL_NOT_PRIMARY);
    assert_int_equal(CTL_CheckLeap(-1, 0), CTL_NOT_PRIMARY);
    assert_int_equal(CTL_CheckLeap(1, 16), CTL_NOT_PRIMARY);

    assert_int_equal(CTL_AnnounceLeap(1), CTL_OK);
    assert_int_equal(CTL_GetAnnouncedLeap(), 1);
    assert_int_equal(LPS_Announced(), 1);
    assert_true(eng_leap_announced_at == ntp_of(end));
    assert_int_equal(CTL_AnnounceLeap(-1), CTL_OK);
    assert_int_equal(CTL_GetAnnouncedLeap(), -1);
    assert_int_equal(CTL_AnnounceLeap(0), CTL_OK);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    assert_int_equal(LPS_Announced(), 0);

    /* Up to the last second of the month, then it has passed. */
    set_wall(end - 1);
    assert_int_equal(CTL_CheckLeap(1, 1), CTL_OK);
    assert_int_equal(CTL_AnnounceLeap(1), CTL_OK);
    assert_int_equal(CTL_GetAnnouncedLeap(), 1);
    set_wall(end);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);

    /* February 2031 (28 days): the whole month is in the window. */
    set_wall(utc(2031, 2, 1, 0, 0, 0));
    assert_int_equal(CTL_CheckLeap(-1, 1), CTL_OK);
    /* December: the leap is at the start of the next year. */
    set_wall(utc(2030, 12, 31, 12, 0, 0));
    assert_int_equal(CTL_AnnounceLeap(1), CTL_OK);
    assert_true(eng_leap_announced_at == ntp_of(utc(2031, 1, 1, 0, 0, 0)));
}

/* ---- state file ------------------------------------------------------------- */

/* Without a statedir nothing is written and saving succeeds. */
static void test_no_statedir(void **state)
{
    (void)state;

    assert_int_equal(engine_init(NULL, NULL, 0), 0);
    assert_null(eng_state_path);
    create_ok(1, client("192.0.2.1"), 1);
    assert_int_equal(CTL_SaveState(), 0);
    assert_int_equal(access(state_path, F_OK), -1);
    assert_true(log_contains("no statedir"));
}

static void test_save_failure_logged(void **state)
{
    (void)state;
    char sub[160];

    snprintf(sub, sizeof sub, "%s/gone", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(engine_init(sub, NULL, 0), 0);
    assert_int_equal(rmdir(sub), 0);
    create_ok(1, client("192.0.2.1"), 1);
    assert_int_equal(CTL_SaveState(), -1);
    assert_true(log_contains("error: state file: "));
}

/* Each change saved is in the file: SNMP rows only, in AssocId order,
   with their state, mode, prefer order, local address and host; the
   written scalars too. */
static void test_state_saved(void **state)
{
    (void)state;
    STATE_Row *rows;
    STATE_System sys;
    size_t n;

    assert_int_equal(engine_init(dir, NULL, 0), 0);
    assert_non_null(eng_state_path);
    assert_string_equal(eng_state_path, state_path);
    add_row(CTL_ORIGIN_CONFIG, "192.0.2.100", 1);
    add_row(CTL_ORIGIN_EPHEMERAL, "192.0.2.101", 0);

    create_ok(31, with_local(spec_of(NTP_MODE_CLIENT, "192.0.2.31", 1), "127.0.0.1"), 1);
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, 31);
    assert_true(rows[0].active);
    assert_int_equal(rows[0].mode, NTP_MODE_CLIENT);
    assert_int_equal(rows[0].prefer, find(31).prefer_order);
    assert_true(rows[0].prefer != 0);
    assert_string_equal(rows[0].local, "127.0.0.1");
    assert_string_equal(rows[0].host, "192.0.2.31");
    assert_int_equal(sys.local_stratum, 0);
    assert_int_equal(sys.leap, 0);
    free(rows);

    create_ok(30, spec_of(NTP_MODE_SYM_ACTIVE, "", 0), 0);
    create_ok(32, spec_of(NTP_MODE_BROADCAST, "ntp.example.org", 0), 0);
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0].id, 30);
    assert_false(rows[0].active);
    assert_int_equal(rows[0].mode, NTP_MODE_SYM_ACTIVE);
    assert_int_equal(rows[0].prefer, 0);
    assert_string_equal(rows[0].host, "");
    assert_string_equal(rows[0].local, "");
    assert_int_equal(rows[1].id, 31);
    assert_int_equal(rows[2].id, 32);
    assert_int_equal(rows[2].mode, NTP_MODE_BROADCAST);
    assert_string_equal(rows[2].host, "ntp.example.org");
    free(rows);

    assert_int_equal(CTL_SetActive(31, 0), CTL_OK);
    assert_int_equal(CTL_Remove(32, 1), CTL_OK);
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(n, 2);
    assert_int_equal(rows[1].id, 31);
    assert_false(rows[1].active);
    free(rows);

    assert_int_equal(CTL_SetLocalStratum(1), CTL_OK);
    assert_int_equal(CTL_AnnounceLeap(-1), CTL_OK);
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(sys.local_stratum, 1);
    assert_int_equal(sys.leap, -1);
    assert_true(sys.leap_at == ntp_of(utc(2030, 7, 1, 0, 0, 0)));
    free(rows);

    /* Once the leap has passed it is not written again. */
    set_wall(utc(2030, 7, 1, 0, 0, 1));
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(sys.leap, 0);
    assert_int_equal(sys.local_stratum, 1);
    free(rows);
}

/* Saved, restarted: the SNMP rows come back with their ids, state,
   settings and prefer order; config-file rows are numbered around them;
   stratum and leap announcement are back. */
static void test_state_reloaded(void **state)
{
    (void)state;
    static const int config_prefer[] = { 0, 0 };

    assert_int_equal(engine_init(dir, config_prefer, 2), 0);
    assert_int_equal(find(1).origin, CTL_ORIGIN_CONFIG);
    create_ok(3, with_local(spec_of(NTP_MODE_CLIENT, "192.0.2.3", 0), "127.0.0.1"), 1);
    create_ok(4, spec_of(NTP_MODE_SYM_ACTIVE, "peer.example.org", 0), 0);
    create_ok(5, spec_of(NTP_MODE_BROADCAST, "", 0), 0);
    assert_int_equal(CTL_SetLocalStratum(1), CTL_OK);
    assert_int_equal(CTL_AnnounceLeap(1), CTL_OK);
    assert_int_equal(CTL_SaveState(), 0);
    CTL_Row old3 = find(3), old4 = find(4), old5 = find(5);

    engine_fini();
    rcl_local_stratum = -1;
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    /* Three config lines now: the first two take ids 1 and 2, the third
       skips the SNMP rows' 3..5. */
    static const int three[] = { 0, 0, 0 };
    assert_int_equal(engine_init(dir, three, 3), 3);
    assert_row_is(3, &old3);
    assert_row_is(4, &old4);
    assert_row_is(5, &old5);
    assert_true(running(3));
    assert_string_equal(assoc_of(3)->params.host, "192.0.2.3");
    assert_true(assoc_of(3)->params.iburst);
    assert_false(running(4));
    assert_false(running(5));
    assert_int_equal(find(1).origin, CTL_ORIGIN_CONFIG);
    assert_int_equal(find(2).origin, CTL_ORIGIN_CONFIG);
    assert_int_equal(find(6).origin, CTL_ORIGIN_CONFIG);
    assert_int_equal(CTL_GetLocalStratum(), 1);
    assert_int_equal(rcl_local_stratum, 1);
    assert_int_equal(CTL_GetAnnouncedLeap(), 1);
    assert_int_equal(LPS_Announced(), 1);
    assert_true(log_contains("3 associations created over SNMP"));

    /* A restart in the next month drops the announcement. */
    engine_fini();
    set_wall(utc(2030, 7, 2, 0, 0, 0));
    assert_int_equal(engine_init(dir, NULL, 0), 3);
    assert_int_equal(CTL_GetLocalStratum(), 1);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    assert_int_equal(LPS_Announced(), 0);
    assert_true(log_contains("leap second announcement for"));

    /* Nor is it carried over to the next month's end when the restart is
       within the 28 days before it. */
    engine_fini();
    set_wall(utc(2030, 7, 20, 0, 0, 0));
    assert_int_equal(CTL_CheckLeap(1, 1), CTL_OK);
    assert_int_equal(engine_init(dir, NULL, 0), 3);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    assert_int_equal(LPS_Announced(), 0);
}

/* The prefer order survives a restart, behind the config file's prefer
   lines, whatever the AssocIds: a row with a smaller AssocId (started
   first) that asked later must not take prefer as well. */
static void test_state_prefer_order(void **state)
{
    (void)state;

    assert_int_equal(engine_init(dir, NULL, 0), 0);
    /* 20 asks first, 10 second, 15 asks and clears: 20 has it. */
    create_ok(20, spec_of(NTP_MODE_CLIENT, "192.0.2.20", 1), 1);
    create_ok(10, spec_of(NTP_MODE_CLIENT, "192.0.2.10", 1), 1);
    create_ok(15, spec_of(NTP_MODE_CLIENT, "192.0.2.15", 1), 1);
    update_prefer(15, 0);
    assert_int_equal(preferred(), 20);
    assert_int_equal(CTL_SaveState(), 0);

    engine_fini();
    clear_events();
    assert_int_equal(engine_init(dir, NULL, 0), 3);
    assert_int_equal(preferred(), 20);
    /* Each started once, with what it should have: no restarts. */
    assert_int_equal(n_events, 3);
    assert_true(find(20).prefer_effective);
    assert_false(find(10).prefer_effective);
    assert_false(find(15).spec.prefer);
    update_prefer(20, 0);
    assert_int_equal(preferred(), 10);
    /* 15 asking now comes after 10 (and 20, asking again, after 15). */
    update_prefer(15, 1);
    update_prefer(20, 1);
    assert_int_equal(preferred(), 10);
    update_prefer(10, 0);
    assert_int_equal(preferred(), 15);
    assert_int_equal(CTL_SaveState(), 0);

    /* With a config prefer line: it wins; suspended, 15 (the first of the
       SNMP rows) has it, not 20. */
    engine_fini();
    static const int config_prefer[] = { 1 };
    assert_int_equal(engine_init(dir, config_prefer, 1), 3);
    uint32_t cfg = 1;
    assert_int_equal(find(cfg).origin, CTL_ORIGIN_CONFIG);
    assert_int_equal(preferred(), cfg);
    assert_int_equal(CTL_SetActive(cfg, 0), CTL_OK);
    assert_int_equal(preferred(), 15);
    assert_true(find(15).prefer_order < find(20).prefer_order);
}

/* Rows the daemon cannot use are skipped or repaired with a log line; a
   leap announcement without stratum 1 is dropped. */
static void test_state_load_bad_rows(void **state)
{
    (void)state;

    write_text(state_path,
               "cntpd-state 1\n"
               "stratum 2\n"
               "leap +1 4118083200\n"
               "row 3 active 3 0 - 127.127.1.0\n"
               "row 4 active 3 0 not-an-address 192.0.2.4\n"
               "row 5 suspended 1 0 - 192.0.2.5\n"
               "end 3\n");
    /* 4118083200 is 2030-07-01 00:00 UTC in NTP seconds: this month's. */
    assert_true(ntp_of(utc(2030, 7, 1, 0, 0, 0)) == 4118083200ULL);
    assert_int_equal(engine_init(dir, NULL, 0), 2);
    assert_false(exists(3));
    assert_true(log_contains("association 3: bad address 127.127.1.0: row skipped"));
    assert_true(running(4));
    assert_int_equal(find(4).spec.local.len, 0);
    assert_true(log_contains("association 4: bad local address not-an-address ignored"));
    assert_false(find(5).active);
    assert_int_equal(CTL_GetLocalStratum(), 2);
    assert_int_equal(rcl_local_stratum, 2);
    assert_int_equal(CTL_GetAnnouncedLeap(), 0);
    assert_int_equal(LPS_Announced(), 0);
    assert_true(log_contains("dropped: local stratum is not 1"));
    /* The skipped row's id is free (nothing of it was kept). */
    assert_int_equal(CTL_CheckCreate(3), CTL_OK);
}

/* A corrupt file: logged, no rows, and the next save writes a good one
   (moving it aside is test_state.c's). */
static void test_state_load_corrupt(void **state)
{
    (void)state;
    STATE_Row *rows;
    STATE_System sys;
    size_t n;

    write_text(state_path, "cntpd-state 1\nrow 3 active 3 0 - 192.0.2.3\n");
    assert_int_equal(engine_init(dir, NULL, 0), 0);
    assert_false(exists(3));
    assert_true(log_contains("starting without the SNMP-created associations"));
    create_ok(7, client("192.0.2.7"), 1);
    assert_int_equal(CTL_SaveState(), 0);
    rows = saved(&n, &sys);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, 7);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_id_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_retired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maxassoc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_spec_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_spec_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_spec_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_active, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_suspended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_active_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_suspended_bad_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_not_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_after_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefer_first_set_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefer_restore_takes_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefer_config_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_stratum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leap_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_statedir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_reloaded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_prefer_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_load_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_load_corrupt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
