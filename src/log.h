/*
 * log — the daemon's one logger.
 *
 * Owns where messages go: syslog (daemon facility) when running in the
 * background, stderr in the foreground, or a log file (`logfile` directive)
 * that SIGHUP reopens. One line per event an operator needs; debug lines only
 * when the debug level asks for them.
 */
#ifndef CNTPD_LOG_H
#define CNTPD_LOG_H

#include <stdarg.h>

typedef enum {
    LOGS_ERR,
    LOGS_WARN,
    LOGS_INFO,
    LOGS_DEBUG,
} LOG_Severity;

/* Start logging; `to_stderr` in the foreground, else syslog. `debug` > 0
   enables LOGS_DEBUG lines. */
void LOG_Init(const char *ident, int to_stderr, int debug);
void LOG_Fini(void);

/* Send messages to `path` (appended) instead; NULL returns to the default.
   Returns 0, or -1 with errno set when the file cannot be opened. */
int LOG_SetFile(const char *path);

/* Reopen the log file after rotation (SIGHUP). */
void LOG_Reopen(void);

int LOG_DebugEnabled(void);

void LOG_Message(LOG_Severity sev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void LOG_VMessage(LOG_Severity sev, const char *fmt, va_list ap);

/* Log and exit with `status` (used for start-up and resource failures). */
void LOG_Fatal(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#define LOG(sev, ...) LOG_Message(sev, __VA_ARGS__)
#define DEBUG_LOG(...) \
    do { if (LOG_DebugEnabled()) LOG_Message(LOGS_DEBUG, __VA_ARGS__); } while (0)

#endif
