/* mitigate — see mitigate.h. After RFC 5905 §A.5.5.1–A.5.5.5 (clock_select,
   clock_combine) with ntpd's prefer-peer handling. */
#include "mitigate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "mem.h"

static SEL_Params params = SEL_DEFAULT_PARAMS;

void SEL_SetParams(const SEL_Params *p)
{
    params = *p;
}

const SEL_Params *SEL_GetParams(void)
{
    return &params;
}

typedef struct {
    double edge;
    int type;      /* -1 lower end, 0 midpoint, +1 upper end */
} Endpoint;

typedef struct {
    PEER_Instance peer;
    PEER_SelectInfo info;
    double metric;         /* cluster sort key: stratum first, then distance */
    double sel_jitter;     /* selection jitter against the other survivors */
} Candidate;

static int by_edge(const void *a, const void *b)
{
    const Endpoint *x = a, *y = b;
    if (x->edge != y->edge)
        return x->edge < y->edge ? -1 : 1;
    /* Ties: lower ends before midpoints before upper ends, so touching
       intervals still intersect. */
    return x->type - y->type;
}

static int by_metric(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    return (x->metric > y->metric) - (x->metric < y->metric);
}

void SEL_Run(PEER_Instance *peers, int n, double now, int sys_poll,
             PEER_Instance prev_sys_peer, SEL_Result *res)
{
    Candidate *cand = MEM_Calloc((size_t)n, sizeof *cand);
    Endpoint *ep = MEM_Calloc((size_t)n * 3, sizeof *ep);
    int nc = 0;
    /* A peer farther than maxdist (plus what one poll adds) cannot bound
       the true time usefully. */
    double maxdist = params.maxdist + FLT_PHI * ldexp(1.0, sys_poll);

    memset(res, 0, sizeof *res);

    /* The LOCAL clock is a last resort (ntpd's local driver, a router's
       `ntp master`): it takes part only when no other source is fit. */
    PEER_SelectInfo *infos = MEM_Calloc((size_t)n, sizeof *infos);
    int others_fit = 0;
    for (int i = 0; i < n; i++) {
        PEER_GetSelectInfo(peers[i], now, &infos[i]);
        if (infos[i].fit && infos[i].root_distance < maxdist && !infos[i].last_resort)
            others_fit = 1;
    }

    for (int i = 0; i < n; i++) {
        PEER_SelectInfo info = infos[i];
        PEER_SetSelectStatus(peers[i], PEER_SEL_REJECT);
        if (info.last_resort && others_fit)
            continue;
        if (!info.fit || info.root_distance >= maxdist) {
            DEBUG_LOG("selection: association %u unfit (fit %d, stratum %d, leap %d, "
                      "root distance %.6f s, limit %.6f s)", PEER_GetAssocId(peers[i]),
                      info.fit, info.stratum, info.leap, info.root_distance, maxdist);
            continue;
        }
        cand[nc].peer = peers[i];
        cand[nc].info = info;
        ep[3 * nc] = (Endpoint){ info.offset - info.root_distance, -1 };
        ep[3 * nc + 1] = (Endpoint){ info.offset, 0 };
        ep[3 * nc + 2] = (Endpoint){ info.offset + info.root_distance, +1 };
        nc++;
    }

    /* Intersection: find the smallest number of falsetickers `allow` for
       which some interval lies in at least nc - allow correctness
       intervals and contains at most `allow` midpoints outside it (Marzullo, as modified in RFC 5905). */
    double low = 0, high = 0;
    int allow, ok = 0;
    int ne = 3 * nc;
    qsort(ep, (size_t)ne, sizeof *ep, by_edge);
    for (allow = 0; 2 * allow < nc; allow++) {
        int found = 0, chime = 0;
        low = INFINITY;
        high = -INFINITY;
        for (int i = 0; i < ne; i++) {
            chime -= ep[i].type;
            if (chime >= nc - allow) {
                low = ep[i].edge;
                break;
            }
            if (ep[i].type == 0)
                found++;
        }
        chime = 0;
        for (int i = ne - 1; i >= 0; i--) {
            chime += ep[i].type;
            if (chime >= nc - allow) {
                high = ep[i].edge;
                break;
            }
            if (ep[i].type == 0)
                found++;
        }
        /* More midpoints outside the interval than falsetickers allowed:
           try with one more falseticker. */
        if (found > allow)
            continue;
        if (high >= low) {
            ok = 1;
            break;
        }
    }

    if (!ok || nc == 0) {
        res->falsetickers = nc;
        for (int i = 0; i < nc; i++)
            PEER_SetSelectStatus(cand[i].peer, PEER_SEL_FALSETICK);
        goto out;
    }

    /* Truechimers: candidates whose offset (interval midpoint) lies in the
       intersection (RFC 5905 clock_select). */
    int ns = 0;
    for (int i = 0; i < nc; i++) {
        const PEER_SelectInfo *in = &cand[i].info;
        if (in->offset < low || in->offset > high) {
            PEER_SetSelectStatus(cand[i].peer, PEER_SEL_FALSETICK);
            res->falsetickers++;
            continue;
        }
        cand[ns] = cand[i];
        /* Lower stratum first; within a stratum, the shorter distance. A
           stratum is worth maxdist (RFC 5905). */
        cand[ns].metric = params.maxdist * cand[ns].info.stratum + cand[ns].info.root_distance;
        ns++;
    }
    res->truechimers = ns;
    if (ns < params.minsane) {
        for (int i = 0; i < ns; i++)
            PEER_SetSelectStatus(cand[i].peer, PEER_SEL_CANDIDATE);
        goto out;
    }

    qsort(cand, (size_t)ns, sizeof *cand, by_metric);
    if (ns > params.maxclock) {
        for (int i = params.maxclock; i < ns; i++)
            PEER_SetSelectStatus(cand[i].peer, PEER_SEL_EXCESS);
        ns = params.maxclock;
    }

    /* Cluster: drop the survivor with the largest selection jitter while
       that jitter exceeds the smallest peer jitter and more than minclock
       remain. */
    for (;;) {
        int worst = 0;
        double min_peer_jitter = INFINITY;
        for (int i = 0; i < ns; i++) {
            double sum = 0;
            for (int j = 0; j < ns; j++) {
                double d = cand[j].info.offset - cand[i].info.offset;
                sum += d * d;
            }
            cand[i].sel_jitter = ns > 1 ? sqrt(sum / (ns - 1)) : 0.0;
            /* Ties go to the later (worse-metric) survivor. */
            if (cand[i].sel_jitter >= cand[worst].sel_jitter)
                worst = i;
            if (cand[i].info.jitter < min_peer_jitter)
                min_peer_jitter = cand[i].info.jitter;
        }
        if (cand[worst].sel_jitter <= min_peer_jitter || ns <= params.minclock)
            break;
        /* Never prune the prefer peer: the operator vouched for it. */
        if (cand[worst].info.prefer) {
            int other = -1;
            for (int i = 0; i < ns; i++)
                if (!cand[i].info.prefer &&
                    (other < 0 || cand[i].sel_jitter > cand[other].sel_jitter))
                    other = i;
            if (other < 0)
                break;
            worst = other;
        }
        PEER_SetSelectStatus(cand[worst].peer, PEER_SEL_OUTLIER);
        memmove(&cand[worst], &cand[worst + 1], (size_t)(ns - worst - 1) * sizeof *cand);
        ns--;
    }
    res->survivors = ns;

    /* System peer: a surviving prefer peer; else the previous system peer
       if it survived at the best stratum (no clockhopping between equals);
       else the first survivor. */
    int sys = 0;
    for (int i = 0; i < ns; i++) {
        if (cand[i].info.prefer) {
            sys = i;
            goto chosen;
        }
    }
    for (int i = 0; i < ns; i++) {
        if (cand[i].peer == prev_sys_peer && cand[i].info.stratum == cand[0].info.stratum) {
            sys = i;
            break;
        }
    }
chosen:;

    /* Combine: offsets weighted by 1/root distance; system jitter from the
       spread of the survivors about the system peer and its own jitter. */
    double wsum = 0, osum = 0, jsum = 0;
    for (int i = 0; i < ns; i++) {
        double w = 1.0 / cand[i].info.root_distance;
        wsum += w;
        osum += w * cand[i].info.offset;
        double d = cand[i].info.offset - cand[sys].info.offset;
        jsum += w * d * d;
        PEER_SetSelectStatus(cand[i].peer, PEER_SEL_CANDIDATE);
    }
    PEER_SetSelectStatus(cand[sys].peer, PEER_SEL_SYSPEER);
    res->synced = 1;
    res->sys_peer = cand[sys].peer;
    /* A prefer peer's offset is used alone: it is preferred precisely
       because the operator trusts it more than the average. */
    res->offset = cand[sys].info.prefer ? cand[sys].info.offset : osum / wsum;
    double sel_jitter = sqrt(jsum / wsum);
    res->jitter = sqrt(sel_jitter * sel_jitter + cand[sys].info.jitter * cand[sys].info.jitter);

out:
    free(infos);
    free(cand);
    free(ep);
}
