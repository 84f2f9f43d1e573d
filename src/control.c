/* control — see control.h. The control API over the association table
   that engine.c owns (engine_priv.h), and the state file of SNMP rows. */
#include "control.h"
#include "engine.h"
#include "engine_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "leapstate.h"
#include "log.h"
#include "mem.h"
#include "state.h"

/* ------------------------------------------------------------------------
 * Control API (control.h): rows of cntpPeersVarTable made over SNMP.
 */

static Assoc *find_id(Assoc *list, uint32_t id)
{
    for (Assoc *a = list; a && a->id <= id; a = a->next)
        if (a->id == id)
            return a;
    return NULL;
}

int eng_id_in_use(uint32_t id)
{
    return find_id(eng_assocs, id) || find_id(eng_parked, id);
}

int eng_id_retired(uint32_t id)
{
    for (size_t i = 0; i < eng_n_retired; i++)
        if (eng_retired[i] == id)
            return 1;
    return 0;
}

static void unretire_id(uint32_t id)
{
    for (size_t i = 0; i < eng_n_retired; i++) {
        if (eng_retired[i] == id) {
            eng_retired[i] = eng_retired[--eng_n_retired];
            return;
        }
    }
}

/* Config-file and SNMP rows count against `tos maxassoc`; ephemeral ones
   have their own bound (MAX_EPHEMERAL), so strangers cannot use up room
   meant for the operator's sources. */
static size_t counted_rows(void)
{
    size_t n = 0;
    for (Assoc *a = eng_assocs; a; a = a->next)
        n += a->origin != CTL_ORIGIN_EPHEMERAL;
    for (Assoc *a = eng_parked; a; a = a->next)
        n++;
    return n;
}

const char *CTL_StatusName(CTL_Status status)
{
    static const char *const names[] = {
        "ok", "bad AssocId", "AssocId in use", "AssocId used earlier in this run",
        "no such row", "mode not creatable", "bad address or name", "no address",
        "not a local address", "tos maxassoc reached", "row not created over SNMP",
        "row is active", "stratum not 1..15", "local stratum is not 1",
        "not within 28 days before the end of the month",
    };
    return (size_t)status < sizeof names / sizeof names[0] ? names[status] : "?";
}

static void record_row(const Assoc *a, CTL_Row *row)
{
    memset(row, 0, sizeof *row);
    row->id = a->id;
    row->active = a->peer != NULL;
    row->origin = a->origin;
    row->spec.mode = a->params.mode;
    snprintf(row->spec.host, sizeof row->spec.host, "%s", a->host);
    row->spec.prefer = a->prefer_seq != 0;
    row->spec.local = a->local;
    row->prefer_order = a->prefer_seq;
    row->prefer_effective = a->peer && a->params.prefer;
}

/* What a suspended row shows: its settings, nothing measured. */
static void parked_report(const Assoc *a, PEER_Report *r)
{
    PEER_Params params = a->params;

    params.host = a->host;
    params.local = a->local;
    params.prefer = 0;   /* no association, so not the preferred one */
    PEER_ParamsReport(a->id, &params, r);
}

size_t CTL_GetRows(PEER_Report **reports, CTL_Row **rows)
{
    size_t n = eng_n_assocs, i = 0;

    for (Assoc *a = eng_parked; a; a = a->next)
        n++;
    *reports = MEM_Calloc(n, sizeof **reports);
    *rows = MEM_Calloc(n, sizeof **rows);
    for (Assoc *a = eng_assocs, *p = eng_parked; a || p; i++) {
        if (a && (!p || a->id < p->id)) {
            PEER_GetReport(a->peer, &(*reports)[i]);
            record_row(a, &(*rows)[i]);
            a = a->next;
        } else {
            parked_report(p, &(*reports)[i]);
            record_row(p, &(*rows)[i]);
            p = p->next;
        }
    }
    return i;
}

int CTL_Find(uint32_t id, CTL_Row *row)
{
    Assoc *a = find_id(eng_assocs, id);

    if (!a)
        a = find_id(eng_parked, id);
    if (!a)
        return 0;
    record_row(a, row);
    return 1;
}

CTL_Status CTL_CheckCreate(uint32_t id)
{
    if (id == 0 || id > CTL_MAX_ASSOC_ID)
        return CTL_BAD_ID;
    if (eng_id_in_use(id))
        return CTL_EXISTS;
    if (eng_id_retired(id))
        return CTL_RETIRED;
    if (counted_rows() >= (size_t)eng_max_assocs)
        return CTL_FULL;
    return CTL_OK;
}

int CTL_IsLocalAddress(const NTP_Addr *addr)
{
    NTP_Addr probe = *addr;
    int fd, ok;

    if (!addr->len)
        return 0;
    /* Binding (port 0) succeeds only for an address of this host; the
       socket is closed at once, nothing is sent. */
    ADDR_SetPort(&probe, 0);
    fd = socket(ADDR_Family(&probe), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    ok = bind(fd, (const struct sockaddr *)&probe.u, probe.len) == 0;
    close(fd);
    return ok;
}

CTL_Status CTL_CheckSpec(const CTL_Spec *spec)
{
    if (spec->mode != NTP_MODE_SYM_ACTIVE && spec->mode != NTP_MODE_CLIENT &&
        spec->mode != NTP_MODE_BROADCAST)
        return CTL_BAD_MODE;
    if (spec->host[0] && !CNF_ValidHost(spec->host))
        return CTL_BAD_HOST;
    if (spec->local.len && !CTL_IsLocalAddress(&spec->local))
        return CTL_NOT_LOCAL;
    return CTL_OK;
}

/* PEER_Params of an SNMP row: like `server HOST iburst` (client) or
   `peer HOST` / `broadcast HOST`, standard port, default polls. */
static void snmp_params(const CTL_Spec *spec, PEER_Params *params)
{
    *params = (PEER_Params){
        .mode = spec->mode,
        .host = spec->host,
        .port = CNF_DEFAULT_PORT,
        .minpoll = CNF_DEFAULT_MINPOLL,
        .maxpoll = CNF_DEFAULT_MAXPOLL,
        .version = CNF_DEFAULT_VERSION,
        .iburst = spec->mode == NTP_MODE_CLIENT,
        .prefer = spec->prefer,
        .configured = 0,
    };
}

/* Does `b`, active, keep `a` from having prefer? */
static int prefer_blocks(const Assoc *b, const Assoc *a)
{
    if (b == a || !b->prefer_seq)
        return 0;
    return b->origin == CTL_ORIGIN_CONFIG ||
           (b->origin == CTL_ORIGIN_SNMP &&
            (b->prefer_seq < a->prefer_seq || (b->prefer_seq == a->prefer_seq && b->id < a->id)));
}

/* Does `a` (active, or about to be started) get prefer? Config rows
   asking for it always do (ntpd honours every `prefer` line); an SNMP row
   only when no active config row has it and no active SNMP row asked for
   it earlier: "if several are true, the first one set wins". */
int eng_effective_prefer(const Assoc *a)
{
    if (!a->prefer_seq || a->origin == CTL_ORIGIN_EPHEMERAL)
        return 0;
    if (a->origin == CTL_ORIGIN_CONFIG)
        return 1;
    for (const Assoc *b = eng_assocs; b; b = b->next)
        if (prefer_blocks(b, a))
            return 0;
    /* At start the state file's active rows are started one by one in
       AssocId order (eng_start_loaded), and nothing reconciles afterwards:
       those still waiting count as active, or a row started first would
       take prefer although one started later asked for it earlier, and
       both would have it. */
    for (const Assoc *b = eng_parked; b; b = b->next)
        if (b->start_pending && prefer_blocks(b, a))
            return 0;
    return 1;
}

/* After a row changed: give prefer to the association that should have
   it now and take it from the one that should not. A peer takes prefer at
   creation, so those associations restart (a prefer change is rare, an
   operator's decision). Restarting one does not change who should have
   it, so each is restarted at most once. */
static void reconcile_prefer(void)
{
    for (Assoc *a = eng_assocs; a;) {
        int want = eng_effective_prefer(a);
        if (a->origin == CTL_ORIGIN_EPHEMERAL || a->params.prefer == want) {
            a = a->next;
            continue;
        }
        LOG(LOGS_INFO, "association %u: %s %s the preferred source", a->id, a->host,
            want ? "is now" : "is no longer");
        eng_stop_assoc(a);
        eng_start_assoc(a, NULL);
        a = eng_assocs;
    }
}

static void unlink_parked(Assoc *a)
{
    for (Assoc **pa = &eng_parked; *pa; pa = &(*pa)->next) {
        if (*pa == a) {
            *pa = a->next;
            a->next = NULL;
            return;
        }
    }
}

static void log_row(const char *what, const Assoc *a)
{
    LOG(LOGS_INFO, "association %u: %s over SNMP (%s %s%s)", a->id, what,
        PEER_ModeName(a->params.mode), a->host[0] ? a->host : "no address yet",
        a->prefer_seq ? " prefer" : "");
}

CTL_Status CTL_Create(uint32_t id, const CTL_Spec *spec, int active)
{
    CTL_Status st = CTL_CheckCreate(id);
    PEER_Params params;

    if (st == CTL_OK)
        st = CTL_CheckSpec(spec);
    if (st == CTL_OK && active && !spec->host[0])
        st = CTL_NO_HOST;
    if (st != CTL_OK)
        return st;
    snmp_params(spec, &params);
    Assoc *a = eng_new_record(id, CTL_ORIGIN_SNMP, &params);
    a->local = spec->local;
    a->prefer_seq = spec->prefer ? ++eng_prefer_clock : 0;
    if (active) {
        eng_start_assoc(a, NULL);
    } else {
        eng_insert_sorted(&eng_parked, a);
    }
    log_row(active ? "created" : "created, not in service", a);
    reconcile_prefer();
    return CTL_OK;
}

CTL_Status CTL_SetActive(uint32_t id, int active)
{
    Assoc *a = find_id(eng_assocs, id);

    if (a) {
        if (a->origin == CTL_ORIGIN_EPHEMERAL)
            return CTL_NOT_OURS;
        if (!active) {
            eng_stop_assoc(a);
            eng_insert_sorted(&eng_parked, a);
            LOG(LOGS_INFO, "association %u: %s suspended over SNMP", a->id, a->host);
            reconcile_prefer();
        }
        return CTL_OK;
    }
    a = find_id(eng_parked, id);
    if (!a)
        return CTL_NO_SUCH;
    if (active) {
        if (!a->host[0])
            return CTL_NO_HOST;
        unlink_parked(a);
        eng_start_assoc(a, NULL);
        LOG(LOGS_INFO, "association %u: %s resumed over SNMP", a->id, a->host);
        reconcile_prefer();
    }
    return CTL_OK;
}

CTL_Status CTL_Update(uint32_t id, const CTL_Spec *spec)
{
    Assoc *live = find_id(eng_assocs, id), *a = live ? live : find_id(eng_parked, id);
    CTL_Status st;

    if (!a)
        return CTL_NO_SUCH;
    if (a->origin != CTL_ORIGIN_SNMP)
        return CTL_NOT_OURS;
    if ((st = CTL_CheckSpec(spec)) != CTL_OK)
        return st;
    if (live && (spec->mode != a->params.mode || strcmp(spec->host, a->host) != 0 ||
                 spec->local.len != a->local.len ||
                 (spec->local.len && !ADDR_EqualHost(&spec->local, &a->local))))
        return CTL_ACTIVE;
    /* Asking for prefer again keeps the row's place in the order. */
    if (!spec->prefer != !a->prefer_seq)
        a->prefer_seq = spec->prefer ? ++eng_prefer_clock : 0;
    if (!live) {
        unlink_parked(a);
        PEER_Params params;
        snmp_params(spec, &params);
        a->params = params;
        snprintf(a->host, sizeof a->host, "%s", spec->host);
        a->params.host = a->host;
        a->local = spec->local;
        eng_insert_sorted(&eng_parked, a);
    }
    /* An active row only changes prefer here: whether its association
       (or another) has it now is for reconcile_prefer. */
    log_row("changed", a);
    reconcile_prefer();
    return CTL_OK;
}

CTL_Status CTL_Remove(uint32_t id, int retire)
{
    Assoc *a = find_id(eng_assocs, id);

    if (!a)
        a = find_id(eng_parked, id);
    if (!a)
        return CTL_NO_SUCH;
    if (a->origin != CTL_ORIGIN_SNMP)
        return CTL_NOT_OURS;
    if (a->peer) {
        eng_remove_assoc(a);
    } else {
        unlink_parked(a);
        eng_retire_id(a->id);
        free(a);
    }
    if (!retire)
        unretire_id(id);
    LOG(LOGS_INFO, "association %u: %s over SNMP", id, retire ? "destroyed" : "creation undone");
    reconcile_prefer();
    return CTL_OK;
}

CTL_Status CTL_Restore(const CTL_Row *row)
{
    Assoc *a = find_id(eng_assocs, row->id);

    if (!a)
        a = find_id(eng_parked, row->id);
    if (a && a->origin != CTL_ORIGIN_SNMP)
        return CTL_NOT_OURS;
    if (a)
        CTL_Remove(row->id, 0);
    unretire_id(row->id);
    PEER_Params params;
    snmp_params(&row->spec, &params);
    a = eng_new_record(row->id, CTL_ORIGIN_SNMP, &params);
    a->local = row->spec.local;
    /* Back in its old place in the prefer order. */
    a->prefer_seq = !row->spec.prefer ? 0 : row->prefer_order ? row->prefer_order : ++eng_prefer_clock;
    if (row->active && row->spec.host[0])
        eng_start_assoc(a, NULL);
    else
        eng_insert_sorted(&eng_parked, a);
    reconcile_prefer();
    return CTL_OK;
}

static uint64_t wall_ntp(void)
{
    struct timespec ts;
    CLK_ReadTime(&ts);
    return (uint64_t)ts.tv_sec + NTP_UNIX_EPOCH_OFFSET;
}

void eng_forget_rows(void)
{
    while (eng_parked) {
        Assoc *a = eng_parked;
        eng_parked = a->next;
        free(a);
    }
    eng_prefer_clock = 0;
    eng_local_stratum = 0;
    eng_leap_announced_at = 0;
    free(eng_retired);
    eng_retired = NULL;
    eng_n_retired = eng_retired_cap = 0;
    free(eng_state_path);
    eng_state_path = NULL;
}

int CTL_GetLocalStratum(void)
{
    return eng_local_stratum;
}

CTL_Status CTL_SetLocalStratum(int stratum)
{
    if (stratum < 0 || stratum > 15)
        return CTL_BAD_STRATUM;
    if (stratum != eng_local_stratum)
        LOG(LOGS_INFO, "local stratum %d set over SNMP (cntpSysStratum: served while the "
            "local clock is the system peer)", stratum);
    eng_local_stratum = stratum;
    RCL_SetLocalStratum(stratum);
    return CTL_OK;
}

CTL_Status CTL_CheckLeap(int direction, int stratum)
{
    if (!direction)
        return CTL_OK;   /* withdrawing is always safe */
    if (stratum != 1)
        return CTL_NOT_PRIMARY;
    uint64_t now = wall_ntp();
    if (!LEAP_ShouldAnnounce(now, LPS_EndOfMonth(now)))
        return CTL_LEAP_WINDOW;
    return CTL_OK;
}

/* The stratum rule is the caller's (CTL_CheckLeap with the stratum the
   whole request leaves): undoing a request must be able to put back what
   was there. */
CTL_Status CTL_AnnounceLeap(int direction)
{
    uint64_t now = wall_ntp();

    if (LPS_Announce(direction, now) < 0)
        return CTL_LEAP_WINDOW;
    eng_leap_announced_at = direction ? LPS_EndOfMonth(now) : 0;
    LOG(LOGS_INFO, direction ? "leap second %s at the end of this month announced over SNMP "
        "(cntpSysLeap)" : "leap second announcement withdrawn over SNMP%s (cntpSysLeap)",
        direction > 0 ? "insertion" : direction < 0 ? "deletion" : "");
    return CTL_OK;
}

int CTL_GetAnnouncedLeap(void)
{
    /* Until the leap has passed (LPS_Decide forgets it only when the
       selection runs). */
    if (!LPS_Announced() || wall_ntp() >= eng_leap_announced_at)
        return 0;
    return LPS_Announced();
}

int CTL_SaveState(void)
{
    STATE_Row *rows;
    size_t n = 0;
    char err[512];
    int rc;

    if (!eng_state_path)
        return 0;
    rows = MEM_Calloc(eng_n_assocs + 1 + counted_rows(), sizeof *rows);
    for (Assoc *a = eng_assocs, *p = eng_parked; a || p;) {
        Assoc *next;
        if (a && (!p || a->id < p->id)) {
            next = a;
            a = a->next;
        } else {
            next = p;
            p = p->next;
        }
        if (next->origin != CTL_ORIGIN_SNMP)
            continue;
        STATE_Row *r = &rows[n++];
        r->id = next->id;
        r->active = next->peer != NULL;
        r->mode = next->params.mode;
        r->prefer = next->prefer_seq;
        snprintf(r->host, sizeof r->host, "%s", next->host);
        if (next->local.len)
            ADDR_HostString(&next->local, r->local, sizeof r->local);
    }
    STATE_System sys = { .local_stratum = eng_local_stratum, .leap = CTL_GetAnnouncedLeap() };
    if (sys.leap)
        sys.leap_at = eng_leap_announced_at;
    rc = STATE_Write(eng_state_path, &sys, rows, n, err, sizeof err);
    free(rows);
    if (rc < 0)
        LOG(LOGS_ERR, "state file: %s", err);
    return rc;
}

/* The cntpSystem settings of the state file: the local stratum, and a
   leap announcement as long as it is for the end of this month (one for
   a month that is over has been done, or missed while cntpd was down). */
static void load_system(const STATE_System *sys)
{
    eng_local_stratum = sys->local_stratum;
    RCL_SetLocalStratum(eng_local_stratum);
    if (eng_local_stratum)
        LOG(LOGS_INFO, "state file: local stratum %d (cntpSysStratum)", eng_local_stratum);
    if (!sys->leap)
        return;
    uint64_t now = wall_ntp();
    if (sys->leap_at != LPS_EndOfMonth(now) || eng_local_stratum != 1 ||
        LPS_Announce(sys->leap, now) < 0) {
        LOG(LOGS_INFO, "state file: leap second announcement for %llu (NTP) dropped: %s",
            (unsigned long long)sys->leap_at,
            eng_local_stratum != 1 ? "local stratum is not 1" : "not for the end of this month");
        return;
    }
    eng_leap_announced_at = sys->leap_at;
    LOG(LOGS_INFO, "state file: leap second %s at the end of this month announced (cntpSysLeap)",
        sys->leap > 0 ? "insertion" : "deletion");
}

/* Read the state file into eng_parked SNMP rows (their AssocIds taken before
   the config file's associations are numbered); returns how many. */
size_t eng_load_state(const char *statedir)
{
    STATE_Row *rows;
    size_t n, loaded = 0;
    char err[1024];

    if (!statedir) {
        LOG(LOGS_INFO, "no statedir: associations created over SNMP will not survive a "
            "restart");
        return 0;
    }
    size_t len = strlen(statedir) + sizeof STATE_FILE_NAME + 2;
    eng_state_path = MEM_Malloc(len);
    snprintf(eng_state_path, len, "%s/%s", statedir, STATE_FILE_NAME);
    STATE_System sys;
    int rc = STATE_Read(eng_state_path, &sys, &rows, &n, err, sizeof err);
    if (rc == -1) {
        LOG(LOGS_ERR, "state file: %s; starting without the SNMP-created associations", err);
        return 0;
    }
    if (rc == -2) {
        LOG(LOGS_ERR, "state file: %s", err);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        CTL_Spec spec = { .mode = rows[i].mode, .prefer = rows[i].prefer };
        snprintf(spec.host, sizeof spec.host, "%s", rows[i].host);
        if (rows[i].local[0] && ADDR_Parse(rows[i].local, 0, &spec.local) < 0) {
            LOG(LOGS_WARN, "state file: association %u: bad local address %s ignored",
                (unsigned)rows[i].id, rows[i].local);
            memset(&spec.local, 0, sizeof spec.local);
        }
        if (spec.host[0] && !CNF_ValidHost(spec.host)) {
            LOG(LOGS_ERR, "state file: association %u: bad address %s: row skipped",
                (unsigned)rows[i].id, spec.host);
            continue;
        }
        PEER_Params params;
        snmp_params(&spec, &params);
        Assoc *a = eng_new_record(rows[i].id, CTL_ORIGIN_SNMP, &params);
        a->local = spec.local;
        a->prefer_seq = rows[i].prefer;   /* ordered after the config file's (ENG_Init) */
        /* Started once the config file's associations are in. */
        a->start_pending = rows[i].active;
        eng_insert_sorted(&eng_parked, a);
        loaded++;
    }
    free(rows);
    if (rc == 1)
        LOG(LOGS_INFO, "state file %s: %zu association%s created over SNMP", eng_state_path,
            loaded, loaded == 1 ? "" : "s");
    load_system(&sys);
    return loaded;
}

void eng_start_loaded(size_t n)
{
    if (!n)
        return;
    for (Assoc *a = eng_parked, *next; a; a = next) {
        next = a->next;
        if (a->start_pending) {
            a->start_pending = 0;
            unlink_parked(a);
            eng_start_assoc(a, NULL);
        }
    }
}
