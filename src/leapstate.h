/*
 * leapstate — the pending leap second: what cntpd tells its clients (the
 * leap indicator) and when it arms the kernel, decided from, in order of
 * authority: a valid leap file (`leapfile`, IETF leap-seconds.list), an
 * operator's announcement (Cisco `ntp leap add|delete`, or SNMP
 * cntpSysLeap on a primary server), and the majority of the sources that
 * survived mitigation. A minority (or a tie) announcing a leap is ignored.
 *
 * The indicator is set from 28 days before the leap (LEAP_ShouldAnnounce);
 * the kernel (STA_INS/STA_DEL) is armed only on the last UTC day of the
 * month, because Linux applies it at the end of whatever day it is set.
 * Times are NTP seconds (era-less 64-bit, see leapfile.h).
 */
#ifndef CNTPD_LEAPSTATE_H
#define CNTPD_LEAPSTATE_H

#include <stdint.h>

#include "leapfile.h"

/* Use `file` (NULL: none; not copied, must outlive use). */
void LPS_Init(const LEAP_Table *file);
void LPS_Fini(void);

/* Operator announcement of a leap at the end of the current month:
   `direction` +1 insert, -1 delete, 0 withdraw. Accepted only within the
   28 days before the end of the month (0), else -1. */
int LPS_Announce(int direction, uint64_t now_ntp);
int LPS_Announced(void);

/* Decide from `n_insert`/`n_delete` of `n_voters` surviving sources:
   returns the leap indicator to send (0 none, 1 insert, 2 delete) and sets
   *kernel to what the kernel should be armed with now (0, 1, 2). */
int LPS_Decide(int n_insert, int n_delete, int n_voters, uint64_t now_ntp, int *kernel);

/* NTP seconds of the start of the next month after `now_ntp` (UTC), when
   a leap announced for "the end of this month" takes effect. */
uint64_t LPS_EndOfMonth(uint64_t now_ntp);

#endif
