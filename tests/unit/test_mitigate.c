/*
 * Unit tests for mitigate: RFC 5905 §11.2 selection (intersection of the
 * correctness intervals, falsetickers), cluster (pruning outliers down to
 * minclock), combine (offsets weighted by 1/root distance) and the choice
 * of the system peer (prefer peer, previous system peer, maxclock).
 *
 * Peers are fakes: struct PEER_Record below holds the PEER_SelectInfo that
 * PEER_GetSelectInfo hands out and records what PEER_SetSelectStatus is
 * told. FLT_Phi (used for the distance threshold) is defined here too.
 *
 * Links: mitigate log mem
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "filter.h"
#include "mitigate.h"
#include "peer.h"

/* ---- fakes --------------------------------------------------------------- */

double FLT_Phi = FLT_DEFAULT_PHI;

struct PEER_Record {
    uint32_t id;
    PEER_SelectInfo info;
    PEER_SelStatus status;
    int status_calls;
    int info_calls;
    double info_now;      /* `now` of the last PEER_GetSelectInfo */
};

void PEER_GetSelectInfo(PEER_Instance peer, double now, PEER_SelectInfo *info)
{
    peer->info_calls++;
    peer->info_now = now;
    *info = peer->info;
}

void PEER_SetSelectStatus(PEER_Instance peer, PEER_SelStatus status)
{
    peer->status_calls++;
    peer->status = status;
}

uint32_t PEER_GetAssocId(PEER_Instance peer)
{
    return peer->id;
}

/* ---- helpers ------------------------------------------------------------- */

#define NOW 1000.0
#define POLL 6          /* sys poll, log2 s */

static void dbl_near(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s: %.17g != %.17g (eps %g)\n", expr, a, b, eps);
        _fail(file, line);
    }
}
#define assert_dbl_near(a, b, eps) dbl_near((a), (b), (eps), #a, __FILE__, __LINE__)

static void mkpeer(struct PEER_Record *p, uint32_t id, double offset, double root_distance,
                   int stratum, double jitter)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    p->status = (PEER_SelStatus)-1;
    p->info.fit = 1;
    p->info.stratum = stratum;
    p->info.offset = offset;
    p->info.jitter = jitter;
    p->info.delay = root_distance / 2;
    p->info.root_distance = root_distance;
    p->info.epoch = NOW - 10.0;
}

static void run(struct PEER_Record *recs, int n, PEER_Instance prev, SEL_Result *res)
{
    PEER_Instance peers[16];

    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        peers[i] = &recs[i];
    memset(res, 0x5a, sizeof *res);   /* SEL_Run must fill every field */
    SEL_Run(peers, n, NOW, POLL, prev, res);
}

static void set_params(int minsane, int minclock, int maxclock, double maxdist)
{
    SEL_Params p = { minsane, minclock, maxclock, maxdist };
    SEL_SetParams(&p);
}

static int setup(void **state)
{
    static const SEL_Params defaults = SEL_DEFAULT_PARAMS;

    (void)state;
    FLT_Phi = FLT_DEFAULT_PHI;
    SEL_SetParams(&defaults);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_default_params(void **state)
{
    const SEL_Params *p = SEL_GetParams();

    (void)state;
    assert_int_equal(p->minsane, 1);
    assert_int_equal(p->minclock, 3);
    assert_int_equal(p->maxclock, 10);
    assert_dbl_near(p->maxdist, 1.5, 0.0);

    set_params(2, 4, 5, 0.75);
    assert_int_equal(SEL_GetParams()->minsane, 2);
    assert_int_equal(SEL_GetParams()->minclock, 4);
    assert_int_equal(SEL_GetParams()->maxclock, 5);
    assert_dbl_near(SEL_GetParams()->maxdist, 0.75, 0.0);
}

/* One good source: system peer, its offset; system jitter = its jitter
   (no spread among survivors). */
static void test_single_source(void **state)
{
    struct PEER_Record p[1];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.0123, 0.05, 2, 0.001);
    run(p, 1, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_ptr_equal(r.sys_peer, &p[0]);
    assert_dbl_near(r.offset, 0.0123, 1e-15);
    assert_dbl_near(r.jitter, 0.001, 1e-15);
    assert_int_equal(r.survivors, 1);
    assert_int_equal(r.truechimers, 1);
    assert_int_equal(r.falsetickers, 0);
    assert_int_equal(p[0].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[0].info_calls, 1);
    assert_dbl_near(p[0].info_now, NOW, 0.0);
}

static void test_no_peers(void **state)
{
    struct PEER_Record dummy;
    PEER_Instance peers[1] = { &dummy };
    SEL_Result r;

    (void)state;
    memset(&r, 0x5a, sizeof r);
    SEL_Run(peers, 0, NOW, POLL, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(r.survivors, 0);
    assert_int_equal(r.truechimers, 0);
    assert_int_equal(r.falsetickers, 0);
}

/* Unfit (fit = 0) and too far (root distance >= maxdist + PHI * 2^poll,
   the RFC 5905 fit() threshold) are rejected and play no part. */
static void test_unfit_rejected(void **state)
{
    struct PEER_Record p[4];
    SEL_Result r;
    double limit = 1.5 + 15e-6 * 64.0;   /* 1.50096 s at poll 6 */

    (void)state;
    mkpeer(&p[0], 1, 0.0, 0.01, 1, 0.001);
    p[0].info.fit = 0;
    mkpeer(&p[1], 2, 0.0, 2.0, 1, 0.001);
    mkpeer(&p[2], 3, 0.0, limit, 1, 0.001);
    mkpeer(&p[3], 4, 0.2, 0.05, 2, 0.001);
    run(p, 4, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_ptr_equal(r.sys_peer, &p[3]);
    assert_dbl_near(r.offset, 0.2, 0.0);
    assert_int_equal(r.truechimers, 1);
    assert_int_equal(r.falsetickers, 0);
    assert_int_equal(r.survivors, 1);
    assert_int_equal(p[0].status, PEER_SEL_REJECT);
    assert_int_equal(p[1].status, PEER_SEL_REJECT);
    assert_int_equal(p[2].status, PEER_SEL_REJECT);
    assert_int_equal(p[3].status, PEER_SEL_SYSPEER);

    /* Nothing fit: not synchronised, every peer marked REJECT. */
    p[3].info.fit = 0;
    run(p, 4, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(r.truechimers, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p[i].status, PEER_SEL_REJECT);
}

/* The distance limit includes what one system poll adds (PHI * 2^poll):
   1.5005 s passes at poll 6 (limit 1.50096), fails at poll 4 (1.50024). */
static void test_distance_limit_depends_on_poll(void **state)
{
    struct PEER_Record p[1];
    PEER_Instance peers[1] = { &p[0] };
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.0, 1.5005, 1, 0.001);
    SEL_Run(peers, 1, NOW, 6, NULL, &r);
    assert_int_equal(r.synced, 1);
    SEL_Run(peers, 1, NOW, 4, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(p[0].status, PEER_SEL_REJECT);

    /* A smaller maxdist from tos. */
    set_params(1, 3, 10, 0.1);
    p[0].info.root_distance = 0.2;
    SEL_Run(peers, 1, NOW, 6, NULL, &r);
    assert_int_equal(r.synced, 0);
    p[0].info.root_distance = 0.09;
    SEL_Run(peers, 1, NOW, 6, NULL, &r);
    assert_int_equal(r.synced, 1);
}

/* Four sources, one 0.5 s off: it is the falseticker. Intervals:
   A [-0.049, 0.051], B [-0.098, 0.102], C [-0.0255, 0.0245], D [0.45, 0.55];
   with one falseticker allowed the intersection is [-0.0255, 0.0245].
   Survivors A, B, C (3 = minclock: no pruning). System peer: C (same
   stratum, smallest root distance). Combined offset, weights 1/rd = 20, 10,
   40: (20 * 0.001 + 10 * 0.002 + 40 * -0.0005) / 70 = 0.02 / 70.
   Selection jitter about C: sqrt((20 * 0.0015^2 + 10 * 0.0025^2) / 70);
   system jitter = sqrt(sel^2 + C's jitter^2). */
static void test_falseticker(void **state)
{
    struct PEER_Record p[4];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.001, 0.05, 2, 0.0003);
    mkpeer(&p[1], 2, 0.002, 0.1, 2, 0.0004);
    mkpeer(&p[2], 3, -0.0005, 0.025, 2, 0.0002);
    mkpeer(&p[3], 4, 0.5, 0.05, 2, 0.0001);
    run(p, 4, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(p[3].status, PEER_SEL_FALSETICK);
    assert_int_equal(r.falsetickers, 1);
    assert_int_equal(r.truechimers, 3);
    assert_int_equal(r.survivors, 3);
    assert_ptr_equal(r.sys_peer, &p[2]);
    assert_int_equal(p[2].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[0].status, PEER_SEL_CANDIDATE);
    assert_int_equal(p[1].status, PEER_SEL_CANDIDATE);
    assert_dbl_near(r.offset, 0.02 / 70.0, 1e-15);
    assert_dbl_near(r.offset, 2.857142857142857e-4, 1e-15);
    double sel2 = (20 * 0.0015 * 0.0015 + 10 * 0.0025 * 0.0025) / 70.0;
    assert_dbl_near(r.jitter, sqrt(sel2 + 0.0002 * 0.0002), 1e-15);
    assert_dbl_near(r.jitter, 0.0012552745857836388, 1e-15);

    /* The falseticker is found whatever the order of the list. */
    struct PEER_Record q[4] = { p[3], p[2], p[1], p[0] };
    run(q, 4, NULL, &r);
    assert_int_equal(q[0].status, PEER_SEL_FALSETICK);
    assert_ptr_equal(r.sys_peer, &q[1]);
    assert_dbl_near(r.offset, 0.02 / 70.0, 1e-15);
}

/* Two sources whose intervals do not overlap: no majority. */
static void test_no_majority(void **state)
{
    struct PEER_Record p[2];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.0, 0.01, 2, 0.001);
    mkpeer(&p[1], 2, 1.0, 0.01, 2, 0.001);
    run(p, 2, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(r.truechimers, 0);
    assert_int_equal(r.falsetickers, 2);
    assert_int_equal(p[0].status, PEER_SEL_FALSETICK);
    assert_int_equal(p[1].status, PEER_SEL_FALSETICK);

    /* Three that all disagree. */
    struct PEER_Record q[3];
    mkpeer(&q[0], 1, 0.0, 0.01, 2, 0.001);
    mkpeer(&q[1], 2, 1.0, 0.01, 2, 0.001);
    mkpeer(&q[2], 3, 2.0, 0.01, 2, 0.001);
    run(q, 3, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(r.falsetickers, 3);

    /* Two that agree outvote the third. */
    q[1].info.offset = 0.005;
    run(q, 3, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(r.truechimers, 2);
    assert_int_equal(q[2].status, PEER_SEL_FALSETICK);
    /* Equal root distances: the plain mean. */
    assert_dbl_near(r.offset, 0.0025, 1e-15);
}

/* All three intervals share [0.008, 0.010] (A 0 +- 0.01, B 0.001 +- 0.01,
   C 0.018 +- 0.01), but every midpoint lies outside it: with no
   falseticker allowed there are 3 midpoints outside > 0, so one falseticker
   is allowed and the intersection of A and B, [-0.009, 0.011], is taken.
   C's midpoint is outside that: falseticker. */
static void test_midpoints_outside_intersection(void **state)
{
    struct PEER_Record p[3];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.000, 0.01, 2, 0.001);
    mkpeer(&p[1], 2, 0.001, 0.01, 2, 0.001);
    mkpeer(&p[2], 3, 0.018, 0.01, 2, 0.001);
    run(p, 3, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(r.truechimers, 2);
    assert_int_equal(r.falsetickers, 1);
    assert_int_equal(p[2].status, PEER_SEL_FALSETICK);
    assert_dbl_near(r.offset, 0.0005, 1e-15);
}

/* minsane 2: a single truechimer is not enough. */
static void test_minsane(void **state)
{
    struct PEER_Record p[2];
    SEL_Result r;

    (void)state;
    set_params(2, 3, 10, 1.5);
    mkpeer(&p[0], 1, 0.01, 0.05, 2, 0.001);
    run(p, 1, NULL, &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(r.truechimers, 1);
    assert_int_equal(p[0].status, PEER_SEL_CANDIDATE);

    mkpeer(&p[1], 2, 0.02, 0.05, 2, 0.001);
    run(p, 2, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(r.truechimers, 2);
    assert_dbl_near(r.offset, 0.015, 1e-15);
}

/* Five truechimers (intervals of 0.3..0.5 s all overlap) with offsets
   a 0, b 0.001, c 0.002, d 0.050, e -0.040 and peer jitter 1 ms.
   Selection jitter of x: sqrt(sum_j (o_j - o_x)^2 / (n - 1)).
   Round 1 (n = 5): d 0.0619, e 0.0573, a 0.0320, ... -> d pruned.
   Round 2 (n = 4): e sqrt((0.04^2 + 0.041^2 + 0.042^2) / 3) = 0.0410 ->
   e pruned. Three left = minclock: stop. Combined over a, b, c with
   weights 1/0.3, 1/0.4, 1/0.5: 0.0065 / (47/6) = 0.039 / 47. */
static void make_cluster(struct PEER_Record *p, double jitter)
{
    mkpeer(&p[0], 1, 0.000, 0.30, 2, jitter);
    mkpeer(&p[1], 2, 0.001, 0.40, 2, jitter);
    mkpeer(&p[2], 3, 0.002, 0.50, 2, jitter);
    mkpeer(&p[3], 4, 0.050, 0.35, 2, jitter);
    mkpeer(&p[4], 5, -0.040, 0.45, 2, jitter);
}

static void test_cluster_prunes_to_minclock(void **state)
{
    struct PEER_Record p[5];
    SEL_Result r;

    (void)state;
    make_cluster(p, 0.001);
    run(p, 5, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(r.truechimers, 5);
    assert_int_equal(r.falsetickers, 0);
    assert_int_equal(r.survivors, 3);
    assert_int_equal(p[3].status, PEER_SEL_OUTLIER);
    assert_int_equal(p[4].status, PEER_SEL_OUTLIER);
    assert_int_equal(p[0].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[1].status, PEER_SEL_CANDIDATE);
    assert_int_equal(p[2].status, PEER_SEL_CANDIDATE);
    assert_dbl_near(r.offset, 0.039 / 47.0, 1e-15);

    /* minclock 4: only d goes. Weights 1/0.3, 1/0.4, 1/0.5, 1/0.45:
       osum = 0.0025 + 0.004 - 0.04/0.45, wsum = 47/6 + 1/0.45. */
    set_params(1, 4, 10, 1.5);
    make_cluster(p, 0.001);
    run(p, 5, NULL, &r);
    assert_int_equal(r.survivors, 4);
    assert_int_equal(p[3].status, PEER_SEL_OUTLIER);
    assert_int_equal(p[4].status, PEER_SEL_CANDIDATE);
    assert_dbl_near(r.offset, (0.0065 - 0.04 / 0.45) / (47.0 / 6.0 + 1 / 0.45), 1e-15);

    /* minclock 5: no pruning at all. */
    set_params(1, 5, 10, 1.5);
    make_cluster(p, 0.001);
    run(p, 5, NULL, &r);
    assert_int_equal(r.survivors, 5);
}

/* Pruning stops once the worst selection jitter is no more than the
   smallest peer jitter (here 0.1 s, above every selection jitter). */
static void test_cluster_stops_at_peer_jitter(void **state)
{
    struct PEER_Record p[5];
    SEL_Result r;

    (void)state;
    make_cluster(p, 0.1);
    run(p, 5, NULL, &r);
    assert_int_equal(r.survivors, 5);
    for (int i = 0; i < 5; i++)
        assert_true(p[i].status == PEER_SEL_CANDIDATE || p[i].status == PEER_SEL_SYSPEER);

    /* One peer with a small jitter is enough to make the others prune. */
    p[2].info.jitter = 0.001;
    run(p, 5, NULL, &r);
    assert_int_equal(r.survivors, 3);
}

/* The prefer peer is the system peer and its offset is used alone. */
static void test_prefer_peer(void **state)
{
    struct PEER_Record p[3];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.001, 0.02, 2, 0.0001);
    mkpeer(&p[1], 2, 0.002, 0.03, 2, 0.0001);
    mkpeer(&p[2], 3, 0.004, 0.08, 2, 0.0002);
    p[2].info.prefer = 1;
    run(p, 3, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_ptr_equal(r.sys_peer, &p[2]);
    assert_int_equal(p[2].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[0].status, PEER_SEL_CANDIDATE);
    assert_dbl_near(r.offset, 0.004, 0.0);

    /* Without prefer: the nearest is the system peer and the offset is the
       weighted mean (50 * 0.001 + 33.3 * 0.002 + 12.5 * 0.004) / 95.8. */
    p[2].info.prefer = 0;
    run(p, 3, NULL, &r);
    assert_ptr_equal(r.sys_peer, &p[0]);
    assert_dbl_near(r.offset, (0.001 / 0.02 + 0.002 / 0.03 + 0.004 / 0.08) /
                                  (1 / 0.02 + 1 / 0.03 + 1 / 0.08), 1e-15);
    assert_dbl_near(r.offset, 0.0017391304347826085, 1e-15);

    /* A prefer peer that is a falseticker is not chosen. */
    mkpeer(&p[2], 3, 0.5, 0.05, 2, 0.0002);
    p[2].info.prefer = 1;
    run(p, 3, NULL, &r);
    assert_int_equal(p[2].status, PEER_SEL_FALSETICK);
    assert_ptr_equal(r.sys_peer, &p[0]);
}

/* The cluster never prunes the prefer peer: in the cluster case with d
   (the worst) preferred, e then a go (a: 0.0289 > b 0.0283 > c 0.0277
   in round 2), d is the system peer and its offset is used alone. */
static void test_prefer_never_pruned(void **state)
{
    struct PEER_Record p[5];
    SEL_Result r;

    (void)state;
    make_cluster(p, 0.001);
    p[3].info.prefer = 1;
    run(p, 5, NULL, &r);
    assert_int_equal(r.survivors, 3);
    assert_int_equal(p[3].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[4].status, PEER_SEL_OUTLIER);
    assert_int_equal(p[0].status, PEER_SEL_OUTLIER);
    assert_int_equal(p[1].status, PEER_SEL_CANDIDATE);
    assert_int_equal(p[2].status, PEER_SEL_CANDIDATE);
    assert_dbl_near(r.offset, 0.050, 0.0);
}

/* The previous system peer stays when it survives at the best stratum. */
static void test_previous_sys_peer_kept(void **state)
{
    struct PEER_Record p[3];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.001, 0.02, 2, 0.0001);
    mkpeer(&p[1], 2, 0.002, 0.03, 2, 0.0001);
    mkpeer(&p[2], 3, 0.001, 0.01, 3, 0.0001);
    run(p, 3, NULL, &r);
    /* Stratum first: the stratum-3 peer loses despite its distance. */
    assert_ptr_equal(r.sys_peer, &p[0]);

    run(p, 3, &p[1], &r);
    assert_ptr_equal(r.sys_peer, &p[1]);
    assert_int_equal(p[1].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[0].status, PEER_SEL_CANDIDATE);
    /* The combined offset does not depend on the system peer. */
    assert_dbl_near(r.offset, (0.001 / 0.02 + 0.002 / 0.03 + 0.001 / 0.01) /
                                  (1 / 0.02 + 1 / 0.03 + 1 / 0.01), 1e-15);

    /* Previous system peer at a worse stratum: not kept. */
    run(p, 3, &p[2], &r);
    assert_ptr_equal(r.sys_peer, &p[0]);
    assert_int_equal(p[2].status, PEER_SEL_CANDIDATE);

    /* Previous system peer now a falseticker: not kept. */
    struct PEER_Record q[4];
    memcpy(q, p, sizeof p);
    mkpeer(&q[3], 4, 0.0015, 0.015, 2, 0.0001);
    q[1].info.offset = 0.9;
    run(q, 4, &q[1], &r);
    assert_int_equal(q[1].status, PEER_SEL_FALSETICK);
    assert_ptr_equal(r.sys_peer, &q[3]);
}

/* maxclock 2: only the two best (by stratum, then distance) go on; the
   others are EXCESS. The stratum-1 peer ranks first despite its distance. */
static void test_maxclock_excess(void **state)
{
    struct PEER_Record p[4];
    SEL_Result r;

    (void)state;
    set_params(1, 2, 2, 1.5);
    mkpeer(&p[0], 1, 0.001, 0.03, 2, 0.0001);
    mkpeer(&p[1], 2, 0.002, 0.01, 2, 0.0001);
    mkpeer(&p[2], 3, 0.003, 0.04, 1, 0.0001);
    mkpeer(&p[3], 4, 0.004, 0.02, 2, 0.0001);
    run(p, 4, NULL, &r);
    assert_int_equal(r.synced, 1);
    assert_int_equal(r.truechimers, 4);
    assert_int_equal(r.survivors, 2);
    assert_int_equal(p[0].status, PEER_SEL_EXCESS);
    assert_int_equal(p[3].status, PEER_SEL_EXCESS);
    assert_int_equal(p[2].status, PEER_SEL_SYSPEER);
    assert_int_equal(p[1].status, PEER_SEL_CANDIDATE);
    assert_ptr_equal(r.sys_peer, &p[2]);
    assert_dbl_near(r.offset, (0.003 / 0.04 + 0.002 / 0.01) / (1 / 0.04 + 1 / 0.01), 1e-15);
    assert_dbl_near(r.offset, 0.0022, 1e-15);
}

/* Every run sets a fresh status on every peer. */
static void test_status_refreshed(void **state)
{
    struct PEER_Record p[1];
    SEL_Result r;

    (void)state;
    mkpeer(&p[0], 1, 0.0, 0.05, 2, 0.001);
    run(p, 1, NULL, &r);
    assert_int_equal(p[0].status, PEER_SEL_SYSPEER);
    p[0].info.fit = 0;
    run(p, 1, &p[0], &r);
    assert_int_equal(r.synced, 0);
    assert_int_equal(p[0].status, PEER_SEL_REJECT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_default_params, setup),
        cmocka_unit_test_setup(test_single_source, setup),
        cmocka_unit_test_setup(test_no_peers, setup),
        cmocka_unit_test_setup(test_unfit_rejected, setup),
        cmocka_unit_test_setup(test_distance_limit_depends_on_poll, setup),
        cmocka_unit_test_setup(test_falseticker, setup),
        cmocka_unit_test_setup(test_no_majority, setup),
        cmocka_unit_test_setup(test_midpoints_outside_intersection, setup),
        cmocka_unit_test_setup(test_minsane, setup),
        cmocka_unit_test_setup(test_cluster_prunes_to_minclock, setup),
        cmocka_unit_test_setup(test_cluster_stops_at_peer_jitter, setup),
        cmocka_unit_test_setup(test_prefer_peer, setup),
        cmocka_unit_test_setup(test_prefer_never_pruned, setup),
        cmocka_unit_test_setup(test_previous_sys_peer_kept, setup),
        cmocka_unit_test_setup(test_maxclock_excess, setup),
        cmocka_unit_test_setup(test_status_refreshed, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
