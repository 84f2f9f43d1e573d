/* sched_ev — see sched_ev.h and sched.h. */
#include "sched.h"
#include "sched_ev.h"

#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "mem.h"

struct SCH_Timer_Record {
    struct event *ev;
    SCH_TimerHandler handler;
    void *arg;
};

typedef struct FdEntry {
    int fd;
    struct event *ev;
    SCH_FdHandler handler;
    void *arg;
    struct FdEntry *next;
} FdEntry;

typedef struct SigEntry {
    struct event *ev;
    SCH_SignalHandler handler;
    void *arg;
    struct SigEntry *next;
} SigEntry;

static struct event_base *base;
static FdEntry *fds;
static SigEntry *sigs;

void SCH_Init(void)
{
    /* EVENT_NOEPOLL and friends in the environment are honoured by
       event_base_new(), so the poll backend can be forced for tests. */
    base = event_base_new();
    if (!base)
        LOG_Fatal(1, "cannot create the event loop (libevent)");
    DEBUG_LOG("event loop backend: %s", event_base_get_method(base));
}

void SCH_Fini(void)
{
    while (fds)
        SCH_RemoveFdHandler(fds->fd);
    while (sigs) {
        SigEntry *s = sigs;
        sigs = s->next;
        event_free(s->ev);
        free(s);
    }
    if (base)
        event_base_free(base);
    base = NULL;
}

int SCH_Run(void)
{
    return event_base_dispatch(base) < 0 ? -1 : 0;
}

void SCH_Quit(void)
{
    event_base_loopbreak(base);
}

struct event_base *SCH_GetEventBase(void)
{
    return base;
}

const char *SCH_BackendName(void)
{
    return event_base_get_method(base);
}

double SCH_Monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    SCH_Timer t = arg;
    SCH_TimerHandler handler = t->handler;
    void *harg = t->arg;

    (void)fd, (void)what;
    /* Free before calling: the handler may add new timers or exit. */
    event_free(t->ev);
    free(t);
    handler(harg);
}

SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg)
{
    SCH_Timer t = MEM_New(struct SCH_Timer_Record);
    struct timeval tv;

    if (!(delay >= 0))
        delay = 0;
    tv.tv_sec = (time_t)floor(delay);
    tv.tv_usec = (suseconds_t)((delay - floor(delay)) * 1e6);
    t->handler = handler;
    t->arg = arg;
    t->ev = evtimer_new(base, timer_cb, t);
    if (!t->ev || evtimer_add(t->ev, &tv) < 0)
        LOG_Fatal(1, "cannot add a timer to the event loop");
    return t;
}

void SCH_RemoveTimer(SCH_Timer timer)
{
    if (!timer)
        return;
    event_free(timer->ev);
    free(timer);
}

static void fd_cb(evutil_socket_t fd, short what, void *arg)
{
    FdEntry *e = arg;

    (void)what;
    e->handler(fd, e->arg);
}

void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg)
{
    FdEntry *e = MEM_New(FdEntry);

    e->fd = fd;
    e->handler = handler;
    e->arg = arg;
    e->ev = event_new(base, fd, EV_READ | EV_PERSIST, fd_cb, e);
    if (!e->ev || event_add(e->ev, NULL) < 0)
        LOG_Fatal(1, "cannot watch descriptor %d in the event loop", fd);
    e->next = fds;
    fds = e;
}

void SCH_RemoveFdHandler(int fd)
{
    for (FdEntry **p = &fds; *p; p = &(*p)->next) {
        if ((*p)->fd == fd) {
            FdEntry *e = *p;
            *p = e->next;
            event_free(e->ev);
            free(e);
            return;
        }
    }
}

static void sig_cb(evutil_socket_t signo, short what, void *arg)
{
    SigEntry *s = arg;

    (void)what;
    s->handler((int)signo, s->arg);
}

void SCH_AddSignalHandler(int signo, SCH_SignalHandler handler, void *arg)
{
    SigEntry *s = MEM_New(SigEntry);

    s->handler = handler;
    s->arg = arg;
    s->ev = evsignal_new(base, signo, sig_cb, s);
    if (!s->ev || event_add(s->ev, NULL) < 0)
        LOG_Fatal(1, "cannot handle signal %d in the event loop", signo);
    s->next = sigs;
    sigs = s;
}
