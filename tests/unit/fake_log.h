/*
 * fake_log — src/log.h for unit tests that check what was logged: every
 * line is kept (each ending in '\n') instead of written, debug lines are
 * off, LOG_Fatal fails the test. Link it with ` * Links: tests/unit/fake_log`
 * in place of `log`.
 */
#ifndef CNTPD_FAKE_LOG_H
#define CNTPD_FAKE_LOG_H

/* Every line logged since the last FAKE_LogClear (cut off when full). */
const char *FAKE_LogText(void);
/* Lines logged since then (counted even when the text is full). */
unsigned FAKE_LogLines(void);
/* The newest line, without its '\n' ("" if none). */
const char *FAKE_LogLast(void);
void FAKE_LogClear(void);

#endif
