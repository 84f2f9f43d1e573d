/*
 * mem — allocation that aborts on exhaustion, so callers need no NULL checks
 * (as chrony's Malloc). Out of memory in a time daemon is not recoverable.
 */
#ifndef CNTPD_MEM_H
#define CNTPD_MEM_H

#include <stddef.h>

void *MEM_Malloc(size_t size);
void *MEM_Calloc(size_t n, size_t size);
void *MEM_Realloc(void *p, size_t size);
char *MEM_Strdup(const char *s);

#define MEM_New(T) ((T *)MEM_Calloc(1, sizeof(T)))

#endif
