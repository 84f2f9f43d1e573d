/* mib_peers_set — SET on cntpPeersVarTable: RowStatus (RFC 2579) row
 * creation, suspension and removal, and the writable columns, through the
 * engine's control API (control.h).
 *
 * net-snmp runs a SET in phases. Every phase here re-reads the request's
 * varbinds into one Change per row (index) — stateless, so nothing can go
 * stale between phases — and:
 *   RESERVE1  checks each varbind alone: name, type, length, value
 *             (noCreation, noAccess, notWritable, wrongType, wrongLength,
 *             wrongValue);
 *   RESERVE2  checks each row as it would be after the whole request
 *             (inconsistentName, inconsistentValue, resourceUnavailable);
 *   ACTION    applies every row, keeping what each was before, then writes
 *             the state file: the master only answers the manager after
 *             ACTION succeeded, so an acknowledged SET is on disk;
 *   UNDO      puts every row back and writes the state file again;
 *   COMMIT, FREE forget the saved rows.
 * Nothing is changed before ACTION, so a refused request changes nothing.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "control.h"
#include "mib_modules.h"
#include "mib_snapshot.h"
#include "ntp_pkt.h"

#define MAX_CHANGES 64          /* rows one request may touch */

typedef struct {
    uint32_t id;
    netsnmp_request_info *first;     /* the row's first varbind */
    netsnmp_request_info *req[COL_PEER_PEER_NAME + 1];  /* per column, last one */
    long status;                     /* RowStatus asked for, 0: none */
    /* Values asked for (valid where req[column] is set). */
    NTP_Addr addr, local;            /* len 0 for 0.0.0.0 */
    long mode, prefer, type;
    char name[CTL_HOST_LEN];
    size_t name_len;
    /* Worked out in RESERVE2 / ACTION. */
    int exists;
    CTL_Row old;
    CTL_Spec spec;
    int final_active, destroy;
} Change;

/* What ACTION did, for UNDO: the rows before, and which were created. */
static struct {
    size_t n;
    CTL_Row old[MAX_CHANGES];
    int existed[MAX_CHANGES];
    int applied[MAX_CHANGES];
} undo;

static int writable(int column)
{
    switch (column) {
    case COL_PEER_PEER_ADDRESS:
    case COL_PEER_HOST_ADDRESS:
    case COL_PEER_MODE:
    case COL_PEER_ENTRY_STATUS:
    case COL_PEER_PREF_PEER:
    case COL_PEER_PEER_TYPE:
    case COL_PEER_PEER_NAME:
        return 1;
    }
    return 0;
}

static void set_error(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req, int err)
{
    if (req->status == SNMP_ERR_NOERROR)
        netsnmp_set_request_error(reqinfo, req, err);
}

/* The column and index a varbind names, or the error it gets: the name
   must be root.1.COLUMN.INDEX with INDEX a valid AssocId. */
static int parse_name(const netsnmp_variable_list *vb, const oid *root, size_t root_len,
                      int *column, uint32_t *id)
{
    /* The agent hands us only names under the table's registration. */
    (void)root;
    if (vb->name_length < root_len + 2 || vb->name[root_len] != 1)
        return SNMP_ERR_NOCREATION;
    oid c = vb->name[root_len + 1];
    if (c == COL_PEER_ASSOC_ID)
        return SNMP_ERR_NOACCESS;   /* not-accessible: in no MIB view */
    if (c < COL_PEER_CONFIGURED || c > COL_PEER_PEER_NAME)
        return SNMP_ERR_NOCREATION;
    if (vb->name_length != root_len + 3 || vb->name[root_len + 2] == 0 ||
        vb->name[root_len + 2] > CTL_MAX_ASSOC_ID)
        return SNMP_ERR_NOCREATION;
    *column = (int)c;
    *id = (uint32_t)vb->name[root_len + 2];
    return SNMP_ERR_NOERROR;
}

static int ipv4_value(const netsnmp_variable_list *vb, NTP_Addr *out)
{
    struct in_addr in;

    if (vb->val_len != 4)
        return SNMP_ERR_WRONGLENGTH;
    memcpy(&in, vb->val.string, 4);
    memset(out, 0, sizeof *out);
    if (in.s_addr == 0)
        return SNMP_ERR_NOERROR;   /* 0.0.0.0: none */
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, text, sizeof text);
    return ADDR_Parse(text, 0, out) == 0 ? SNMP_ERR_NOERROR : SNMP_ERR_WRONGVALUE;
}

/* One varbind alone (RESERVE1 checks): type, length, value. Fills the
   value into `ch`. */
static int check_varbind(Change *ch, int column, const netsnmp_variable_list *vb)
{
    long v = vb->type == ASN_INTEGER ? *vb->val.integer : 0;

    switch (column) {
    case COL_PEER_PEER_ADDRESS:
    case COL_PEER_HOST_ADDRESS: {
        if (vb->type != ASN_IPADDRESS)
            return SNMP_ERR_WRONGTYPE;
        NTP_Addr *a = column == COL_PEER_PEER_ADDRESS ? &ch->addr : &ch->local;
        int err = ipv4_value(vb, a);
        if (err != SNMP_ERR_NOERROR)
            return err;
        /* A peer needs an address; 0.0.0.0 as host address means any.
           127.127.T.U names a reference clock (config file only). */
        char text[ADDR_STRLEN];
        if (column == COL_PEER_PEER_ADDRESS &&
            (!a->len || !CNF_ValidHost(ADDR_HostString(a, text, sizeof text))))
            return SNMP_ERR_WRONGVALUE;
        return SNMP_ERR_NOERROR;
    }
    case COL_PEER_MODE:
        if (vb->type != ASN_INTEGER)
            return SNMP_ERR_WRONGTYPE;
        /* Creatable: symmetricActive(1), client(3), broadcast(5); the
           others are set up by the protocol itself, never by a manager. */
        if (v != NTP_MODE_SYM_ACTIVE && v != NTP_MODE_CLIENT && v != NTP_MODE_BROADCAST)
            return SNMP_ERR_WRONGVALUE;
        ch->mode = v;
        return SNMP_ERR_NOERROR;
    case COL_PEER_PREF_PEER:
        if (vb->type != ASN_INTEGER)
            return SNMP_ERR_WRONGTYPE;
        if (v != TV_TRUE && v != TV_FALSE)
            return SNMP_ERR_WRONGVALUE;
        ch->prefer = v;
        return SNMP_ERR_NOERROR;
    case COL_PEER_PEER_TYPE:
        if (vb->type != ASN_INTEGER)
            return SNMP_ERR_WRONGTYPE;
        if (v != INET_TYPE_IPV4 && v != INET_TYPE_IPV6 && v != INET_TYPE_DNS)
            return SNMP_ERR_WRONGVALUE;
        ch->type = v;
        return SNMP_ERR_NOERROR;
    case COL_PEER_PEER_NAME:
        if (vb->type != ASN_OCTET_STR)
            return SNMP_ERR_WRONGTYPE;
        if (vb->val_len > 255)
            return SNMP_ERR_WRONGLENGTH;
        memcpy(ch->name, vb->val.string, vb->val_len);
        ch->name[vb->val_len] = '\0';
        ch->name_len = vb->val_len;
        return SNMP_ERR_NOERROR;
    case COL_PEER_ENTRY_STATUS:
        if (vb->type != ASN_INTEGER)
            return SNMP_ERR_WRONGTYPE;
        /* notReady(3) is a state, never a value to set. */
        if (v < ROW_ACTIVE || v > ROW_DESTROY || v == ROW_NOT_READY)
            return SNMP_ERR_WRONGVALUE;
        ch->status = v;
        return SNMP_ERR_NOERROR;
    }
    return SNMP_ERR_NOTWRITABLE;
}

/* Read the request into changes, one per row; 0, or -1 with errors set
   on the varbinds (phase RESERVE1 only sets them). */
static int collect(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
                   const oid *root, size_t root_len, Change *ch, size_t *n, int report)
{
    int failed = 0;

    *n = 0;
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        int column = 0, err;
        uint32_t id = 0;

        if (req->processed)
            continue;
        err = parse_name(req->requestvb, root, root_len, &column, &id);
        Change *c = NULL;
        if (err == SNMP_ERR_NOERROR) {
            for (size_t i = 0; i < *n; i++)
                if (ch[i].id == id)
                    c = &ch[i];
            if (!c) {
                if (*n == MAX_CHANGES) {
                    err = SNMP_ERR_RESOURCEUNAVAILABLE;
                } else {
                    c = &ch[(*n)++];
                    memset(c, 0, sizeof *c);
                    c->id = id;
                    c->first = req;
                    c->exists = CTL_Find(id, &c->old);
                }
            }
        }
        if (err == SNMP_ERR_NOERROR && !writable(column))
            /* Read-only columns: not writable on a row that exists, and
               never creatable on one that does not. */
            err = c->exists ? SNMP_ERR_NOTWRITABLE : SNMP_ERR_NOCREATION;
        if (err == SNMP_ERR_NOERROR)
            err = check_varbind(c, column, req->requestvb);
        if (err != SNMP_ERR_NOERROR) {
            if (report)
                set_error(reqinfo, req, err);
            failed = 1;
            continue;
        }
        c->req[column] = req;
    }
    return failed ? -1 : 0;
}

static int host_type(const char *host)
{
    NTP_Addr a;

    if (!host[0])
        return INET_TYPE_UNKNOWN;
    if (ADDR_Parse(host, 0, &a) < 0)
        return INET_TYPE_DNS;
    return ADDR_Family(&a) == AF_INET6 ? INET_TYPE_IPV6 : INET_TYPE_IPV4;
}

/* The host a PeerName of `type` stands for, or the error. */
static int name_to_host(const Change *c, int type, char *host, size_t len)
{
    int family = type == INET_TYPE_IPV6 ? AF_INET6 : AF_INET;

    if (type == INET_TYPE_DNS) {
        if (c->name_len == 0 || memchr(c->name, '\0', c->name_len) ||
            !CNF_ValidHost(c->name) || host_type(c->name) != INET_TYPE_DNS)
            return SNMP_ERR_WRONGVALUE;
        snprintf(host, len, "%s", c->name);
        return SNMP_ERR_NOERROR;
    }
    if (c->name_len != (type == INET_TYPE_IPV6 ? 16u : 4u))
        return SNMP_ERR_WRONGLENGTH;
    if (!inet_ntop(family, c->name, host, (socklen_t)len))
        return SNMP_ERR_WRONGVALUE;
    NTP_Addr a;
    if (ADDR_Parse(host, 0, &a) < 0 || !CNF_ValidHost(host))
        return SNMP_ERR_WRONGVALUE;
    return SNMP_ERR_NOERROR;
}

static int same_local(const NTP_Addr *a, const NTP_Addr *b)
{
    return a->len == b->len && (!a->len || ADDR_EqualHost(a, b));
}

/* The row as it would be after the request (RESERVE2 checks); the error
   and the varbind it belongs to, or SNMP_ERR_NOERROR. */
static int plan(Change *c, netsnmp_request_info **at)
{
    netsnmp_request_info *st = c->req[COL_PEER_ENTRY_STATUS];
    int err;

    *at = st ? st : c->first;
    if (!c->exists) {
        /* RFC 2579: a column of a row that does not exist, without the
           RowStatus that would create it. */
        if (!st)
            return SNMP_ERR_INCONSISTENTNAME;
        if (c->status == ROW_DESTROY) {
            c->destroy = 1;   /* nothing to do, and no error */
            return SNMP_ERR_NOERROR;
        }
        if (c->status != ROW_CREATE_AND_GO && c->status != ROW_CREATE_AND_WAIT)
            return SNMP_ERR_INCONSISTENTVALUE;
        switch (CTL_CheckCreate(c->id)) {
        case CTL_OK:
            break;
        case CTL_FULL:
            return SNMP_ERR_RESOURCEUNAVAILABLE;
        case CTL_BAD_ID:
            return SNMP_ERR_NOCREATION;
        default:    /* in use, or used earlier in this run */
            return SNMP_ERR_INCONSISTENTVALUE;
        }
        memset(&c->spec, 0, sizeof c->spec);
        c->spec.mode = NTP_MODE_SYM_ACTIVE;   /* DEFVAL symmetricActive */
    } else {
        if (st && (c->status == ROW_CREATE_AND_GO || c->status == ROW_CREATE_AND_WAIT))
            return SNMP_ERR_INCONSISTENTVALUE;
        if (c->old.origin != CTL_ORIGIN_SNMP) {
            /* Config-file rows may be suspended and resumed, nothing else;
               ephemeral rows are the protocol's, not the manager's. */
            for (int col = 0; col <= COL_PEER_PEER_NAME; col++) {
                if (c->req[col] && col != COL_PEER_ENTRY_STATUS) {
                    *at = c->req[col];
                    return SNMP_ERR_INCONSISTENTVALUE;
                }
            }
            if (st && (c->status == ROW_DESTROY ||
                       (c->old.origin == CTL_ORIGIN_EPHEMERAL && c->status != ROW_ACTIVE)))
                return SNMP_ERR_INCONSISTENTVALUE;
        }
        c->spec = c->old.spec;
        if (c->status == ROW_DESTROY) {
            c->destroy = 1;
            return SNMP_ERR_NOERROR;
        }
    }

    /* The settings, over the row's current ones (or the defaults). */
    char host[CTL_HOST_LEN] = "";
    int have_host = 0;
    if (c->req[COL_PEER_PEER_ADDRESS]) {
        ADDR_HostString(&c->addr, host, sizeof host);
        have_host = 1;
    }
    if (c->req[COL_PEER_PEER_NAME]) {
        char named[CTL_HOST_LEN];
        int type = c->req[COL_PEER_PEER_TYPE] ? (int)c->type
                   : host_type(c->spec.host) != INET_TYPE_UNKNOWN ? host_type(c->spec.host)
                   : INET_TYPE_IPV4;   /* DEFVAL ipv4 */
        *at = c->req[COL_PEER_PEER_NAME];
        if ((err = name_to_host(c, type, named, sizeof named)) != SNMP_ERR_NOERROR)
            return err;
        /* Both forms of the address in one request must agree. */
        if (have_host && strcmp(host, named) != 0)
            return SNMP_ERR_INCONSISTENTVALUE;
        snprintf(host, sizeof host, "%s", named);
        have_host = 1;
    } else if (c->req[COL_PEER_PEER_TYPE]) {
        /* A type alone must describe the address the row has. */
        const char *h = have_host ? host : c->spec.host;
        if (h[0] && host_type(h) != c->type) {
            *at = c->req[COL_PEER_PEER_TYPE];
            return SNMP_ERR_INCONSISTENTVALUE;
        }
    }
    if (have_host)
        snprintf(c->spec.host, sizeof c->spec.host, "%s", host);
    if (c->req[COL_PEER_MODE])
        c->spec.mode = (int)c->mode;
    if (c->req[COL_PEER_PREF_PEER])
        c->spec.prefer = c->prefer == TV_TRUE;
    if (c->req[COL_PEER_HOST_ADDRESS]) {
        if (c->local.len && !CTL_IsLocalAddress(&c->local)) {
            *at = c->req[COL_PEER_HOST_ADDRESS];
            return SNMP_ERR_INCONSISTENTVALUE;
        }
        c->spec.local = c->local;
    }

    c->final_active = st ? c->status == ROW_ACTIVE || c->status == ROW_CREATE_AND_GO
                         : c->exists && c->old.active;
    if (c->final_active && !c->spec.host[0]) {
        *at = st ? st : c->first;
        return SNMP_ERR_INCONSISTENTVALUE;
    }
    /* Where an active row polls is fixed while it stays active: suspend it
       first (in this request or an earlier one). */
    if (c->exists && c->old.active && c->final_active) {
        static const int fixed[] = { COL_PEER_PEER_ADDRESS, COL_PEER_PEER_NAME,
                                     COL_PEER_PEER_TYPE, COL_PEER_MODE, COL_PEER_HOST_ADDRESS };
        int changed = strcmp(c->spec.host, c->old.spec.host) != 0 ||
                      c->spec.mode != c->old.spec.mode ||
                      !same_local(&c->spec.local, &c->old.spec.local);
        for (size_t i = 0; changed && i < sizeof fixed / sizeof fixed[0]; i++) {
            if (c->req[fixed[i]]) {
                *at = c->req[fixed[i]];
                return SNMP_ERR_INCONSISTENTVALUE;
            }
        }
    }
    return SNMP_ERR_NOERROR;
}

static CTL_Status apply(const Change *c)
{
    CTL_Status st = CTL_OK;

    if (c->destroy)
        return c->exists ? CTL_Remove(c->id, 1) : CTL_OK;
    if (!c->exists)
        return CTL_Create(c->id, &c->spec, c->final_active);
    if (c->old.origin != CTL_ORIGIN_SNMP)
        return c->final_active == c->old.active ? CTL_OK : CTL_SetActive(c->id, c->final_active);
    if (c->old.active && !c->final_active)
        st = CTL_SetActive(c->id, 0);
    if (st == CTL_OK && memcmp(&c->spec, &c->old.spec, sizeof c->spec) != 0)
        st = CTL_Update(c->id, &c->spec);
    if (st == CTL_OK && c->final_active && !c->old.active)
        st = CTL_SetActive(c->id, 1);
    return st;
}

static void revert(void)
{
    for (size_t i = undo.n; i-- > 0;) {
        if (!undo.applied[i])
            continue;
        const CTL_Row *old = &undo.old[i];
        if (!undo.existed[i])
            CTL_Remove(old->id, 0);
        else if (old->origin == CTL_ORIGIN_SNMP)
            CTL_Restore(old);
        else
            CTL_SetActive(old->id, old->active);
    }
    undo.n = 0;
    MIBS_Invalidate();
}

void MIB_PeersSet(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
                  const oid *root, size_t root_len)
{
    Change ch[MAX_CHANGES];
    size_t n;
    netsnmp_request_info *at;

    switch (reqinfo->mode) {
    case MODE_SET_RESERVE1:
        undo.n = 0;
        collect(reqinfo, requests, root, root_len, ch, &n, 1);
        break;
    case MODE_SET_RESERVE2:
        if (collect(reqinfo, requests, root, root_len, ch, &n, 1) < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            int err = plan(&ch[i], &at);
            if (err != SNMP_ERR_NOERROR)
                set_error(reqinfo, at, err);
        }
        break;
    case MODE_SET_ACTION: {
        int failed = 0;
        undo.n = 0;
        if (collect(reqinfo, requests, root, root_len, ch, &n, 1) < 0)
            break;
        for (size_t i = 0; i < n && !failed; i++) {
            if (plan(&ch[i], &at) != SNMP_ERR_NOERROR) {
                set_error(reqinfo, at, SNMP_ERR_COMMITFAILED);
                failed = 1;
                break;
            }
            undo.old[i] = ch[i].old;
            undo.existed[i] = ch[i].exists;
            undo.applied[i] = 0;
            undo.n = i + 1;
            CTL_Status st = apply(&ch[i]);
            if (st != CTL_OK) {
                snmp_log(LOG_ERR, "cntpPeersVarTable row %u: %s\n", (unsigned)ch[i].id,
                         CTL_StatusName(st));
                set_error(reqinfo, at, SNMP_ERR_COMMITFAILED);
                failed = 1;
                break;
            }
            undo.applied[i] = 1;
        }
        /* On disk before the master answers the manager. */
        if (!failed && n && CTL_SaveState() < 0) {
            set_error(reqinfo, requests, SNMP_ERR_COMMITFAILED);
            failed = 1;
        }
        /* Undone here rather than trusting an UNDO phase to follow. */
        if (failed) {
            revert();
            CTL_SaveState();
        }
        MIBS_Invalidate();
        break;
    }
    case MODE_SET_UNDO:
        if (undo.n) {
            revert();
            if (CTL_SaveState() < 0)
                set_error(reqinfo, requests, SNMP_ERR_UNDOFAILED);
        }
        break;
    case MODE_SET_COMMIT:
    case MODE_SET_FREE:
        undo.n = 0;
        break;
    }
}
