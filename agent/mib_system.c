/* mib_system — cntpSystem (1.3.6.1.4.1.9.9.168.1.1): the eleven system
 * scalars, read from the engine's system report at request time
 * (cntpSysClock from the clock at that moment).
 *
 * Two are writable, through the control API (control.h):
 *   cntpSysStratum  1..15, the stratum a local-clock source will claim
 *                   (`ntp master N`); stored, the system stratum read back
 *                   is unchanged;
 *   cntpSysLeap     noWarning(0) withdraws, addSecond(1)/subtractSecond(2)
 *                   announce a leap at the end of this month; only while
 *                   the stratum the request leaves is 1.
 * net-snmp's scalar-group registration serialises the varbinds: this
 * handler sees one at a time in each phase. So the checks that involve
 * both scalars (RESERVE2) read the other one's value from the request's
 * whole PDU, and ACTION keeps what it changed for UNDO in `undo`. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <string.h>

#include "clock.h"
#include "control.h"
#include "engine.h"
#include "mib_modules.h"
#include "mib_values.h"
#include "ntp_time.h"

static const oid system_oid[] = { CNTP_SYSTEM_OID };

/* cntpSysLeap values (NTPLeapIndicator). */
#define LEAP_NO_WARNING 0
#define LEAP_ADD_SECOND 1
#define LEAP_SUBTRACT_SECOND 2

/* What ACTION changed, for UNDO (or for its own failure). */
static struct {
    int have_stratum, stratum;
    int have_leap, leap;
} undo;

static oid scalar_of(const netsnmp_variable_list *vb)
{
    /* The scalar-group helper extends reginfo's root by the scalar's
       number before calling us, so take it from the request's OID. */
    return vb->name_length > OID_LENGTH(system_oid) ? vb->name[OID_LENGTH(system_oid)] : 0;
}

static int leap_direction(long v)
{
    return v == LEAP_ADD_SECOND ? 1 : v == LEAP_SUBTRACT_SECOND ? -1 : 0;
}

/* The stratum and leap the whole request leaves (its last varbind for
   each, else the current settings); RESERVE1 has checked every value. */
static void request_final(netsnmp_agent_request_info *reqinfo, int *stratum, int *leap)
{
    *stratum = CTL_GetLocalStratum();
    *leap = CTL_GetAnnouncedLeap();
    if (!reqinfo->asp || !reqinfo->asp->pdu)
        return;
    for (netsnmp_variable_list *vb = reqinfo->asp->pdu->variables; vb; vb = vb->next_variable) {
        if (vb->name_length != OID_LENGTH(system_oid) + 2 || vb->type != ASN_INTEGER ||
            snmp_oid_compare(vb->name, OID_LENGTH(system_oid), system_oid,
                             OID_LENGTH(system_oid)) != 0 ||
            vb->name[OID_LENGTH(system_oid) + 1] != 0)
            continue;
        if (scalar_of(vb) == COL_SYS_STRATUM)
            *stratum = (int)*vb->val.integer;
        else if (scalar_of(vb) == COL_SYS_LEAP)
            *leap = leap_direction(*vb->val.integer);
    }
}

/* RESERVE1: the varbind alone. */
static int check_scalar(const netsnmp_variable_list *vb)
{
    oid column = scalar_of(vb);

    if (column != COL_SYS_STRATUM && column != COL_SYS_LEAP)
        return SNMP_ERR_NOTWRITABLE;
    if (vb->type != ASN_INTEGER)
        return SNMP_ERR_WRONGTYPE;
    long v = *vb->val.integer;
    if (column == COL_SYS_STRATUM)
        return v >= 1 && v <= 15 ? SNMP_ERR_NOERROR : SNMP_ERR_WRONGVALUE;
    /* alarm(3) is what an unsynchronised server says, never an operator's
       announcement. */
    return v >= LEAP_NO_WARNING && v <= LEAP_SUBTRACT_SECOND ? SNMP_ERR_NOERROR
                                                             : SNMP_ERR_WRONGVALUE;
}

/* RESERVE2: the varbind against the state the whole request leaves. */
static int check_consistent(netsnmp_agent_request_info *reqinfo, const netsnmp_variable_list *vb)
{
    int stratum, leap;

    request_final(reqinfo, &stratum, &leap);
    if (scalar_of(vb) == COL_SYS_LEAP)
        return CTL_CheckLeap(leap_direction(*vb->val.integer), stratum) == CTL_OK
                   ? SNMP_ERR_NOERROR : SNMP_ERR_INCONSISTENTVALUE;
    /* An announced leap needs a primary server: leaving stratum 1 must
       withdraw it in the same request. */
    return leap && stratum != 1 ? SNMP_ERR_INCONSISTENTVALUE : SNMP_ERR_NOERROR;
}

static void revert(void)
{
    /* Stratum first: a leap put back may need stratum 1. */
    if (undo.have_stratum)
        CTL_SetLocalStratum(undo.stratum);
    if (undo.have_leap)
        CTL_AnnounceLeap(undo.leap);
    memset(&undo, 0, sizeof undo);
}

/* ACTION: apply one varbind and write the state file (before the master
   answers the manager, as for the table); 0 or -1 (reverted). */
static int apply_scalar(const netsnmp_variable_list *vb)
{
    CTL_Status st;

    if (scalar_of(vb) == COL_SYS_STRATUM) {
        if (!undo.have_stratum) {
            undo.stratum = CTL_GetLocalStratum();
            undo.have_stratum = 1;
        }
        st = CTL_SetLocalStratum((int)*vb->val.integer);
    } else {
        if (!undo.have_leap) {
            undo.leap = CTL_GetAnnouncedLeap();
            undo.have_leap = 1;
        }
        st = CTL_AnnounceLeap(leap_direction(*vb->val.integer));
    }
    if (st == CTL_OK && CTL_SaveState() == 0)
        return 0;
    if (st != CTL_OK)
        snmp_log(LOG_ERR, "cntpSystem scalar %lu: %s\n", (unsigned long)scalar_of(vb),
                 CTL_StatusName(st));
    revert();
    CTL_SaveState();
    return -1;
}

static void system_set(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    for (netsnmp_request_info *r = requests; r; r = r->next) {
        int err = SNMP_ERR_NOERROR;

        if (r->processed || r->status != SNMP_ERR_NOERROR)
            continue;
        switch (reqinfo->mode) {
        case MODE_SET_RESERVE1:
            /* A new request: nothing of an earlier one to undo. */
            memset(&undo, 0, sizeof undo);
            err = check_scalar(r->requestvb);
            break;
        case MODE_SET_RESERVE2:
            err = check_consistent(reqinfo, r->requestvb);
            break;
        case MODE_SET_ACTION:
            if (apply_scalar(r->requestvb) < 0)
                err = SNMP_ERR_COMMITFAILED;
            break;
        case MODE_SET_UNDO:
            if (undo.have_stratum || undo.have_leap) {
                revert();
                if (CTL_SaveState() < 0)
                    err = SNMP_ERR_UNDOFAILED;
            }
            break;
        case MODE_SET_COMMIT:
        case MODE_SET_FREE:
            memset(&undo, 0, sizeof undo);
            break;
        }
        if (err != SNMP_ERR_NOERROR)
            netsnmp_set_request_error(reqinfo, r, err);
    }
}

static int system_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    ENG_SystemReport s;
    uint8_t buf[8];

    (void)handler, (void)reginfo;
    if (reqinfo->mode != MODE_GET) {
        if (reqinfo->mode != MODE_GETNEXT && reqinfo->mode != MODE_GETBULK)
            system_set(reqinfo, requests);
        return SNMP_ERR_NOERROR;
    }
    ENG_GetSystemReport(&s);

    for (netsnmp_request_info *r = requests; r; r = r->next) {
        netsnmp_variable_list *vb = r->requestvb;
        oid column = scalar_of(vb);
        long v;

        switch (column) {
        case COL_SYS_LEAP:
            v = s.sys.leap;
            snmp_set_var_typed_integer(vb, ASN_INTEGER, v);
            break;
        case COL_SYS_STRATUM:
            v = s.sys.stratum;
            snmp_set_var_typed_integer(vb, ASN_INTEGER, v);
            break;
        case COL_SYS_PRECISION:
            v = MIBV_Clamp(s.sys.precision, MIB_PRECISION_MIN, MIB_PRECISION_MAX);
            snmp_set_var_typed_integer(vb, ASN_INTEGER, v);
            break;
        case COL_SYS_ROOT_DELAY:
            MIBV_SignedTime(s.sys.root_delay, buf);
            snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 4);
            break;
        case COL_SYS_ROOT_DISPERSION:
            MIBV_UnsignedTime(s.sys.root_dispersion, buf);
            snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 4);
            break;
        case COL_SYS_REFID:
            MIBV_RefId(s.sys.refid, buf);
            snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 4);
            break;
        case COL_SYS_REFTIME:
            MIBV_Timestamp(s.synchronised || s.sys.stratum < 16 ? s.sys.reference_time : 0, buf);
            snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 8);
            break;
        case COL_SYS_POLL:
            v = MIBV_Clamp(s.sys.poll, -20, 20);
            snmp_set_var_typed_integer(vb, ASN_INTEGER, v);
            break;
        case COL_SYS_PEER:
            snmp_set_var_typed_integer(vb, ASN_INTEGER, (long)s.sys.sys_peer);
            break;
        case COL_SYS_CLOCK: {
            struct timespec now;
            CLK_ReadTime(&now);
            MIBV_Timestamp(NTS_FromTimespec(&now), buf);
            snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 8);
            break;
        }
        case COL_SYS_SRV_STATUS:
            snmp_set_var_typed_integer(vb, ASN_INTEGER, s.sys.status);
            break;
        default:
            netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

void MIB_InitSystem(void)
{
    netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
        "cntpSystem", system_handler, system_oid, OID_LENGTH(system_oid), HANDLER_CAN_RWRITE);

    if (!reg || netsnmp_register_scalar_group(reg, COL_SYS_LEAP, COL_SYS_SRV_STATUS) !=
                    MIB_REGISTERED_OK)
        snmp_log(LOG_ERR, "cannot register cntpSystem\n");
}
