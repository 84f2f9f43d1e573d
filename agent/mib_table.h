/*
 * mib_table — a small read-only table handler for net-snmp over a sorted
 * array of rows with integer indexes (one or two of them). GET finds the row
 * by binary search, GETNEXT walks (column, index) in OID order from the
 * request; nothing per row is allocated in net-snmp (its tdata helper keeps
 * two ~1 KiB index lists per row, which at 512 associations times 8 filter
 * stages was most of the daemon's memory). SET requests go to the table's
 * own `set` callback, which sees the whole request in every phase.
 */
#ifndef CNTPD_MIB_TABLE_H
#define CNTPD_MIB_TABLE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#define MIBT_MAX_INDEX 2

typedef struct MIBT_Table {
    const char *name;
    int n_index;               /* integer indexes per row, 1..MIBT_MAX_INDEX */
    int min_column, max_column;
    /* The rows, in increasing index order, and one row's index. */
    size_t (*count)(void);
    void (*index)(size_t row, long idx[MIBT_MAX_INDEX]);
    /* Set vb's value for `column` of `row`; 0, or -1 when the row has no
       such column (then GETNEXT skips it). */
    int (*value)(size_t row, int column, netsnmp_variable_list *vb);
    /* Called before every read request (to refresh the snapshot). */
    void (*refresh)(void);
    /* SET requests, NULL for a read-only table (notWritable). Called once
       per SET phase (reqinfo->mode: MODE_SET_RESERVE1 .. MODE_SET_UNDO)
       with every varbind of the request that falls in the table; it sets
       errors on the varbinds itself (netsnmp_set_request_error). The
       registration allows writes when this is set. */
    void (*set)(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
                const oid *root, size_t root_len);
} MIBT_Table;

/* Register `table` (which must outlive the registration) at `root`, the
   table's OID (the Entry is root.1); returns the registration or NULL. */
netsnmp_handler_registration *MIBT_Register(MIBT_Table *table, const oid *root, size_t root_len);

/* Answer one read varbind from the registered tables directly, without
   net-snmp's request processing (the AgentX fast path in agentx.c): GET
   of an existing instance, or GETNEXT from a name inside a table (the
   next instance in the same table, before `end` unless end_len is 0).
   Sets vb's name and value and returns 0; -1 when the answer is not that
   simple (no such instance, past the table or `end`, not a table's name):
   then vb is left in an unspecified state and the caller must let
   net-snmp answer the request. */
int MIBT_Answer(netsnmp_variable_list *vb, int getnext, const oid *end, size_t end_len);

#endif
