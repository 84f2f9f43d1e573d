/*
 * main — cntpd's entry point: options, configuration, daemonising, pid
 * file, module start-up in dependency order, the event loop, and shutdown
 * in reverse order. Exit status 2 for any configuration or usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "conf.h"
#include "counters.h"
#include "engine.h"
#include "log.h"
#include "options.h"
#include "sched.h"
#include "sched_ev.h"

#define DEFAULT_CONFIG "/etc/cntpd.conf"
#define EXIT_CONFIG 2

OPT_Options OPT;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cntpd [-c FILE] [-n] [-d] [-p PIDFILE] [-q] [-g] [-x] [-M] [-t]\n"
            "  -c FILE     configuration file (default " DEFAULT_CONFIG ")\n"
            "  -n          stay in the foreground, log to stderr\n"
            "  -d          debug messages (implies -n)\n"
            "  -p PIDFILE  write the process id to PIDFILE\n"
            "  -q          set the clock once and exit\n"
            "  -g          allow the first adjustment to exceed the panic threshold\n"
            "  -x          slew only: step threshold 600 s\n"
            "  -M          monitor only: measure, select and serve, never adjust the clock\n"
            "  -t          check the configuration and exit\n"
            "  -V          print the version and exit\n");
}

static void on_signal(int signo, void *arg)
{
    (void)arg;
    switch (signo) {
    case SIGTERM:
    case SIGINT:
        LOG(LOGS_INFO, "signal %d: shutting down", signo);
        SCH_Quit();
        break;
    case SIGHUP:
        LOG_Reopen();
        LOG(LOGS_INFO, "SIGHUP: log reopened");
        break;
    case SIGUSR1:
        ENG_LogStatus();
        break;
    }
}

static void daemonise(void)
{
    pid_t pid = fork();

    if (pid < 0)
        LOG_Fatal(1, "fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        LOG_Fatal(1, "setsid: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        LOG_Fatal(1, "fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0)
        LOG_Fatal(1, "chdir /: %s", strerror(errno));
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
}

static void write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f)
        LOG_Fatal(1, "cannot write pid file %s: %s", path, strerror(errno));
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0)
        LOG_Fatal(1, "cannot write pid file %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *config_path = DEFAULT_CONFIG;
    const char *pidfile = NULL;
    int foreground = 0, debug = 0, check_only = 0;
    int c;

    while ((c = getopt(argc, argv, "c:ndp:qgxMtVh")) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'n': foreground = 1; break;
        case 'd': debug++; foreground = 1; break;
        case 'p': pidfile = optarg; break;
        case 'q': OPT.set_once_and_exit = 1; break;
        case 'g': OPT.allow_big_first_step = 1; break;
        case 'x': OPT.slew_only = 1; break;
        case 'M': OPT.monitor_only = 1; break;
        case 't': check_only = 1; break;
        case 'V': printf("cntpd " CNTPD_VERSION "\n"); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_CONFIG;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "cntpd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_CONFIG;
    }

    CNF_Config cfg;
    char err[1024];
    if (CNF_ParseFile(config_path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_CONFIG;
    }
    for (size_t i = 0; i < cfg.n_warnings; i++)
        fprintf(stderr, "%s\n", cfg.warnings[i]);
    if (ENG_CheckConfig(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        CNF_Free(&cfg);
        return EXIT_CONFIG;
    }
    if (check_only) {
        printf("%s: configuration OK (%zu associations)\n", config_path, cfg.n_assocs);
        CNF_Free(&cfg);
        return 0;
    }

    if (OPT.set_once_and_exit)
        foreground = 1;
    if (!foreground)
        daemonise();
    LOG_Init("cntpd", foreground, debug);
    if (cfg.logfile && LOG_SetFile(cfg.logfile) < 0)
        LOG_Fatal(1, "cannot open log file %s: %s", cfg.logfile, strerror(errno));
    if (pidfile)
        write_pidfile(pidfile);

    LOG(LOGS_INFO, "cntpd " CNTPD_VERSION " starting (config %s)", config_path);

    const CLK_Driver *driver = &CLK_SystemDriver;
    if (OPT.monitor_only) {
        driver = &CLK_ReadOnlyDriver;
        LOG(LOGS_INFO, "monitor-only (-M): the clock is never adjusted");
    } else if (!CLK_SysHaveCapability()) {
        driver = &CLK_ReadOnlyDriver;
        OPT.monitor_only = 1;
        LOG(LOGS_WARN, "no CAP_SYS_TIME: running monitor-only (measuring, selecting and "
                       "serving; the clock is never adjusted)");
    }

    signal(SIGPIPE, SIG_IGN);
    SCH_Init();
    CLK_Init(driver);
    CLK_SysWatchSteps();
    SCH_AddSignalHandler(SIGTERM, on_signal, NULL);
    SCH_AddSignalHandler(SIGINT, on_signal, NULL);
    SCH_AddSignalHandler(SIGHUP, on_signal, NULL);
    SCH_AddSignalHandler(SIGUSR1, on_signal, NULL);

    if (ENG_Init(&cfg) < 0)
        LOG_Fatal(1, "cannot open the NTP port %u", cfg.port);
    if (AGT_Init(&cfg) < 0)
        LOG_Fatal(1, "cannot start the SNMP subagent");
    LOG(LOGS_INFO, "event loop: libevent %s backend, clock precision 2^%d s",
        SCH_BackendName(), CLK_GetPrecisionLog2());

    int rc = SCH_Run();
    if (rc == 0)
        rc = ENG_ExitStatus();

    ENG_LogStatus();
    AGT_Fini();
    ENG_Fini();
    CLK_SysUnwatchSteps();
    CLK_Fini();
    SCH_Fini();
    if (pidfile)
        unlink(pidfile);
    LOG(LOGS_INFO, "cntpd stopped");
    LOG_Fini();
    CNF_Free(&cfg);
    return rc != 0 ? 1 : 0;
}
