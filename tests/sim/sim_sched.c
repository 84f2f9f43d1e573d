/* sim_sched — see sim_sched.h and sched.h. */
#include "sim_sched.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"

/* Events at one instant before we call it a livelock (a handler that keeps
   re-adding itself with zero delay). */
#define MAX_EVENTS_AT_ONE_TIME 1000000UL

struct SCH_Timer_Record {
    double when;          /* elapsed s */
    uint64_t seq;         /* insertion order: ties run first-in first-out */
    SCH_TimerHandler handler;
    void *arg;
    size_t index;         /* position in the heap */
};

static SCH_Timer *heap;
static size_t heap_len, heap_cap;
static uint64_t next_seq;
static double now;        /* elapsed s */
static int quit;
static void (*after_event)(double elapsed);

/* Few descriptors (one per simulated serial line): a small table. */
#define MAX_FD_HANDLERS 16

typedef struct {
    int fd;
    SCH_FdHandler handler;
    void *arg;
} FdWatch;

static FdWatch fd_handlers[MAX_FD_HANDLERS];
static int n_fd_handlers;

void SIMS_SetAfterEvent(void (*hook)(double elapsed))
{
    after_event = hook;
}

static int earlier(const struct SCH_Timer_Record *a, const struct SCH_Timer_Record *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    return a->seq < b->seq;
}

static void place(size_t i, SCH_Timer t)
{
    heap[i] = t;
    t->index = i;
}

static void sift_up(size_t i)
{
    SCH_Timer t = heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, heap[parent]))
            break;
        place(i, heap[parent]);
        i = parent;
    }
    place(i, t);
}

static void sift_down(size_t i)
{
    SCH_Timer t = heap[i];

    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap_len)
            break;
        if (child + 1 < heap_len && earlier(heap[child + 1], heap[child]))
            child++;
        if (!earlier(heap[child], t))
            break;
        place(i, heap[child]);
        i = child;
    }
    place(i, t);
}

static void heap_remove(size_t i)
{
    SCH_Timer last = heap[--heap_len];

    if (i == heap_len)
        return;
    place(i, last);
    /* The moved element may belong above or below its new slot. */
    sift_up(i);
    sift_down(last->index);
}

void SIMS_Init(void)
{
    SIMS_Fini();
    now = 0.0;
    next_seq = 0;
    quit = 0;
    n_fd_handlers = 0;
}

void SIMS_Fini(void)
{
    for (size_t i = 0; i < heap_len; i++)
        free(heap[i]);
    free(heap);
    heap = NULL;
    heap_len = heap_cap = 0;
}

double SIMS_Elapsed(void)
{
    return now;
}

unsigned SIMS_Pending(void)
{
    return (unsigned)heap_len;
}

SCH_Timer SIMS_AddAt(double when, SCH_TimerHandler handler, void *arg)
{
    SCH_Timer t = MEM_New(struct SCH_Timer_Record);

    /* Never in the past: a timer for "now or earlier" runs after the
       events already due now (FIFO), as libevent would. */
    t->when = when > now ? when : now;
    t->seq = next_seq++;
    t->handler = handler;
    t->arg = arg;
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? 2 * heap_cap : 64;
        heap = MEM_Realloc(heap, heap_cap * sizeof *heap);
    }
    heap[heap_len] = t;
    t->index = heap_len++;
    sift_up(t->index);
    return t;
}

SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg)
{
    if (!(delay >= 0.0))
        delay = 0.0;   /* also NaN, as sched_ev.c does */
    return SIMS_AddAt(now + delay, handler, arg);
}

void SCH_RemoveTimer(SCH_Timer timer)
{
    if (!timer)
        return;
    if (timer->index >= heap_len || heap[timer->index] != timer)
        LOG_Fatal(3, "sim: SCH_RemoveTimer on a timer that is not pending (stale handle)");
    heap_remove(timer->index);
    free(timer);
}

unsigned long SIMS_RunUntil(double until)
{
    unsigned long n = 0, at_same_time = 0;

    while (!quit && heap_len > 0 && heap[0]->when <= until) {
        SCH_Timer t = heap[0];
        SCH_TimerHandler handler = t->handler;
        void *arg = t->arg;

        at_same_time = t->when == now ? at_same_time + 1 : 0;
        if (at_same_time > MAX_EVENTS_AT_ONE_TIME)
            LOG_Fatal(3, "sim: more than %lu events at elapsed %.9f s: livelock",
                      MAX_EVENTS_AT_ONE_TIME, now);
        now = t->when;
        heap_remove(0);
        /* Free before calling, as sched_ev.c: the handle is dead once its
           handler starts. */
        free(t);
        handler(arg);
        if (after_event)
            after_event(now);
        n++;
    }
    if (!quit && until > now)
        now = until;
    return n;
}

double SCH_Monotonic(void)
{
    return SIM_MONO_START + now;
}

void SCH_Quit(void)
{
    quit = 1;
}

/* The simulator has no descriptors: every socket is simulated by
   sim_net.c, which calls handlers directly. Engine code that watches a real
   descriptor (none today) would never be woken; say so loudly. */
void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg)
{
    SCH_RemoveFdHandler(fd);
    if (n_fd_handlers == MAX_FD_HANDLERS) {
        LOG(LOGS_ERR, "sim: more than %d descriptors watched", MAX_FD_HANDLERS);
        return;
    }
    fd_handlers[n_fd_handlers].fd = fd;
    fd_handlers[n_fd_handlers].handler = handler;
    fd_handlers[n_fd_handlers].arg = arg;
    n_fd_handlers++;
}

void SCH_RemoveFdHandler(int fd)
{
    for (int i = 0; i < n_fd_handlers; i++) {
        if (fd_handlers[i].fd == fd) {
            fd_handlers[i] = fd_handlers[--n_fd_handlers];
            return;
        }
    }
}

int SIMS_FdsReady(void)
{
    int n = n_fd_handlers;

    /* A handler may remove itself (end of file): walk a copy. */
    FdWatch copy[MAX_FD_HANDLERS];
    memcpy(copy, fd_handlers, sizeof copy);
    for (int i = 0; i < n; i++)
        copy[i].handler(copy[i].fd, copy[i].arg);
    return n;
}
