/*
 * ntp_shmwriter — a test writer for the NTP shared-memory protocol (what
 * gpsd does): every INTERVAL s it writes a sample into the SHM segment of
 * UNIT whose reference time is the system clock plus OFFSET s plus noise
 * and whose receive time is the system clock, so a reader sees a reference
 * OFFSET s ahead of its clock. It never changes any clock.
 *
 *   ntp_shmwriter -u UNIT [-m 0|1] [-o OFFSET_S] [-j JITTER_S] [-i INTERVAL_S]
 *                 [-n COUNT] [-l LEAP] [-p PRECISION] [-P] [-r] [-q]
 *
 *   -m  protocol mode (default 1: count bumped around every update)
 *   -j  standard deviation of Gaussian noise added to the reference, s
 *   -n  stop after COUNT samples (default: until SIGTERM/SIGINT)
 *   -l  leap indicator written (0..3, default 0)
 *   -p  precision written, log2 s (default -20)
 *   -P  create the segment private (0600) even for units >= 2
 *   -r  remove the segment (IPC_RMID) at exit, as a writer that cleans up
 *   -q  no line per sample
 *
 * Exit status: 0 done, 1 the segment could not be attached, 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "shmtime.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Standard normal deviate (Box-Muller). */
static double gauss(void)
{
    double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = (rand() + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static struct timespec add_seconds(struct timespec t, double s)
{
    double whole = floor(s);
    long ns = t.tv_nsec + lround((s - whole) * 1e9);
    t.tv_sec += (time_t)whole;
    while (ns >= 1000000000L) {
        ns -= 1000000000L;
        t.tv_sec++;
    }
    t.tv_nsec = ns;
    return t;
}

static void usage(void)
{
    fprintf(stderr, "usage: ntp_shmwriter -u UNIT [-m 0|1] [-o OFFSET_S] [-j JITTER_S] "
                    "[-i INTERVAL_S] [-n COUNT] [-l LEAP] [-p PRECISION] [-P] [-r] [-q]\n");
}

int main(int argc, char **argv)
{
    int unit = -1, mode = 1, leap = 0, precision = -20, private_seg = 0, remove = 0, quiet = 0;
    double offset = 0.0, jitter = 0.0, interval = 1.0;
    long count = -1;
    int c;

    while ((c = getopt(argc, argv, "u:m:o:j:i:n:l:p:Prq")) != -1) {
        switch (c) {
        case 'u': unit = atoi(optarg); break;
        case 'm': mode = atoi(optarg); break;
        case 'o': offset = atof(optarg); break;
        case 'j': jitter = atof(optarg); break;
        case 'i': interval = atof(optarg); break;
        case 'n': count = atol(optarg); break;
        case 'l': leap = atoi(optarg); break;
        case 'p': precision = atoi(optarg); break;
        case 'P': private_seg = 1; break;
        case 'r': remove = 1; break;
        case 'q': quiet = 1; break;
        default: usage(); return 2;
        }
    }
    if (unit < 0 || unit > 255 || (mode != 0 && mode != 1) || leap < 0 || leap > 3 ||
        !(interval > 0) || jitter < 0 || optind != argc) {
        usage();
        return 2;
    }

    SHM_Segment seg;
    char err[256];
    if (SHM_Attach(&seg, unit, private_seg, err, sizeof err) < 0) {
        fprintf(stderr, "ntp_shmwriter: %s\n", err);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: nanosleep returns at once */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    srand((unsigned)getpid());
    printf("ntp_shmwriter: unit %d key 0x%08x shmid %d mode %d offset %+.9f s\n", unit,
           (unsigned)seg.key, seg.shmid, mode, offset);
    fflush(stdout);

    long written = 0;
    while (!stop && (count < 0 || written < count)) {
        struct timespec local, ref;
        clock_gettime(CLOCK_REALTIME, &local);
        ref = add_seconds(local, offset + (jitter > 0 ? jitter * gauss() : 0.0));
        SHM_Write(seg.seg, mode, &ref, &local, leap, precision);
        written++;
        if (!quiet) {
            printf("sample %ld ref %lld.%09ld local %lld.%09ld\n", written, (long long)ref.tv_sec,
                   ref.tv_nsec, (long long)local.tv_sec, local.tv_nsec);
            fflush(stdout);
        }
        if (count >= 0 && written >= count)
            break;
        struct timespec d = { (time_t)interval, (long)((interval - floor(interval)) * 1e9) };
        while (!stop && nanosleep(&d, &d) < 0 && errno == EINTR)
            ;
    }

    int id = seg.shmid;
    SHM_Detach(&seg);
    if (remove && shmctl(id, IPC_RMID, NULL) < 0)
        fprintf(stderr, "ntp_shmwriter: IPC_RMID: %s\n", strerror(errno));
    printf("ntp_shmwriter: %ld samples written%s\n", written, remove ? ", segment removed" : "");
    return 0;
}
