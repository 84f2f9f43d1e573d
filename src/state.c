/* state — see state.h. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_MAGIC "cntpd-state 1"
#define STATE_MAX_SIZE (16 * 1024 * 1024)

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int STATE_Write(const char *path, const STATE_System *sys, const STATE_Row *rows, size_t n,
                char *err, size_t errlen)
{
    char tmp[4096], dir[4096];
    size_t cap = 128 + n * (STATE_HOST_LEN + STATE_LOCAL_LEN + 64), len = 0;
    char *text = malloc(cap);
    int fd = -1;

    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    len += (size_t)snprintf(text + len, cap - len, "%s\n", STATE_MAGIC);
    if (sys && sys->local_stratum)
        len += (size_t)snprintf(text + len, cap - len, "stratum %d\n", sys->local_stratum);
    if (sys && sys->leap)
        len += (size_t)snprintf(text + len, cap - len, "leap %+d %llu\n", sys->leap > 0 ? 1 : -1,
                                (unsigned long long)sys->leap_at);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "row %u %s %d %u %s %s\n",
                                (unsigned)rows[i].id, rows[i].active ? "active" : "suspended",
                                rows[i].mode, (unsigned)rows[i].prefer,
                                rows[i].local[0] ? rows[i].local : "-",
                                rows[i].host[0] ? rows[i].host : "-");
    len += (size_t)snprintf(text + len, cap - len, "end %zu\n", n);

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        free(text);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, text, len) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(text);
        return -1;
    }
    free(text);
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    /* The rename is durable only once the directory is synced. */
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    close(dfd);
    return 0;
}

/* A decimal number without sign or leading zeros, at most `max`; 0 or -1. */
static int parse_number(const char *w, unsigned long long max, unsigned long long *out)
{
    char *end;

    if (w[0] < '0' || w[0] > '9' || (w[0] == '0' && w[1]))
        return -1;
    errno = 0;
    *out = strtoull(w, &end, 10);
    return errno || *end || *out > max ? -1 : 0;
}

/* A `stratum` or `leap` line (before the rows); 0, or -1. */
static int parse_system(const char *line, STATE_System *sys)
{
    char w1[32], w2[32], w3[32], extra;
    unsigned long long v;

    if (sscanf(line, "stratum %31s %c", w1, &extra) == 1) {
        if (parse_number(w1, 15, &v) < 0 || v < 1 || sys->local_stratum)
            return -1;
        sys->local_stratum = (int)v;
        return 0;
    }
    if (sscanf(line, "leap %31s %31s %c", w2, w3, &extra) == 2) {
        if ((strcmp(w2, "+1") && strcmp(w2, "-1")) || sys->leap ||
            parse_number(w3, UINT64_MAX, &v) < 0 || v == 0)
            return -1;
        sys->leap = w2[0] == '+' ? 1 : -1;
        sys->leap_at = v;
        return 0;
    }
    return -1;
}

/* One `row` line, split in place into its words. */
static int parse_row(char *line, STATE_Row *r)
{
    char *w[8], *save = NULL;
    int nw = 0;

    for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (nw == 8)
            return -1;
        w[nw++] = t;
    }
    if (nw != 7 || strcmp(w[0], "row") != 0)
        return -1;
    char *end;
    errno = 0;
    unsigned long id = strtoul(w[1], &end, 10);
    if (errno || *end || w[1][0] < '1' || w[1][0] > '9' || id > 0x7fffffffUL)
        return -1;
    memset(r, 0, sizeof *r);
    r->id = (uint32_t)id;
    if (strcmp(w[2], "active") == 0)
        r->active = 1;
    else if (strcmp(w[2], "suspended") != 0)
        return -1;
    if (strcmp(w[3], "1") && strcmp(w[3], "3") && strcmp(w[3], "5"))
        return -1;
    r->mode = w[3][0] - '0';
    unsigned long long prefer;
    if (parse_number(w[4], 0x7fffffffULL, &prefer) < 0)
        return -1;
    r->prefer = (uint32_t)prefer;
    if (strlen(w[5]) >= sizeof r->local || strlen(w[6]) >= sizeof r->host)
        return -1;
    if (strcmp(w[5], "-") != 0)
        strcpy(r->local, w[5]);
    if (strcmp(w[6], "-") != 0)
        strcpy(r->host, w[6]);
    /* An active row needs somewhere to poll. */
    if (r->active && !r->host[0])
        return -1;
    return 0;
}

int STATE_Parse(const char *text, STATE_System *sys, STATE_Row **rows, size_t *n, char *err,
                size_t errlen)
{
    size_t count = 0, cap = 0;
    STATE_Row *out = NULL;
    STATE_System got = { 0 };
    const char *s = text;
    int lineno = 0, ended = 0;

    *rows = NULL;
    *n = 0;
    if (sys)
        memset(sys, 0, sizeof *sys);
    while (*s) {
        const char *nl = strchr(s, '\n');
        char line[STATE_HOST_LEN + STATE_LOCAL_LEN + 128];
        size_t len;

        lineno++;
        if (!nl) {
            snprintf(err, errlen, "line %d: no line end (file cut short)", lineno);
            goto bad;
        }
        len = (size_t)(nl - s);
        if (len >= sizeof line) {
            snprintf(err, errlen, "line %d: too long", lineno);
            goto bad;
        }
        memcpy(line, s, len);
        line[len] = '\0';
        s = nl + 1;
        if (ended) {
            snprintf(err, errlen, "line %d: text after the end line", lineno);
            goto bad;
        }
        if (lineno == 1) {
            if (strcmp(line, STATE_MAGIC) != 0) {
                snprintf(err, errlen, "line 1: not a cntpd state file (expected '%s')",
                         STATE_MAGIC);
                goto bad;
            }
            continue;
        }
        if (strncmp(line, "end ", 4) == 0) {
            char *end;
            errno = 0;
            unsigned long want = strtoul(line + 4, &end, 10);
            if (errno || *end || line[4] < '0' || line[4] > '9' || want != count) {
                snprintf(err, errlen, "line %d: end line does not match the %zu rows read",
                         lineno, count);
                goto bad;
            }
            ended = 1;
            continue;
        }
        /* System settings come before the rows, each at most once. */
        if (strncmp(line, "stratum ", 8) == 0 || strncmp(line, "leap ", 5) == 0) {
            if (count || parse_system(line, &got) < 0) {
                snprintf(err, errlen, "line %d: bad %s line", lineno,
                         line[0] == 's' ? "stratum" : "leap");
                goto bad;
            }
            continue;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            STATE_Row *grown = realloc(out, cap * sizeof *out);
            if (!grown) {
                snprintf(err, errlen, "out of memory");
                goto bad;
            }
            out = grown;
        }
        if (parse_row(line, &out[count]) < 0) {
            snprintf(err, errlen, "line %d: bad row", lineno);
            goto bad;
        }
        for (size_t i = 0; i < count; i++) {
            if (out[i].id == out[count].id) {
                snprintf(err, errlen, "line %d: AssocId %u twice", lineno,
                         (unsigned)out[count].id);
                goto bad;
            }
        }
        count++;
    }
    if (!ended) {
        snprintf(err, errlen, lineno ? "no end line (file cut short)" : "empty file");
        goto bad;
    }
    *rows = out;
    *n = count;
    if (sys)
        *sys = got;
    return 0;
bad:
    free(out);
    return -1;
}

int STATE_Read(const char *path, STATE_System *sys, STATE_Row **rows, size_t *n, char *err,
               size_t errlen)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *rows = NULL;
    *n = 0;
    if (sys)
        memset(sys, 0, sizeof *sys);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -2;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *grown = cap <= STATE_MAX_SIZE ? realloc(text, cap + 1) : NULL;
            if (!grown) {
                snprintf(err, errlen, "%s: too large", path);
                free(text);
                close(fd);
                goto corrupt_noparse;
            }
            text = grown;
        }
        ssize_t r = read(fd, text + len, cap - len);
        if (r > 0) {
            len += (size_t)r;
        } else if (r == 0) {
            break;
        } else if (errno != EINTR) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            free(text);
            close(fd);
            return -2;
        }
    }
    close(fd);
    text[len] = '\0';
    char why[256];
    if (memchr(text, '\0', len)) {
        snprintf(why, sizeof why, "NUL byte in the file");
    } else if (STATE_Parse(text, sys, rows, n, why, sizeof why) == 0) {
        free(text);
        return 1;
    }
    free(text);
    snprintf(err, errlen, "%s", why);
corrupt_noparse:;
    /* Never silently dropped: keep it for the operator to look at. */
    char aside[4096], msg[512];
    snprintf(msg, sizeof msg, "%s", err);
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    if (rename(path, aside) == 0)
        snprintf(err, errlen, "%s is corrupt (%s): moved aside to %s", path, msg, aside);
    else
        snprintf(err, errlen, "%s is corrupt (%s) and cannot be moved aside: %s", path, msg,
                 strerror(errno));
    return -1;
}
