/* mib_system — cntpSystem (1.3.6.1.4.1.9.9.168.1.1): the eleven system
 * scalars, read from the engine's system report at request time
 * (cntpSysClock from the clock at that moment). */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "clock.h"
#include "engine.h"
#include "mib_modules.h"
#include "mib_values.h"
#include "ntp_time.h"

static const oid system_oid[] = { CNTP_SYSTEM_OID };

static int system_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    ENG_SystemReport s;
    uint8_t buf[8];

    (void)handler, (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    ENG_GetSystemReport(&s);

    for (netsnmp_request_info *r = requests; r; r = r->next) {
        netsnmp_variable_list *vb = r->requestvb;
        /* The scalar-group helper extends reginfo's root by the scalar's
           number before calling us, so take it from the request's OID. */
        oid column = vb->name_length > OID_LENGTH(system_oid) ? vb->name[OID_LENGTH(system_oid)] : 0;
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
        "cntpSystem", system_handler, system_oid, OID_LENGTH(system_oid), HANDLER_CAN_RONLY);

    if (!reg || netsnmp_register_scalar_group(reg, COL_SYS_LEAP, COL_SYS_SRV_STATUS) !=
                    MIB_REGISTERED_OK)
        snmp_log(LOG_ERR, "cannot register cntpSystem\n");
}
