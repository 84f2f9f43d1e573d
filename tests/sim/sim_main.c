/*
 * cntpd-sim — runs the real engine (associations, filter, mitigation,
 * discipline, poll control) against simulated servers, network and local
 * clock in virtual time. See tests/sim/README.md.
 *
 *   cntpd-sim SCENARIO [--seed N] [--duration S] [-x] [--csv FILE] [-v|-d]
 *   cntpd-sim --all   [--seed N] [--seeds N] [--duration S] [-j N]
 *   cntpd-sim --check [SCENARIO] [--seed N] [--seeds N] [--duration S] [-j N]
 *   cntpd-sim --list | --selftest
 *
 * Every run happens in a child process: the engine keeps process-wide
 * state (association ids, system variables, counters), so a fresh process
 * per run keeps runs independent and lets --all use both cores.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "sim_report.h"
#include "sim_run.h"
#include "sim_scenario.h"
#include "sim_selftest.h"

/* Defined in main.c for the daemon; the simulator sets it per run. */
OPT_Options OPT;

#define DEFAULT_DURATION 40000.0
#define MAX_SEEDS 100

typedef struct {
    const SIM_Scenario *sc;
    SIM_RunOptions opts;
    SIM_Result res;
    char csv[512];
    pid_t pid;
    int fd;
    double wall;             /* s of real time the run took */
    struct timespec started;
} Job;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cntpd-sim SCENARIO [--seed N] [--duration S] [-x] [--csv FILE] [-v|-d]\n"
            "       cntpd-sim --all   [--seed N] [--seeds N] [--duration S] [--csv PREFIX]\n"
            "       cntpd-sim --check [SCENARIO] [--seed N] [--seeds N] [--duration S]\n"
            "       cntpd-sim --list | --selftest\n"
            "  --seed N       seed of every random process (default 1)\n"
            "  --seeds N      run each scenario with N seeds from --seed on\n"
            "  --duration S   simulated seconds (default: the scenario's, mostly 40000)\n"
            "  -x             slew only (as cntpd -x); vm-bumps -x is vm-bumps-x\n"
            "  --csv FILE     per-second samples (several runs: FILE-SCENARIO-SEED.csv)\n"
            "  -j N           runs in parallel (default: online CPUs)\n"
            "  --no-fork      run in this process (one scenario; for gdb)\n"
            "  --selftest     check the simulator's own parts and exit\n"
            "  -v, -d         engine log (and debug) lines on stderr\n");
}

static double since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void start_job(Job *j)
{
    int p[2];

    clock_gettime(CLOCK_MONOTONIC, &j->started);
    if (pipe(p) < 0) {
        perror("cntpd-sim: pipe");
        exit(2);
    }
    fflush(NULL);
    j->pid = fork();
    if (j->pid < 0) {
        perror("cntpd-sim: fork");
        exit(2);
    }
    if (j->pid == 0) {
        close(p[0]);
        SIM_Run(j->sc, &j->opts, &j->res);
        const char *at = (const char *)&j->res;
        size_t left = sizeof j->res;
        while (left > 0) {
            ssize_t n = write(p[1], at, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                _exit(1);
            at += n;
            left -= (size_t)n;
        }
        _exit(0);
    }
    close(p[1]);
    j->fd = p[0];
}

/* Read the child's result; a child that died leaves a failed result. */
static void finish_job(Job *j, int status)
{
    char *at = (char *)&j->res;
    size_t got = 0;

    while (got < sizeof j->res) {
        ssize_t n = read(j->fd, at + got, sizeof j->res - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(j->fd);
    j->wall = since(&j->started);
    if (got != sizeof j->res) {
        memset(&j->res, 0, sizeof j->res);
        snprintf(j->res.scenario, sizeof j->res.scenario, "%s", j->sc->name);
        j->res.seed = j->opts.seed;
        if (WIFSIGNALED(status))
            snprintf(j->res.error, sizeof j->res.error, "simulation crashed (signal %d)",
                     WTERMSIG(status));
        else
            snprintf(j->res.error, sizeof j->res.error, "simulation exited with status %d",
                     WEXITSTATUS(status));
    }
}

static void run_jobs(Job *jobs, int n, int parallel)
{
    int next = 0, running = 0;

    while (next < n || running > 0) {
        while (next < n && running < parallel) {
            start_job(&jobs[next++]);
            running++;
        }
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            perror("cntpd-sim: wait");
            exit(2);
        }
        for (int i = 0; i < next; i++) {
            if (jobs[i].pid == pid) {
                finish_job(&jobs[i], status);
                jobs[i].pid = 0;
                running--;
            }
        }
    }
}

int main(int argc, char **argv)
{
    enum {
        OPT_SEED = 256, OPT_DURATION, OPT_CSV, OPT_ALL, OPT_CHECK, OPT_LIST, OPT_NOFORK,
        OPT_SELFTEST, OPT_SEEDS,
    };
    static const struct option longopts[] = {
        { "seed", required_argument, NULL, OPT_SEED },
        { "duration", required_argument, NULL, OPT_DURATION },
        { "csv", required_argument, NULL, OPT_CSV },
        { "all", no_argument, NULL, OPT_ALL },
        { "check", no_argument, NULL, OPT_CHECK },
        { "list", no_argument, NULL, OPT_LIST },
        { "no-fork", no_argument, NULL, OPT_NOFORK },
        { "selftest", no_argument, NULL, OPT_SELFTEST },
        { "seeds", required_argument, NULL, OPT_SEEDS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    /* Duration 0: each scenario's own (40 000 s unless it says). */
    SIM_RunOptions base = { .seed = 1, .duration = 0.0 };
    int all = 0, checking = 0, nofork = 0, seeds = 1, c;
    long parallel = sysconf(_SC_NPROCESSORS_ONLN);
    const char *csv = NULL;

    while ((c = getopt_long(argc, argv, "xvdj:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_SEED:
            base.seed = strtoull(optarg, &end, 0);
            if (*end || !*optarg) {
                fprintf(stderr, "cntpd-sim: bad seed '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_DURATION:
            base.duration = strtod(optarg, &end);
            if (*end || !(base.duration >= 10.0 && base.duration <= 1e7)) {
                fprintf(stderr, "cntpd-sim: duration must be 10..1e7 s\n");
                return 2;
            }
            break;
        case OPT_SEEDS:
            seeds = (int)strtol(optarg, &end, 10);
            if (*end || seeds < 1 || seeds > MAX_SEEDS) {
                fprintf(stderr, "cntpd-sim: --seeds takes 1..%d\n", MAX_SEEDS);
                return 2;
            }
            break;
        case OPT_CSV: csv = optarg; break;
        case OPT_ALL: all = 1; break;
        case OPT_CHECK: checking = 1; break;
        case OPT_NOFORK: nofork = 1; break;
        case OPT_SELFTEST: {
            int ok = 0, bad = SIM_SelfTest(stdout, &ok);
            printf("sim selftest: %d passed, %d failed\n", ok, bad);
            return bad ? 1 : 0;
        }
        case OPT_LIST:
            for (int i = 0; i < SIM_ScenarioCount(); i++)
                printf("%-17s %s\n", SIM_ScenarioGet(i)->name, SIM_ScenarioGet(i)->summary);
            return 0;
        case 'x': base.slew_only = 1; break;
        case 'v': base.verbose = 1; break;
        case 'd': base.debug = 1; break;
        case 'j': parallel = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (parallel < 1)
        parallel = 1;

    const SIM_Scenario *only = NULL;
    if (optind < argc) {
        if (all || optind + 1 != argc) {
            usage(stderr);
            return 2;
        }
        only = SIM_ScenarioFind(argv[optind], base.slew_only);
        if (!only) {
            fprintf(stderr, "cntpd-sim: unknown scenario '%s' (see --list)\n", argv[optind]);
            return 2;
        }
    } else if (!all && !checking) {
        usage(stderr);
        return 2;
    }

    /* Scenario by scenario, seed by seed (--seeds N: seed .. seed + N - 1). */
    int n_sc = only ? 1 : SIM_ScenarioCount();
    Job *jobs = calloc((size_t)(n_sc * seeds), sizeof *jobs);
    int n = 0;
    if (!jobs)
        return 2;
    for (int i = 0; i < n_sc; i++) {
        for (int k = 0; k < seeds; k++, n++) {
            jobs[n].sc = only ? only : SIM_ScenarioGet(i);
            jobs[n].opts = base;
            jobs[n].opts.seed = base.seed + (uint64_t)k;
            if (base.duration <= 0.0)
                jobs[n].opts.duration = jobs[n].sc->duration > 0.0 ? jobs[n].sc->duration
                                                                    : DEFAULT_DURATION;
            if (csv && (seeds > 1 || !only)) {
                snprintf(jobs[n].csv, sizeof jobs[n].csv, "%s-%s-%llu.csv", csv,
                         jobs[n].sc->name, (unsigned long long)jobs[n].opts.seed);
                jobs[n].opts.csv = jobs[n].csv;
            } else {
                jobs[n].opts.csv = csv;
            }
        }
    }

    if (nofork) {
        if (n != 1) {
            fprintf(stderr, "cntpd-sim: --no-fork runs one scenario\n");
            return 2;
        }
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        SIM_Run(jobs[0].sc, &jobs[0].opts, &jobs[0].res);
        jobs[0].wall = since(&t0);
    } else {
        run_jobs(jobs, n, (int)parallel);
    }

    int passed = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        char line[4096];
        SIM_FormatResult(&jobs[i].res, line, sizeof line);
        printf("%s%s wall=%.2fs\n", checking ? "# " : "", line, jobs[i].wall);
        if (!jobs[i].res.completed)
            failed += !checking;
    }
    if (checking) {
        /* The simulator's own parts first: a failure there voids the rest. */
        failed += SIM_SelfTest(stdout, &passed);
        for (int i = 0; i < n; i++)
            SIM_Check(&jobs[i].res, stdout, &passed, &failed);
        printf("sim: %d passed, %d failed\n", passed, failed);
    }
    free(jobs);
    return failed ? 1 : 0;
}
