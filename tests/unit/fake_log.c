/* fake_log — see fake_log.h. */
#include "fake_log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static char text[8192];
static char last[1024];
static unsigned lines;

void LOG_VMessage(LOG_Severity sev, const char *fmt, va_list ap)
{
    size_t n = strlen(text);

    (void)sev;
    vsnprintf(last, sizeof last, fmt, ap);
    lines++;
    if (n + strlen(last) + 2 <= sizeof text) {
        memcpy(text + n, last, strlen(last));
        text[n + strlen(last)] = '\n';
        text[n + strlen(last) + 1] = '\0';
    }
}

void LOG_Message(LOG_Severity sev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    LOG_VMessage(sev, fmt, ap);
    va_end(ap);
}

int LOG_DebugEnabled(void)
{
    return 0;
}

void LOG_Fatal(int status, const char *fmt, ...)
{
    (void)status, (void)fmt;
    fail_msg("LOG_Fatal");
    abort();
}

const char *FAKE_LogText(void)
{
    return text;
}

unsigned FAKE_LogLines(void)
{
    return lines;
}

const char *FAKE_LogLast(void)
{
    return last;
}

void FAKE_LogClear(void)
{
    text[0] = '\0';
    last[0] = '\0';
    lines = 0;
}
