/*
 * mib_values — CISCO-NTP-MIB value encodings, pure functions (no net-snmp),
 * so the exact octets are unit-tested.
 *
 *   NTPSignedTimeValue    4 octets: 16-bit integer part then 16-bit fraction,
 *                         network order, two's complement of the whole 32-bit
 *                         value (an NMS reading a signed 16-bit word plus an
 *                         unsigned fraction/65536 gets the number back).
 *                         Saturates at -32768 and +32767.99998 s.
 *   NTPUnsignedTimeValue  the same, unsigned: 0 .. 65535.99998 s.
 *   NTPTimeStamp          8 octets, NTP era-0 format (32.32), network order.
 *   NTPRefId              4 octets, network order of the engine's refid.
 */
#ifndef CNTPD_MIB_VALUES_H
#define CNTPD_MIB_VALUES_H

#include <stdint.h>

void MIBV_SignedTime(double seconds, uint8_t out[4]);
void MIBV_UnsignedTime(double seconds, uint8_t out[4]);
void MIBV_Timestamp(uint64_t ntp, uint8_t out[8]);
void MIBV_RefId(uint32_t refid, uint8_t out[4]);

/* Decoders, the way an NMS reads the values back (for tests and logs). */
double MIBV_DecodeSigned(const uint8_t in[4]);
double MIBV_DecodeUnsigned(const uint8_t in[4]);

/* Clamp an integer into [lo, hi] (MIB ranges such as precision -20..20). */
long MIBV_Clamp(long v, long lo, long hi);

#endif
