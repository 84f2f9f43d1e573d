/* clock — see clock.h. Dispatch to the installed driver, precision, step
   handlers. */
#include "clock.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"
#include "ntp_time.h"

static const CLK_Driver *drv;
static double precision = 1e-9;
/* Every association registers one, so the array grows as needed. */
static struct StepHandler {
    CLK_StepHandler fn;
    void *arg;
} *step_handlers;
static size_t n_step_handlers, max_step_handlers;
static CLK_ExternalStepHandler external_handler;
static void *external_arg;
/* Our own step makes the kernel report "clock was set" too; that one
   report is not external. */
static int own_step_pending;

/* Smallest positive difference between two consecutive reads, over a few
   hundred reads: the time it takes to read the clock bounds how finely we
   can timestamp, which is what NTP's precision field means. */
static double measure_precision(void)
{
    double best = 1.0;
    struct timespec a, b;

    for (int i = 0; i < 300; i++) {
        drv->read(&a);
        do {
            drv->read(&b);
        } while (b.tv_sec == a.tv_sec && b.tv_nsec == a.tv_nsec);
        double d = TS_Diff(&b, &a);
        if (d > 0 && d < best)
            best = d;
    }
    return best;
}

void CLK_Init(const CLK_Driver *driver)
{
    drv = driver;
    precision = drv->precision > 0 ? drv->precision : measure_precision();
    DEBUG_LOG("clock driver %s, precision %.3g s (2^%d)", drv->name, precision,
              CLK_GetPrecisionLog2());
}

void CLK_Fini(void)
{
    drv = NULL;
    own_step_pending = 0;
    external_handler = NULL;
    external_arg = NULL;
    free(step_handlers);
    step_handlers = NULL;
    n_step_handlers = max_step_handlers = 0;
}

const CLK_Driver *CLK_GetDriver(void)
{
    return drv;
}

void CLK_ReadTime(struct timespec *now)
{
    drv->read(now);
}

int CLK_CanAdjust(void)
{
    return drv->can_adjust;
}

int CLK_SetFrequency(double ppm)
{
    return drv->can_adjust ? drv->set_frequency(ppm) : -1;
}

double CLK_GetFrequency(void)
{
    return drv->get_frequency();
}

int CLK_Slew(double offset)
{
    return drv->can_adjust ? drv->slew(offset) : -1;
}

int CLK_Step(double offset)
{
    if (!drv->can_adjust || drv->step(offset) < 0)
        return -1;
    own_step_pending = 1;
    for (size_t i = 0; i < n_step_handlers; i++)
        step_handlers[i].fn(offset, step_handlers[i].arg);
    return 0;
}

int CLK_SetStatus(int synchronised, int leap, double est_error, double max_error)
{
    return drv->can_adjust ? drv->set_status(synchronised, leap, est_error, max_error) : -1;
}

double CLK_GetPrecision(void)
{
    return precision;
}

int CLK_GetPrecisionLog2(void)
{
    return NTS_PrecisionToLog2(precision);
}

void CLK_AddStepHandler(CLK_StepHandler handler, void *arg)
{
    if (n_step_handlers == max_step_handlers) {
        max_step_handlers = max_step_handlers ? 2 * max_step_handlers : 16;
        step_handlers = MEM_Realloc(step_handlers, max_step_handlers * sizeof *step_handlers);
    }
    step_handlers[n_step_handlers++] = (struct StepHandler){ handler, arg };
}

void CLK_RemoveStepHandler(CLK_StepHandler handler, void *arg)
{
    for (size_t i = 0; i < n_step_handlers; i++) {
        if (step_handlers[i].fn == handler && step_handlers[i].arg == arg) {
            step_handlers[i] = step_handlers[--n_step_handlers];
            return;
        }
    }
}

void CLK_SetExternalStepHandler(CLK_ExternalStepHandler handler, void *arg)
{
    external_handler = handler;
    external_arg = arg;
}

void CLK_NotifyExternalStep(void)
{
    if (own_step_pending) {
        own_step_pending = 0;
        return;
    }
    if (external_handler)
        external_handler(external_arg);
}
