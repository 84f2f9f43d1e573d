/* log — see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int use_stderr = 1;
static int debug_level;
static FILE *log_file;
static char *log_path;
static int syslog_open;

void LOG_Init(const char *ident, int to_stderr, int debug)
{
    use_stderr = to_stderr;
    debug_level = debug;
    if (!to_stderr) {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        syslog_open = 1;
    }
}

void LOG_Fini(void)
{
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
    if (syslog_open)
        closelog();
    syslog_open = 0;
}

int LOG_SetFile(const char *path)
{
    FILE *f = NULL;

    if (path) {
        f = fopen(path, "a");
        if (!f)
            return -1;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (log_file)
        fclose(log_file);
    free(log_path);
    log_file = f;
    log_path = path ? strdup(path) : NULL;
    return 0;
}

void LOG_Reopen(void)
{
    if (!log_path)
        return;
    char *path = strdup(log_path);
    if (path && LOG_SetFile(path) < 0)
        LOG(LOGS_ERR, "cannot reopen log file %s: %s", path, strerror(errno));
    free(path);
}

int LOG_DebugEnabled(void)
{
    return debug_level > 0;
}

static const char *sev_name(LOG_Severity sev)
{
    switch (sev) {
    case LOGS_ERR: return "error";
    case LOGS_WARN: return "warning";
    case LOGS_INFO: return "info";
    case LOGS_DEBUG: return "debug";
    }
    return "?";
}

void LOG_VMessage(LOG_Severity sev, const char *fmt, va_list ap)
{
    if (sev == LOGS_DEBUG && !debug_level)
        return;

    if (log_file || use_stderr) {
        FILE *out = log_file ? log_file : stderr;
        struct timespec now;
        struct tm tm;
        char stamp[32];

        /* Wall-clock stamp for humans only; the engine never reads time here. */
        timespec_get(&now, TIME_UTC);
        gmtime_r(&now.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(out, "%s.%03ldZ %s: ", stamp, now.tv_nsec / 1000000, sev_name(sev));
        vfprintf(out, fmt, ap);
        fputc('\n', out);
        fflush(out);
        return;
    }

    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    vsyslog(prio[sev], fmt, ap);
}

void LOG_Message(LOG_Severity sev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    LOG_VMessage(sev, fmt, ap);
    va_end(ap);
}

void LOG_Fatal(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    LOG_VMessage(LOGS_ERR, fmt, ap);
    va_end(ap);
    exit(status);
}
