/* sim_log — see sim_log.h. */
#include "sim_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

static int fd = -1;

int SIML_Init(void)
{
    char path[64];

    fd = memfd_create("cntpd-sim-log", 0);
    if (fd < 0)
        return -1;
    /* log.c opens the file in append mode, so truncating it after each
       drain is safe: the next line goes to the (new) end. */
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (LOG_SetFile(path) < 0) {
        close(fd);
        fd = -1;
        return -1;
    }
    return 0;
}

void SIML_Fini(void)
{
    if (fd < 0)
        return;
    LOG_SetFile(NULL);
    close(fd);
    fd = -1;
}

void SIML_Drain(double elapsed)
{
    char buf[8192];
    char line[1024];
    size_t ll = 0;
    off_t at = 0;
    ssize_t n;

    if (fd < 0)
        return;
    while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
        at += n;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (ll + 1 < sizeof line)
                    line[ll++] = buf[i];
                continue;
            }
            line[ll] = '\0';
            /* Drop log.c's wall-clock stamp: "2025-...Z severity: text". */
            const char *text = line;
            const char *sp = strchr(line, ' ');
            if (sp && sp > line && sp[-1] == 'Z')
                text = sp + 1;
            fprintf(stderr, "%12.6f %s\n", elapsed, text);
            ll = 0;
        }
    }
    if (at > 0 && ftruncate(fd, 0) < 0)
        perror("cntpd-sim: ftruncate log");
}
