/* mem — see mem.h. */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static void *check(void *p)
{
    if (!p)
        LOG_Fatal(1, "out of memory");
    return p;
}

void *MEM_Malloc(size_t size)
{
    return check(malloc(size ? size : 1));
}

void *MEM_Calloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *MEM_Realloc(void *p, size_t size)
{
    return check(realloc(p, size ? size : 1));
}

char *MEM_Strdup(const char *s)
{
    return check(strdup(s));
}
