/* mib_filter — cntpFilterRegisterTable (1.3.6.1.4.1.9.9.168.1.3.2): the clock
 * filter stages of every association, indexed by (AssocId, stage 1..8).
 * Stage N is ring slot N-1 of the association's filter: samples are written
 * from index 1 upwards and wrap from 8 back to 1, as the MIB describes;
 * stages that hold no sample yet have no row. Served from the shared
 * snapshot through the sorted-array handler. */
#include "engine.h"
#include "filter.h"
#include "mib_modules.h"
#include "mib_snapshot.h"
#include "mib_table.h"
#include "mib_values.h"

static netsnmp_handler_registration *registration;

static size_t count(void)
{
    return MIBS_FilterCount();
}

static void row_index(size_t row, long idx[MIBT_MAX_INDEX])
{
    const MIBS_FilterRow *f = MIBS_Filter(row);

    idx[0] = (long)MIBS_Peer(f->peer)->assoc_id;
    idx[1] = f->slot + 1;
}

static int value(size_t row, int column, netsnmp_variable_list *vb)
{
    const MIBS_FilterRow *f = MIBS_Filter(row);
    const FLT_Stage *st = &MIBS_Peer(f->peer)->filter.stage[f->slot];
    uint8_t buf[4];

    switch (column) {
    case COL_FILTER_OFFSET:
        MIBV_SignedTime(st->offset, buf);
        break;
    case COL_FILTER_DELAY:
        MIBV_SignedTime(st->delay, buf);
        break;
    case COL_FILTER_DISPERSION:
        MIBV_UnsignedTime(st->dispersion, buf);
        break;
    default:
        return -1;
    }
    snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, 4);
    return 0;
}

static MIBT_Table filter_table = {
    .name = "cntpFilterRegisterTable",
    .n_index = 2,
    .min_column = COL_FILTER_OFFSET,
    .max_column = COL_FILTER_DISPERSION,
    .count = count,
    .index = row_index,
    .value = value,
    .refresh = MIBS_Refresh,
};

void MIB_InitFilter(void)
{
    static const oid table_oid[] = { CNTP_FILTER_TABLE_OID };

    registration = MIBT_Register(&filter_table, table_oid, OID_LENGTH(table_oid));
    if (!registration)
        snmp_log(LOG_ERR, "cannot register cntpFilterRegisterTable\n");
}

void MIB_FiniFilter(void)
{
    if (registration)
        netsnmp_unregister_handler(registration);
    registration = NULL;
}
