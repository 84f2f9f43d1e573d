/* textfile — see textfile.h. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

void TXT_Free(char *text, size_t len, int secret)
{
    if (text && secret)
        OPENSSL_cleanse(text, len);
    free(text);
}

int TXT_ReadFile(const char *path, size_t max, int secret, char **out, size_t *out_len)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    int fd, saved = 0;

    *out = NULL;
    *out_len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    for (;;) {
        ssize_t n;

        if (len > max) {
            saved = EFBIG;
            break;
        }
        if (cap - len < 4096) {
            /* Grow by copy (not realloc) so a secret's old buffer can be
               wiped; one octet beyond `max` tells "at the limit" from
               "over". */
            size_t ncap = cap ? cap * 2 : 8192;
            char *ntext;
            if (ncap > max + 1)
                ncap = max + 1 > cap ? max + 1 : cap + 4096;
            ntext = MEM_Malloc(ncap);
            if (len)
                memcpy(ntext, text, len);
            TXT_Free(text, cap, secret);
            text = ntext;
            cap = ncap;
        }
        n = read(fd, text + len, cap - len);
        if (n > 0) {
            len += (size_t)n;
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            saved = errno;
            break;
        }
    }
    close(fd);
    if (!saved && len > max)
        saved = EFBIG;
    if (saved) {
        TXT_Free(text, cap, secret);
        return saved;
    }
    *out = text;
    *out_len = len;
    return 0;
}

int TXT_NextLine(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
    if (*pos >= len)
        return 0;
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;

    *pos += n + (nl ? 1 : 0);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    *line = s;
    *line_len = n;
    return 1;
}

static int verror(char *err, size_t errlen, const char *prefix, const char *fmt, va_list ap)
{
    int n;

    if (!err || errlen == 0)
        return -1;
    n = snprintf(err, errlen, "%s", prefix);
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    return -1;
}

int TXT_VError(char *err, size_t errlen, const char *fmt, va_list ap)
{
    return verror(err, errlen, "", fmt, ap);
}

int TXT_VErrorAt(char *err, size_t errlen, const char *name, unsigned line, const char *fmt,
                 va_list ap)
{
    char prefix[4096 + 32];

    snprintf(prefix, sizeof prefix, "%s:%u: ", name, line);
    return verror(err, errlen, prefix, fmt, ap);
}

int TXT_Error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    TXT_VError(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int TXT_ErrorAt(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    TXT_VErrorAt(err, errlen, name, line, fmt, ap);
    va_end(ap);
    return -1;
}
