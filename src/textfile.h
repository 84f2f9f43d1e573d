/*
 * textfile — what the file parsers (conf, keys, leapfile) and the directive
 * parsers (access, ratelimit) share: reading a whole file with reliable
 * errors, and writing an error message into a caller's buffer, optionally
 * with the "file:line: " prefix every configuration error carries.
 */
#ifndef CNTPD_TEXTFILE_H
#define CNTPD_TEXTFILE_H

#include <stdarg.h>
#include <stddef.h>

/* Read all of `path` (read(2), not stdio: errno is reliable, e.g. EISDIR
   for a directory, and NUL bytes are kept for the parser to report).
   Returns 0 with *text (malloc'ed, not NUL-terminated, NULL when empty)
   and *len, or an errno value: EFBIG when the file is larger than `max`
   octets. With `secret`, buffers are wiped before they are freed or
   grown, so no copy of the contents is left behind (keys). */
int TXT_ReadFile(const char *path, size_t max, int secret, char **text, size_t *len);

/* Free a buffer from TXT_ReadFile, wiping it first when `secret`. */
void TXT_Free(char *text, size_t len, int secret);

/* The next line of text[0..len-1] from *pos: sets *line and *line_len
   (without the '\n', and without a '\r' before it) and advances *pos;
   returns 0 at the end. A last line without '\n' counts. */
int TXT_NextLine(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len);

/* Write the message into err[errlen] (truncated, never overrun; nothing
   when err is NULL or errlen 0). Both return -1, for `return TXT_Error(...)`. */
int TXT_Error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int TXT_ErrorAt(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int TXT_VError(char *err, size_t errlen, const char *fmt, va_list ap);
int TXT_VErrorAt(char *err, size_t errlen, const char *name, unsigned line, const char *fmt,
                 va_list ap);

#endif
