/*
 * Links: shmtime
 *
 * Unit tests for shmtime: the NTP SHM segment's handshake on a segment in
 * this process's memory (mode 0 and 1, valid cleared only when a sample was
 * taken, torn reads, ns fields used only when they agree with the µs
 * fields, bad mode, bogus, stale and unsynchronised samples), a reader
 * racing a writer thread, and attaching to real System V segments (a unit
 * in 200..254 no one uses, removed at the end: permissions, a segment of
 * the wrong size, a writer that removed and re-created the segment).
 *
 * A torn read is produced deterministically: the segment straddles a page
 * boundary before receiveTimeStampNSec, the second page is inaccessible, and the
 * SIGSEGV handler that runs when the reader reaches the last field plays a
 * writer updating the segment, then opens the page so the read goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "shmtime.h"

#define T0 1700000000   /* Unix s: "now" in the tests */

static const struct timespec NOW = { T0, 500000000 };

static struct timespec ts(time_t s, long ns)
{
    struct timespec t = { s, ns };
    return t;
}

/* A segment image as a writer leaves it: reference `ref`, received at
   `local`, µs fields truncated from the ns ones. */
static SHM_Time image(int mode, struct timespec ref, struct timespec local, int leap)
{
    SHM_Time t;
    memset(&t, 0, sizeof t);
    t.mode = mode;
    t.count = 10;
    t.clockTimeStampSec = ref.tv_sec;
    t.clockTimeStampUSec = (int)(ref.tv_nsec / 1000);
    t.clockTimeStampNSec = (unsigned)ref.tv_nsec;
    t.receiveTimeStampSec = local.tv_sec;
    t.receiveTimeStampUSec = (int)(local.tv_nsec / 1000);
    t.receiveTimeStampNSec = (unsigned)local.tv_nsec;
    t.leap = leap;
    t.precision = -20;
    t.valid = 1;
    return t;
}

static SHM_Status decode(const SHM_Time *t, SHM_Sample *out)
{
    return SHM_Decode(t, t->count, t->count, 1, &NOW, SHM_DEFAULT_MAX_DELTA, out);
}

static void test_layout(void **state)
{
    (void)state;
    /* The offsets every implementation uses on 64-bit Linux. */
    assert_int_equal(offsetof(SHM_Time, count), 4);
    assert_int_equal(offsetof(SHM_Time, clockTimeStampSec), 8);
    assert_int_equal(offsetof(SHM_Time, clockTimeStampUSec), 16);
    assert_int_equal(offsetof(SHM_Time, receiveTimeStampSec), 24);
    assert_int_equal(offsetof(SHM_Time, receiveTimeStampUSec), 32);
    assert_int_equal(offsetof(SHM_Time, leap), 36);
    assert_int_equal(offsetof(SHM_Time, precision), 40);
    assert_int_equal(offsetof(SHM_Time, nsamples), 44);
    assert_int_equal(offsetof(SHM_Time, valid), 48);
    assert_int_equal(offsetof(SHM_Time, clockTimeStampNSec), 52);
    assert_int_equal(offsetof(SHM_Time, receiveTimeStampNSec), 56);
    assert_int_equal(offsetof(SHM_Time, dummy), 60);
    assert_int_equal(sizeof(SHM_Time), 96);
}

/* Both modes: the sample comes back exactly (ns fields), valid is cleared,
   the next read finds nothing. */
static void read_mode(int mode)
{
    SHM_Time seg;
    SHM_Sample s;
    memset(&seg, 0, sizeof seg);
    assert_int_equal(SHM_Read(&seg, &NOW, 0, &s), SHM_NOT_READY);

    struct timespec ref = ts(T0, 123456789), local = ts(T0, 100000001);
    SHM_Write(&seg, mode, &ref, &local, 1, -18);
    assert_int_equal(seg.valid, 1);
    assert_int_equal(seg.count, mode == 1 ? 2 : 0);
    assert_int_equal(SHM_Read(&seg, &NOW, SHM_DEFAULT_MAX_DELTA, &s), SHM_OK);
    assert_int_equal(seg.valid, 0);
    assert_int_equal(s.mode, mode);
    assert_int_equal(s.ref.tv_sec, T0);
    assert_int_equal(s.ref.tv_nsec, 123456789);
    assert_int_equal(s.local.tv_sec, T0);
    assert_int_equal(s.local.tv_nsec, 100000001);
    assert_int_equal(s.leap, 1);
    assert_int_equal(s.precision, -18);
    assert_int_equal(s.used_ns, 1);
    assert_int_equal(SHM_Read(&seg, &NOW, SHM_DEFAULT_MAX_DELTA, &s), SHM_NOT_READY);
}

static void test_mode0(void **state)
{
    (void)state;
    read_mode(0);
}

static void test_mode1(void **state)
{
    (void)state;
    read_mode(1);
}

static void test_torn_decode(void **state)
{
    (void)state;
    SHM_Time t = image(1, ts(T0, 0), ts(T0, 0), 0);
    SHM_Sample s;
    assert_int_equal(SHM_Decode(&t, 10, 10, 1, &NOW, 0, &s), SHM_OK);
    /* count moved while copying */
    assert_int_equal(SHM_Decode(&t, 10, 11, 1, &NOW, 0, &s), SHM_TORN);
    assert_int_equal(SHM_Decode(&t, 10, 12, 1, &NOW, 0, &s), SHM_TORN);
    /* the writer cleared valid: it was starting an update */
    assert_int_equal(SHM_Decode(&t, 10, 10, 0, &NOW, 0, &s), SHM_TORN);
    /* the check comes first: a torn copy's mode may be anything */
    t.mode = 7;
    assert_int_equal(SHM_Decode(&t, 10, 11, 1, &NOW, 0, &s), SHM_TORN);
}

/* ---- A writer interrupting the reader mid-copy (see the header). ---- */

static volatile SHM_Time *torn_seg;
static char *torn_page2;
static size_t page_size;
static int torn_full;            /* 1: the handler completes its update */
static volatile sig_atomic_t torn_faults;

static void torn_handler(int sig)
{
    (void)sig;
    torn_faults++;
    mprotect(torn_page2, page_size, PROT_READ | PROT_WRITE);
    /* What a writer does (SHM_Write's order), all or only the start. */
    torn_seg->valid = 0;
    torn_seg->count++;
    torn_seg->clockTimeStampSec = T0 + 1;
    torn_seg->clockTimeStampUSec = 0;
    torn_seg->clockTimeStampNSec = 0;
    torn_seg->receiveTimeStampSec = T0 + 1;
    torn_seg->receiveTimeStampUSec = 0;
    torn_seg->receiveTimeStampNSec = 0;
    if (torn_full) {
        torn_seg->count++;
        torn_seg->valid = 1;
    }
}

static void torn_read(int full)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    char *pages = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    assert_true(pages != MAP_FAILED);
    torn_page2 = pages + page_size;
    /* Everything up to clockTimeStampNSec on the first page, from
       receiveTimeStampNSec on the second: the reader checks valid and
       count, copies the first page, and faults on the last field. */
    torn_seg = (volatile SHM_Time *)(torn_page2 - offsetof(SHM_Time, receiveTimeStampNSec));
    struct timespec ref = ts(T0, 250000000), local = ts(T0, 0);
    SHM_Write(torn_seg, 1, &ref, &local, 0, -20);
    int count0 = torn_seg->count;
    torn_full = full;
    torn_faults = 0;

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = torn_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
    assert_int_equal(mprotect(torn_page2, page_size, PROT_NONE), 0);

    SHM_Sample s;
    struct timespec now = ts(T0 + 1, 500000000);
    SHM_Status st = SHM_Read(torn_seg, &now, 0, &s);
    sigaction(SIGSEGV, &old, NULL);
    assert_int_equal(torn_faults, 1);
    assert_int_equal(st, SHM_TORN);
    if (full) {
        /* valid was left set: the completed update is read next, whole */
        assert_int_equal(torn_seg->count, count0 + 2);
        assert_int_equal(torn_seg->valid, 1);
        assert_int_equal(SHM_Read(torn_seg, &now, 0, &s), SHM_OK);
        assert_int_equal(s.ref.tv_sec, T0 + 1);
        assert_int_equal(s.ref.tv_nsec, 0);
        assert_int_equal(torn_seg->valid, 0);
    } else {
        /* the writer is still at it: nothing to read until it finishes */
        assert_int_equal(SHM_Read(torn_seg, &now, 0, &s), SHM_NOT_READY);
    }
    munmap(pages, 2 * page_size);
}

static void test_torn_read_writer_finished(void **state)
{
    (void)state;
    torn_read(1);
}

static void test_torn_read_writer_busy(void **state)
{
    (void)state;
    torn_read(0);
}

/* A writer thread updating a mode-1 segment as fast as it can, a reader
   taking samples meanwhile: every sample taken must be one the writer
   wrote whole. Write n has, with k = n mod 10^6, local = T0 + k µs, reference
   local + (k mod 97) s, leap k mod 3, precision -(k mod 29): a copy mixing
   two writes breaks one of these relations. */
static atomic_int race_stop;
static SHM_Time race_seg;

static void *race_writer(void *arg)
{
    (void)arg;
    for (long n = 0; !atomic_load(&race_stop); n++) {
        long k = n % 1000000;
        struct timespec local = ts(T0, k * 1000);
        struct timespec ref = ts(T0 + k % 97, k * 1000);
        SHM_Write(&race_seg, 1, &ref, &local, (int)(k % 3), -(int)(k % 29));
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    pthread_t th;
    memset(&race_seg, 0, sizeof race_seg);
    atomic_store(&race_stop, 0);
    assert_int_equal(pthread_create(&th, NULL, race_writer, NULL), 0);
    long ok = 0, torn = 0, bad = 0, reads = 0;
    struct timespec now = ts(T0, 999999999);
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += 1;
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec > end.tv_sec || (t.tv_sec == end.tv_sec && t.tv_nsec >= end.tv_nsec))
            break;
        SHM_Sample s;
        SHM_Status st = SHM_Read(&race_seg, &now, 0, &s);
        reads++;
        if (st == SHM_TORN)
            torn++;
        if (st != SHM_OK)
            continue;
        ok++;
        long k = s.local.tv_nsec / 1000;
        if (s.local.tv_sec != T0 || s.ref.tv_nsec != s.local.tv_nsec ||
            s.ref.tv_sec - T0 != k % 97 || s.leap != k % 3 || s.precision != -(k % 29)) {
            bad++;
        }
    }
    atomic_store(&race_stop, 1);
    pthread_join(th, NULL);
    print_message("race: %ld reads, %ld samples, %ld torn reads detected\n", reads, ok, torn);
    assert_true(ok > 0);
    assert_int_equal(bad, 0);
}

static void test_ns_fields(void **state)
{
    (void)state;
    SHM_Sample s;
    SHM_Time t = image(0, ts(T0, 123456789), ts(T0, 987654321), 0);
    assert_int_equal(decode(&t, &s), SHM_OK);
    assert_int_equal(s.used_ns, 1);
    assert_int_equal(s.ref.tv_nsec, 123456789);
    assert_int_equal(s.local.tv_nsec, 987654321);

    /* an old writer: ns fields zero */
    t.clockTimeStampNSec = 0;
    t.receiveTimeStampNSec = 0;
    assert_int_equal(decode(&t, &s), SHM_OK);
    assert_int_equal(s.used_ns, 0);
    assert_int_equal(s.ref.tv_nsec, 123456000);
    assert_int_equal(s.local.tv_nsec, 987654000);

    /* one ns field disagrees by a whole µs: both µs fields used */
    t = image(1, ts(T0, 123456789), ts(T0, 987654321), 0);
    t.clockTimeStampNSec = 123457000;
    assert_int_equal(decode(&t, &s), SHM_OK);
    assert_int_equal(s.used_ns, 0);
    assert_int_equal(s.ref.tv_nsec, 123456000);
    assert_int_equal(s.local.tv_nsec, 987654000);

    /* ns below us*1000 (rounded µs, or junk) */
    t = image(1, ts(T0, 123456789), ts(T0, 987654321), 0);
    t.receiveTimeStampNSec = 987653999;
    assert_int_equal(decode(&t, &s), SHM_OK);
    assert_int_equal(s.used_ns, 0);
    assert_int_equal(s.local.tv_nsec, 987654000);

    /* exactly on the µs and the last ns of it */
    t = image(1, ts(T0, 5000), ts(T0, 5999), 0);
    assert_int_equal(decode(&t, &s), SHM_OK);
    assert_int_equal(s.used_ns, 1);
    assert_int_equal(s.ref.tv_nsec, 5000);
    assert_int_equal(s.local.tv_nsec, 5999);
}

static void test_bad_mode(void **state)
{
    (void)state;
    SHM_Time seg = image(2, ts(T0, 0), ts(T0, 0), 0);
    SHM_Sample s;
    assert_int_equal(SHM_Read(&seg, &NOW, 0, &s), SHM_BAD_MODE);
    /* taken (and counted once), not read again and again */
    assert_int_equal(seg.valid, 0);
    assert_int_equal(SHM_Read(&seg, &NOW, 0, &s), SHM_NOT_READY);
    seg = image(-1, ts(T0, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&seg, &s), SHM_BAD_MODE);
}

static void test_bogus(void **state)
{
    (void)state;
    SHM_Sample s;
    SHM_Time t;

    t = image(1, ts(T0, 0), ts(T0, 0), 0);
    t.clockTimeStampUSec = -1;
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0, 0), ts(T0, 0), 0);
    t.clockTimeStampUSec = 1000000;
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0, 0), ts(T0, 0), 0);
    t.receiveTimeStampUSec = 1000000;
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0, 0), ts(T0, 0), 0);
    t.receiveTimeStampUSec = -5;
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(0, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(-5, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0, 0), ts(T0, 0), 4);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0, 0), ts(T0, 0), -1);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);

    /* reference and receive times 4 h apart and a little: beyond ntpd's
       default limit; within it when the limit is larger, or off */
    t = image(1, ts(T0 + 14401, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    t = image(1, ts(T0 - 14401, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&t, &s), SHM_BOGUS);
    assert_int_equal(SHM_Decode(&t, 10, 10, 1, &NOW, 20000, &s), SHM_OK);
    assert_int_equal(SHM_Decode(&t, 10, 10, 1, &NOW, 0, &s), SHM_OK);
    assert_int_equal(s.ref.tv_sec, T0 - 14401);
    t = image(1, ts(T0 + 14399, 0), ts(T0, 0), 0);
    assert_int_equal(decode(&t, &s), SHM_OK);

    /* a bogus sample is taken (valid cleared) like a good one */
    SHM_Time seg = image(1, ts(T0, 0), ts(T0, 0), 0);
    seg.clockTimeStampUSec = 2000000;
    assert_int_equal(SHM_Read(&seg, &NOW, 0, &s), SHM_BOGUS);
    assert_int_equal(seg.valid, 0);
}

static void test_stale_and_unsync(void **state)
{
    (void)state;
    SHM_Sample s;
    /* NOW is T0 + 0.5 s */
    SHM_Time t = image(1, ts(T0 - 4, 600000000), ts(T0 - 4, 600000000), 0);
    assert_int_equal(decode(&t, &s), SHM_OK);          /* 4.9 s old */
    t = image(1, ts(T0 - 5, 400000000), ts(T0 - 5, 400000000), 0);
    assert_int_equal(decode(&t, &s), SHM_STALE);       /* 5.1 s old */
    t = image(1, ts(T0 + 1, 400000000), ts(T0 + 1, 400000000), 0);
    assert_int_equal(decode(&t, &s), SHM_OK);          /* 0.9 s ahead */
    t = image(1, ts(T0 + 1, 600000000), ts(T0 + 1, 600000000), 0);
    assert_int_equal(decode(&t, &s), SHM_STALE);       /* 1.1 s ahead */

    t = image(1, ts(T0, 0), ts(T0, 0), 3);
    assert_int_equal(decode(&t, &s), SHM_UNSYNC);
    for (int leap = 0; leap <= 2; leap++) {
        t = image(1, ts(T0, 0), ts(T0, 0), leap);
        assert_int_equal(decode(&t, &s), SHM_OK);
        assert_int_equal(s.leap, leap);
    }
}

/* ---- Real segments ---- */

static int test_unit = -1;

/* A unit in 200..254 with no segment: the tests create and remove it. */
static int pick_unit(void)
{
    srand((unsigned)getpid());
    for (int i = 0; i < 100; i++) {
        int u = 200 + rand() % 55;
        if (shmget((key_t)(SHM_KEY_BASE + u), 0, 0) < 0 && errno == ENOENT)
            return u;
    }
    return -1;
}

static void remove_unit(int unit)
{
    int id = shmget((key_t)(SHM_KEY_BASE + unit), 0, 0);
    if (id >= 0)
        shmctl(id, IPC_RMID, NULL);
}

static int seg_mode(int shmid)
{
    struct shmid_ds ds;
    if (shmctl(shmid, IPC_STAT, &ds) != 0)
        return -1;
    return ds.shm_perm.mode & 0777;
}

static void test_attach(void **state)
{
    (void)state;
    char err[256];
    SHM_Segment a, b;

    test_unit = pick_unit();
    assert_true(test_unit >= 0);

    /* created world-writable, a second attach finds the same segment */
    assert_int_equal(SHM_Attach(&a, test_unit, 0, err, sizeof err), 0);
    assert_int_equal(seg_mode(a.shmid), 0666);
    assert_int_equal(a.key, SHM_KEY_BASE + test_unit);
    assert_int_equal(SHM_Attach(&b, test_unit, 0, err, sizeof err), 0);
    assert_int_equal(a.shmid, b.shmid);
    struct timespec ref = ts(T0, 1000), local = ts(T0, 2000);
    SHM_Write(b.seg, 1, &ref, &local, 0, -20);
    SHM_Sample s;
    assert_int_equal(SHM_Read(a.seg, &NOW, 0, &s), SHM_OK);
    assert_int_equal(s.ref.tv_nsec, 1000);
    assert_true(SHM_IsCurrent(&a));

    /* the writer removes it and a new one appears under the key: the
       reader's is no longer current */
    shmctl(b.shmid, IPC_RMID, NULL);
    SHM_Detach(&b);
    assert_null(b.seg);
    assert_false(SHM_IsCurrent(&a));
    assert_int_equal(SHM_Attach(&b, test_unit, 0, err, sizeof err), 0);
    assert_int_not_equal(a.shmid, b.shmid);
    assert_false(SHM_IsCurrent(&a));
    assert_true(SHM_IsCurrent(&b));
    SHM_Detach(&a);
    assert_false(SHM_IsCurrent(&a));
    shmctl(b.shmid, IPC_RMID, NULL);
    SHM_Detach(&b);

    /* private on request */
    assert_int_equal(SHM_Attach(&a, test_unit, 1, err, sizeof err), 0);
    assert_int_equal(seg_mode(a.shmid), 0600);
    shmctl(a.shmid, IPC_RMID, NULL);
    SHM_Detach(&a);

    assert_int_equal(SHM_Attach(&a, 256, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(SHM_Attach(&a, -1, 0, err, sizeof err), -1);
}

static void wrong_size(size_t size)
{
    char err[256], want[64];
    SHM_Segment a;
    key_t key = (key_t)(SHM_KEY_BASE + test_unit);
    int id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    assert_true(id >= 0);
    assert_int_equal(SHM_Attach(&a, test_unit, 0, err, sizeof err), -1);
    assert_null(a.seg);
    snprintf(want, sizeof want, "has %zu bytes, expected 96", size);
    assert_non_null(strstr(err, want));
    shmctl(id, IPC_RMID, NULL);
}

static void test_attach_wrong_size(void **state)
{
    (void)state;
    if (test_unit < 0)
        test_unit = pick_unit();
    assert_true(test_unit >= 0);
    wrong_size(80);     /* smaller: shmget itself refuses */
    wrong_size(4096);   /* larger: shmget accepts it, we do not */
}

static int teardown_unit(void **state)
{
    (void)state;
    if (test_unit >= 0)
        remove_unit(test_unit);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_mode0),
        cmocka_unit_test(test_mode1),
        cmocka_unit_test(test_torn_decode),
        cmocka_unit_test(test_torn_read_writer_finished),
        cmocka_unit_test(test_torn_read_writer_busy),
        cmocka_unit_test(test_race),
        cmocka_unit_test(test_ns_fields),
        cmocka_unit_test(test_bad_mode),
        cmocka_unit_test(test_bogus),
        cmocka_unit_test(test_stale_and_unsync),
        cmocka_unit_test_teardown(test_attach, teardown_unit),
        cmocka_unit_test_teardown(test_attach_wrong_size, teardown_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
