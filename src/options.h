/*
 * options — command-line settings that other modules consult (ntpd's
 * -g, -q, -x and cntpd's monitor-only -M). Filled once by main.c.
 */
#ifndef CNTPD_OPTIONS_H
#define CNTPD_OPTIONS_H

typedef struct {
    int allow_big_first_step;   /* -g: the first adjustment may exceed panic */
    int set_once_and_exit;      /* -q */
    int slew_only;              /* -x: step threshold 600 s */
    int monitor_only;           /* -M, or no CAP_SYS_TIME */
} OPT_Options;

extern OPT_Options OPT;

#endif
