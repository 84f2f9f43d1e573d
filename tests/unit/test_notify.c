/*
 * Unit tests for notify: which notifications the engine's events turn into
 * (status changes, high-priority and general failure/restore with the
 * right association), restores only after failures, and flap damping: at
 * most one failure and one restore per source and hold-down period, the
 * state settled at the period's end notified late, the general
 * notifications following the damped states, and the end-of-period log
 * line (flaps the NMS missed, not counting the change notified late).
 *
 * Links: agent/notify addr log mem
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define MAX_SENT 64

static NTF_Notification sent[MAX_SENT];
static size_t n_sent;

static void record(const NTF_Notification *n, void *arg)
{
    (void)arg;
    assert_true(n_sent < MAX_SENT);
    sent[n_sent++] = *n;
}

static int reach_lookup(uint32_t assoc_id, void *arg)
{
    (void)arg;
    return assoc_id == 99 ? -1 : 0x3f;
}

static int setup(void **state)
{
    (void)state;
    n_sent = 0;
    memset(sent, 0, sizeof sent);
    return 0;
}

/* The log, captured in a temporary file: what cntpd says in words. */
static char log_path[64];

static void log_capture(void)
{
    int fd;

    snprintf(log_path, sizeof log_path, "/tmp/cntpd-test_notify.XXXXXX");
    fd = mkstemp(log_path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(LOG_SetFile(log_path), 0);
}

/* The captured log so far (to free). */
static char *log_text(void)
{
    FILE *f = fopen(log_path, "r");
    char *text = calloc(1, 65536);
    size_t n;

    assert_non_null(f);
    assert_non_null(text);
    n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void log_expect(const char *fragment, int present)
{
    char *text = log_text();

    if ((strstr(text, fragment) != NULL) != present)
        fail_msg("log %s '%s':\n%s", present ? "lacks" : "has", fragment, text);
    free(text);
}

static void log_release(void)
{
    LOG_SetFile(NULL);
    unlink(log_path);
}

static EVT_Event reach_event(uint32_t assoc_id, int reachable)
{
    EVT_Event ev = {
        .type = reachable ? EVT_PEER_REACHABLE : EVT_PEER_UNREACHABLE,
        .assoc_id = assoc_id,
        .configured = 1,
        .reach = reachable ? 1 : 0,
    };
    char text[32];

    snprintf(text, sizeof text, "192.0.2.%u", (unsigned)assoc_id);
    assert_int_equal(ADDR_Parse(text, 123, &ev.addr), 0);
    return ev;
}

static void up(NTF_State *st, uint32_t id, int hp, double now)
{
    EVT_Event ev = reach_event(id, 1);
    NTF_Event(st, &ev, hp, now);
}

static void down(NTF_State *st, uint32_t id, int hp, double now)
{
    EVT_Event ev = reach_event(id, 0);
    NTF_Event(st, &ev, hp, now);
}

static void assert_sent(size_t i, NTF_Kind kind, uint32_t assoc_id)
{
    assert_true(i < n_sent);
    assert_int_equal(sent[i].kind, kind);
    assert_int_equal(sent[i].assoc_id, assoc_id);
    if (assoc_id) {
        char buf[ADDR_STRLEN], want[32];
        snprintf(want, sizeof want, "192.0.2.%u", (unsigned)assoc_id);
        assert_string_equal(ADDR_HostString(&sent[i].addr, buf, sizeof buf), want);
    }
}

static void test_status_change(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);
    EVT_Event ev = { .type = EVT_SYNC_STATUS, .status = 6 };

    (void)state;
    NTF_Event(st, &ev, 0, 1.0);
    ev.status = 3;
    NTF_Event(st, &ev, 0, 2.0);
    assert_int_equal(n_sent, 2);
    assert_int_equal(sent[0].kind, NTF_SRV_STATUS_CHANGE);
    assert_int_equal(sent[0].status, 6);
    assert_int_equal(sent[1].status, 3);
    NTF_Free(st);
}

/* Start-up: sources becoming reachable send nothing (nothing failed). */
static void test_startup_silent(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    up(st, 2, 0, 0.0);
    assert_int_equal(n_sent, 0);
    assert_true(NTF_NextDeadline(st) < 0);
    NTF_Free(st);
}

/* One source: failure -> HP failure + general failure; restore -> general
   restore (with its address) + HP restore. */
static void test_single_source(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 100.0);
    assert_int_equal(n_sent, 2);
    assert_sent(0, NTF_HP_CONN_FAILURE, 1);
    assert_sent(1, NTF_GENERAL_CONN_FAILURE, 0);
    up(st, 1, 1, 200.0);
    assert_int_equal(n_sent, 4);
    assert_sent(2, NTF_GENERAL_CONN_RESTORE, 1);
    assert_sent(3, NTF_HP_CONN_RESTORE, 1);
    NTF_Free(st);
}

/* Two sources, one high priority: the low-priority one's loss is silent
   while the other is reachable; the general failure comes with the last;
   the general restore names the first one back; the HP restore only for
   the source whose failure was sent. */
static void test_general_and_priority(void **state)
{
    NTF_State *st = NTF_New(0, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    up(st, 2, 0, 0.0);
    down(st, 2, 0, 10.0);
    assert_int_equal(n_sent, 0);
    down(st, 1, 1, 20.0);
    assert_int_equal(n_sent, 2);
    assert_sent(0, NTF_HP_CONN_FAILURE, 1);
    assert_sent(1, NTF_GENERAL_CONN_FAILURE, 0);
    up(st, 2, 0, 30.0);
    assert_int_equal(n_sent, 3);
    assert_sent(2, NTF_GENERAL_CONN_RESTORE, 2);
    up(st, 1, 1, 40.0);
    assert_int_equal(n_sent, 4);
    assert_sent(3, NTF_HP_CONN_RESTORE, 1);
    NTF_Free(st);
}

/* A new source reachable for the first time after a general failure
   restores it (it is reachable), without a HP restore of its own. */
static void test_new_source_restores_general(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 10.0);
    assert_int_equal(n_sent, 2);
    up(st, 7, 1, 20.0);
    assert_int_equal(n_sent, 3);
    assert_sent(2, NTF_GENERAL_CONN_RESTORE, 7);
    NTF_Free(st);
}

/* Non-configured (ephemeral) sources never make the general notifications. */
static void test_ephemeral_ignored_for_general(void **state)
{
    NTF_State *st = NTF_New(0, record, NULL, NULL);
    EVT_Event ev = reach_event(5, 1);

    (void)state;
    ev.configured = 0;
    NTF_Event(st, &ev, 0, 0.0);
    ev = reach_event(5, 0);
    ev.configured = 0;
    NTF_Event(st, &ev, 0, 10.0);
    assert_int_equal(n_sent, 0);
    NTF_Free(st);
}

/* Flapping inside one hold-down: one failure/restore pair, the rest
   suppressed; the period ends in the notified state: nothing more. */
static void test_flap_damped(void **state)
{
    NTF_State *st = NTF_New(300, record, reach_lookup, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 100.0);           /* period 100..400 */
    assert_int_equal(n_sent, 2);
    assert_true(NTF_NextDeadline(st) == 400.0);
    up(st, 1, 1, 170.0);             /* the period's restore */
    assert_int_equal(n_sent, 4);
    for (int i = 0; i < 3; i++) {    /* three more flaps: nothing */
        down(st, 1, 1, 240.0 + 40 * i);
        up(st, 1, 1, 260.0 + 40 * i);
    }
    assert_int_equal(n_sent, 4);
    NTF_Expire(st, 399.0);
    assert_int_equal(n_sent, 4);
    log_capture();
    NTF_Expire(st, 400.0);
    assert_int_equal(n_sent, 4);
    assert_true(NTF_NextDeadline(st) < 0);
    log_expect("association 1 (192.0.2.1): 3 flaps suppressed in the 300 s hold-down "
               "(3 failures, 3 restores not notified); reach register now 077 (00111111), "
               "reachable\n", 1);
    log_release();
    /* The next failure is notified at once (new period). */
    down(st, 1, 1, 500.0);
    assert_int_equal(n_sent, 6);
    assert_sent(4, NTF_HP_CONN_FAILURE, 1);
    assert_sent(5, NTF_GENERAL_CONN_FAILURE, 0);
    NTF_Free(st);
}

/* The period ends with the source down although the last notification
   said up: the failure is notified then, and opens the next period. */
static void test_flap_settles_down(void **state)
{
    NTF_State *st = NTF_New(300, record, reach_lookup, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 100.0);
    up(st, 1, 1, 150.0);
    down(st, 1, 1, 200.0);           /* suppressed */
    assert_int_equal(n_sent, 4);
    log_capture();
    NTF_Expire(st, 400.0);
    assert_int_equal(n_sent, 6);
    /* The NMS hears of the failure at 200 (late): no flap was hidden. */
    log_expect("association 1 (192.0.2.1): no flap suppressed in the 300 s hold-down; "
               "reach register now 077 (00111111), unreachable; notifying its last failure "
               "now (late)\n", 1);
    log_expect("1 flap", 0);
    log_release();
    assert_sent(4, NTF_HP_CONN_FAILURE, 1);
    assert_sent(5, NTF_GENERAL_CONN_FAILURE, 0);
    assert_true(NTF_NextDeadline(st) == 700.0);
    up(st, 1, 1, 450.0);             /* this period's restore */
    assert_int_equal(n_sent, 8);
    down(st, 1, 1, 500.0);
    up(st, 1, 1, 550.0);
    assert_int_equal(n_sent, 8);
    NTF_Free(st);
}

/* Down, up, then down/up/down inside the period (the 15-minute flap run's
   pattern: down and up phases of ~75 s, hold-down 300 s): the NMS misses
   one down/up pair, and hears the last failure late. The log counts one
   flap, not the failure it is about to notify. */
static void test_flap_settles_down_after_flap(void **state)
{
    NTF_State *st = NTF_New(300, record, reach_lookup, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 70.0);            /* period 70..370 */
    up(st, 1, 1, 80.0);
    assert_int_equal(n_sent, 4);
    down(st, 1, 1, 220.0);           /* suppressed (flapping) */
    up(st, 1, 1, 225.0);             /* suppressed (again) */
    down(st, 1, 1, 365.0);           /* suppressed (flapping) */
    assert_int_equal(n_sent, 4);
    log_capture();
    NTF_Expire(st, 370.0);
    assert_int_equal(n_sent, 6);
    assert_sent(4, NTF_HP_CONN_FAILURE, 1);
    assert_sent(5, NTF_GENERAL_CONN_FAILURE, 0);
    log_expect("association 1 (192.0.2.1): 1 flap suppressed in the 300 s hold-down "
               "(1 failure, 1 restore not notified); reach register now 077 (00111111), "
               "unreachable; notifying its last failure now (late)\n", 1);
    log_release();
    /* The next period (370..670) has its restore. */
    up(st, 1, 1, 375.0);
    assert_int_equal(n_sent, 8);
    assert_true(NTF_NextDeadline(st) == 670.0);
    NTF_Free(st);
}

/* A period that started with a restore (long outage, then back) allows
   one failure in it. */
static void test_restore_then_failure(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    down(st, 1, 1, 100.0);           /* period 100..400 */
    NTF_Expire(st, 400.0);
    up(st, 1, 1, 1000.0);            /* period 1000..1300 */
    assert_int_equal(n_sent, 4);
    down(st, 1, 1, 1100.0);          /* the period's failure */
    assert_int_equal(n_sent, 6);
    up(st, 1, 1, 1200.0);            /* suppressed: restore used */
    assert_int_equal(n_sent, 6);
    NTF_Expire(st, 1300.0);          /* settled up: restore now */
    assert_int_equal(n_sent, 8);
    assert_sent(6, NTF_GENERAL_CONN_RESTORE, 1);
    assert_sent(7, NTF_HP_CONN_RESTORE, 1);
    NTF_Free(st);
}

/* Hold-down 0: every change notified. */
static void test_no_damping(void **state)
{
    NTF_State *st = NTF_New(0, record, NULL, NULL);

    (void)state;
    up(st, 1, 0, 0.0);
    for (int i = 0; i < 5; i++) {
        down(st, 1, 0, 10.0 * i + 1);
        up(st, 1, 0, 10.0 * i + 2);
    }
    assert_int_equal(n_sent, 10);
    assert_true(NTF_NextDeadline(st) < 0);
    NTF_Free(st);
}

/* Repeated events of the same state are not changes. */
static void test_duplicates(void **state)
{
    NTF_State *st = NTF_New(300, record, NULL, NULL);

    (void)state;
    up(st, 1, 1, 0.0);
    up(st, 1, 1, 1.0);
    down(st, 1, 1, 2.0);
    down(st, 1, 1, 3.0);
    assert_int_equal(n_sent, 2);
    NTF_Free(st);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(NTF_KindName(NTF_SRV_STATUS_CHANGE), "ciscoNtpSrvStatusChange");
    assert_string_equal(NTF_KindName(NTF_GENERAL_CONN_RESTORE), "ciscoNtpGeneralConnRestore");
    assert_int_equal(NTF_HP_CONN_FAILURE, 2);
    assert_int_equal(NTF_GENERAL_CONN_FAILURE, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_status_change, setup),
        cmocka_unit_test_setup(test_startup_silent, setup),
        cmocka_unit_test_setup(test_single_source, setup),
        cmocka_unit_test_setup(test_general_and_priority, setup),
        cmocka_unit_test_setup(test_new_source_restores_general, setup),
        cmocka_unit_test_setup(test_ephemeral_ignored_for_general, setup),
        cmocka_unit_test_setup(test_flap_damped, setup),
        cmocka_unit_test_setup(test_flap_settles_down, setup),
        cmocka_unit_test_setup(test_flap_settles_down_after_flap, setup),
        cmocka_unit_test_setup(test_restore_then_failure, setup),
        cmocka_unit_test_setup(test_no_damping, setup),
        cmocka_unit_test_setup(test_duplicates, setup),
        cmocka_unit_test(test_kind_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
