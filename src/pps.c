/* pps — see pps.h. Owns the choice of implementation and the source
 * record that remembers which implementation opened it and for which
 * path (so its errors name the device). */
#include "pps.h"

#include <stdio.h>
#include <stdlib.h>

#include "mem.h"

struct PPS_Source_Record {
    const PPS_Ops *ops;
    void *handle;
    char *path;
};

static const PPS_Ops *current = &PPS_Rfc2783Ops;

void PPS_SetOps(const PPS_Ops *ops)
{
    current = ops ? ops : &PPS_Rfc2783Ops;
}

const PPS_Ops *PPS_GetOps(void)
{
    return current;
}

/* Prefix the implementation's reason with the path. */
static void with_path(char *err, size_t err_len, const char *path, const char *reason)
{
    if (err && err_len)
        snprintf(err, err_len, "%s: %s", path, reason);
}

PPS_Source PPS_Open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    char reason[200] = "";
    void *handle = current->open(path, edge, reason, sizeof reason);

    if (!handle) {
        with_path(err, err_len, path, reason[0] ? reason : "cannot open");
        return NULL;
    }
    PPS_Source src = MEM_New(struct PPS_Source_Record);
    src->ops = current;
    src->handle = handle;
    src->path = MEM_Strdup(path);
    return src;
}

int PPS_Fetch(PPS_Source src, PPS_Event *ev, char *err, size_t err_len)
{
    char reason[200] = "";

    if (src->ops->fetch(src->handle, ev, reason, sizeof reason) < 0) {
        with_path(err, err_len, src->path, reason[0] ? reason : "fetch failed");
        return -1;
    }
    return 0;
}

void PPS_Close(PPS_Source src)
{
    if (!src)
        return;
    src->ops->close(src->handle);
    free(src->path);
    free(src);
}
