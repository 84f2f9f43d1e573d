/* leapstate — see leapstate.h. */
#include "leapstate.h"

#include <time.h>

#include "ntp_time.h"

static const LEAP_Table *file;
static int announced;            /* +1, -1 or 0 */
static uint64_t announced_at;    /* NTP s the announced leap takes effect */

void LPS_Init(const LEAP_Table *f)
{
    file = f;
    announced = 0;
}

void LPS_Fini(void)
{
    file = NULL;
    announced = 0;
}

uint64_t LPS_EndOfMonth(uint64_t now_ntp)
{
    time_t t = (time_t)(now_ntp - NTP_UNIX_EPOCH_OFFSET);
    struct tm tm;

    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon += 1;   /* timegm normalises December + 1 */
    return (uint64_t)timegm(&tm) + NTP_UNIX_EPOCH_OFFSET;
}

int LPS_Announce(int direction, uint64_t now_ntp)
{
    uint64_t at = LPS_EndOfMonth(now_ntp);

    if (direction != 0 && !LEAP_ShouldAnnounce(now_ntp, at))
        return -1;
    announced = direction;
    announced_at = at;
    return 0;
}

int LPS_Announced(void)
{
    return announced;
}

static int indicator(int direction)
{
    return direction > 0 ? 1 : direction < 0 ? 2 : 0;
}

int LPS_Decide(int n_insert, int n_delete, int n_voters, uint64_t now_ntp, int *kernel)
{
    uint64_t at;
    int direction = 0;

    *kernel = 0;
    if (file && file->n && !LEAP_Expired(file, now_ntp)) {
        /* A current leap file knows better than any server. */
        if (LEAP_Next(file, now_ntp, &at, &direction) && LEAP_ShouldAnnounce(now_ntp, at)) {
            *kernel = LEAP_KernelArmDay(now_ntp, at) ? indicator(direction) : 0;
            return indicator(direction);
        }
        return 0;
    }
    if (announced && now_ntp >= announced_at)
        announced = 0;   /* done */
    if (announced) {
        at = announced_at;
        direction = announced;
    } else if (n_voters > 0 && 2 * n_insert > n_voters) {
        at = LPS_EndOfMonth(now_ntp);
        direction = 1;
    } else if (n_voters > 0 && 2 * n_delete > n_voters) {
        at = LPS_EndOfMonth(now_ntp);
        direction = -1;
    } else {
        return 0;
    }
    *kernel = LEAP_KernelArmDay(now_ntp, at) ? indicator(direction) : 0;
    return indicator(direction);
}
