/* events — see events.h. */
#include "events.h"

#include <assert.h>
#include <stddef.h>

static struct {
    EVT_Handler handler;
    void *arg;
} listeners[EVT_MAX_LISTENERS];

void EVT_Subscribe(EVT_Handler handler, void *arg)
{
    if (!handler)
        return;
    for (int i = 0; i < EVT_MAX_LISTENERS; i++) {
        if (!listeners[i].handler) {
            listeners[i].handler = handler;
            listeners[i].arg = arg;
            return;
        }
    }
    assert(!"too many event listeners");
}

void EVT_Unsubscribe(EVT_Handler handler, void *arg)
{
    for (int i = 0; i < EVT_MAX_LISTENERS; i++)
        if (listeners[i].handler == handler && listeners[i].arg == arg)
            listeners[i].handler = NULL;
}

void EVT_Emit(const EVT_Event *event)
{
    for (int i = 0; i < EVT_MAX_LISTENERS; i++)
        if (listeners[i].handler)
            listeners[i].handler(event, listeners[i].arg);
}
