/* mib_snapshot — see mib_snapshot.h. */
#include "mib_snapshot.h"

#include <stdlib.h>

#include "mem.h"
#include "mib_modules.h"
#include "sched.h"

static PEER_Report *reports;
static CTL_Row *rows;
static size_t n_reports;
static MIBS_FilterRow *filter_rows;
static size_t n_filter_rows;
static double loaded_at = -1e9;

void MIBS_Refresh(void)
{
    double now = SCH_Monotonic();

    if (now - loaded_at < MIB_CACHE_SECONDS)
        return;
    loaded_at = now;
    free(reports);
    free(rows);
    free(filter_rows);
    n_reports = CTL_GetRows(&reports, &rows);

    /* Reports come in AssocId order, stages in slot order: the rows are
       already sorted as (cntpPeersAssocId, cntpFilterIndex). */
    filter_rows = MEM_Calloc(n_reports * FLT_STAGES, sizeof *filter_rows);
    n_filter_rows = 0;
    for (size_t i = 0; i < n_reports; i++)
        for (int slot = 0; slot < FLT_STAGES; slot++)
            if (reports[i].filter.stage[slot].valid)
                filter_rows[n_filter_rows++] = (MIBS_FilterRow){ i, slot };
}

void MIBS_Invalidate(void)
{
    loaded_at = -1e9;
}

void MIBS_Fini(void)
{
    free(reports);
    free(rows);
    free(filter_rows);
    reports = NULL;
    rows = NULL;
    filter_rows = NULL;
    n_reports = n_filter_rows = 0;
    loaded_at = -1e9;
}

size_t MIBS_PeerCount(void)
{
    return n_reports;
}

const PEER_Report *MIBS_Peer(size_t i)
{
    return &reports[i];
}

const CTL_Row *MIBS_Row(size_t i)
{
    return &rows[i];
}

size_t MIBS_FilterCount(void)
{
    return n_filter_rows;
}

const MIBS_FilterRow *MIBS_Filter(size_t i)
{
    return &filter_rows[i];
}
