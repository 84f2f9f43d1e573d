/* mib_table — see mib_table.h. */
#include "mib_table.h"

#include <string.h>

typedef struct {
    MIBT_Table *t;
    oid root[MAX_OID_LEN];
    size_t root_len;
} Reg;

/* Every registered table, for MIBT_Answer(). */
#define MAX_TABLES 8
static Reg *tables[MAX_TABLES];
static int n_tables;

static void reg_free(void *p)
{
    for (int i = 0; i < n_tables; i++) {
        if (tables[i] == p) {
            tables[i] = tables[--n_tables];
            break;
        }
    }
    free(p);
}

static int cmp_index(const long a[MIBT_MAX_INDEX], const long b[MIBT_MAX_INDEX], int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* First row whose index is > idx (strict) or >= idx, by binary search. */
static size_t lower_bound(const MIBT_Table *t, const long idx[MIBT_MAX_INDEX], int strict)
{
    size_t lo = 0, hi = t->count();

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        long m[MIBT_MAX_INDEX];
        t->index(mid, m);
        int c = cmp_index(m, idx, t->n_index);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void set_name(netsnmp_variable_list *vb, const Reg *r, int column, const long idx[])
{
    oid name[MAX_OID_LEN];
    size_t len = r->root_len;

    memcpy(name, r->root, r->root_len * sizeof(oid));
    name[len++] = 1;
    name[len++] = (oid)column;
    for (int i = 0; i < r->t->n_index; i++)
        name[len++] = (oid)idx[i];
    snmp_set_var_objid(vb, name, len);
}

/* Decode the part of `name` after root.1.column into an index; components
   missing at the end count as "before everything" (-1, and `partial` set);
   values beyond a long are clamped. */
static void parse_index(const MIBT_Table *t, const oid *sub, size_t n, long idx[], int *partial)
{
    *partial = 0;
    for (int i = 0; i < t->n_index; i++) {
        if ((size_t)i < n) {
            idx[i] = sub[i] > (oid)0x7fffffff ? 0x7fffffffL : (long)sub[i];
        } else {
            idx[i] = -1;
            *partial = 1;
        }
    }
}

static int do_get(const Reg *r, netsnmp_variable_list *vb)
{
    const MIBT_Table *t = r->t;
    size_t n = vb->name_length;
    long idx[MIBT_MAX_INDEX];
    int partial;

    if (n != r->root_len + 2 + (size_t)t->n_index || vb->name[r->root_len] != 1)
        return SNMP_NOSUCHOBJECT;
    int column = (int)vb->name[r->root_len + 1];
    if (column < t->min_column || column > t->max_column)
        return SNMP_NOSUCHOBJECT;
    parse_index(t, vb->name + r->root_len + 2, (size_t)t->n_index, idx, &partial);
    for (int i = 0; i < t->n_index; i++)
        if (vb->name[r->root_len + 2 + i] > (oid)0x7fffffff)
            return SNMP_NOSUCHINSTANCE;
    size_t row = lower_bound(t, idx, 0);
    long found[MIBT_MAX_INDEX];
    if (row >= t->count())
        return SNMP_NOSUCHINSTANCE;
    t->index(row, found);
    if (cmp_index(found, idx, t->n_index) != 0 || t->value(row, column, vb) < 0)
        return SNMP_NOSUCHINSTANCE;
    return SNMP_ERR_NOERROR;
}

/* Set vb to the first instance after its name; 0 when found, -1 at the
   end of the table. */
static int do_getnext(const Reg *r, netsnmp_variable_list *vb)
{
    const MIBT_Table *t = r->t;
    size_t n = vb->name_length;
    int column = t->min_column;
    size_t row = 0;

    /* The agent only asks about names up to the end of our subtree: one
       that does not start with the table's OID lies before it. */
    if (n > r->root_len && snmp_oid_compare(vb->name, r->root_len, r->root, r->root_len) == 0) {
        /* Inside the table: position after the requested instance. */
        oid entry = vb->name[r->root_len];
        if (entry > 1)
            return -1;
        if (entry == 1 && n > r->root_len + 1) {
            oid c = vb->name[r->root_len + 1];
            if (c > (oid)t->max_column)
                return -1;
            if (c >= (oid)t->min_column) {
                long idx[MIBT_MAX_INDEX];
                int partial;
                column = (int)c;
                parse_index(t, vb->name + r->root_len + 2, n - r->root_len - 2, idx, &partial);
                /* An index longer than ours or partial: the next one is the
                   first row >= the prefix (partial) or > it (complete). */
                row = lower_bound(t, idx, !partial);
            }
        }
    }
    size_t count = t->count();
    for (; column <= t->max_column; column++, row = 0) {
        for (; row < count; row++) {
            if (t->value(row, column, vb) == 0) {
                long idx[MIBT_MAX_INDEX];
                t->index(row, idx);
                set_name(vb, r, column, idx);
                return 0;
            }
        }
    }
    return -1;
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reginfo,
                   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    const Reg *r = h->myvoid;

    (void)reginfo;
    if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT && r->t->set) {
        r->t->set(reqinfo, requests, r->root, r->root_len);
        return SNMP_ERR_NOERROR;
    }
    if (r->t->refresh)
        r->t->refresh();
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        if (req->processed)
            continue;
        switch (reqinfo->mode) {
        case MODE_GET: {
            int err = do_get(r, req->requestvb);
            if (err != SNMP_ERR_NOERROR)
                netsnmp_set_request_error(reqinfo, req, err);
            break;
        }
        case MODE_GETNEXT:
            /* At the end leave the varbind alone: the agent moves on to
               the next registration. */
            do_getnext(r, req->requestvb);
            break;
        default:
            netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

/* The table whose subtree strictly contains `name`, or NULL. */
static const Reg *table_of(const oid *name, size_t len)
{
    for (int i = 0; i < n_tables; i++) {
        const Reg *r = tables[i];
        if (len > r->root_len && snmp_oid_compare(name, r->root_len, r->root, r->root_len) == 0)
            return r;
    }
    return NULL;
}

int MIBT_Answer(netsnmp_variable_list *vb, int getnext, const oid *end, size_t end_len)
{
    const Reg *r = table_of(vb->name, vb->name_length);

    if (!r)
        return -1;
    if (r->t->refresh)
        r->t->refresh();
    if (!getnext)
        return do_get(r, vb) == SNMP_ERR_NOERROR ? 0 : -1;
    if (do_getnext(r, vb) < 0)
        return -1;
    if (end_len > 0 && snmp_oid_compare(vb->name, vb->name_length, end, end_len) >= 0)
        return -1;
    return 0;
}

netsnmp_handler_registration *MIBT_Register(MIBT_Table *table, const oid *root, size_t root_len)
{
    Reg *r = SNMP_MALLOC_TYPEDEF(Reg);
    netsnmp_mib_handler *h;
    netsnmp_handler_registration *reg;

    if (!r || root_len + 2 + MIBT_MAX_INDEX > MAX_OID_LEN)
        return NULL;
    r->t = table;
    memcpy(r->root, root, root_len * sizeof(oid));
    r->root_len = root_len;
    h = netsnmp_create_handler(table->name, handler);
    if (!h) {
        free(r);
        return NULL;
    }
    h->myvoid = r;
    h->data_free = reg_free;
    if (n_tables < MAX_TABLES)
        tables[n_tables++] = r;
    reg = netsnmp_handler_registration_create(table->name, h, root, root_len,
                                              table->set ? HANDLER_CAN_RWRITE
                                                         : HANDLER_CAN_RONLY);
    if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
        return NULL;
    return reg;
}
