/* mib_values — see mib_values.h. */
#include "mib_values.h"

#include <math.h>

static void put32(uint32_t v, uint8_t out[4])
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

void MIBV_SignedTime(double seconds, uint8_t out[4])
{
    double scaled = seconds * 65536.0;
    int32_t v;

    if (!(scaled == scaled))
        v = 0;
    else if (scaled >= 2147483647.0)
        v = INT32_MAX;
    else if (scaled <= -2147483648.0)
        v = INT32_MIN;
    else
        v = (int32_t)lround(scaled);
    put32((uint32_t)v, out);
}

void MIBV_UnsignedTime(double seconds, uint8_t out[4])
{
    double scaled = seconds * 65536.0;
    uint32_t v;

    if (!(scaled > 0))
        v = 0;
    else if (scaled >= 4294967295.0)
        v = UINT32_MAX;
    else
        v = (uint32_t)llround(scaled);
    put32(v, out);
}

void MIBV_Timestamp(uint64_t ntp, uint8_t out[8])
{
    put32((uint32_t)(ntp >> 32), out);
    put32((uint32_t)ntp, out + 4);
}

void MIBV_RefId(uint32_t refid, uint8_t out[4])
{
    put32(refid, out);
}

double MIBV_DecodeSigned(const uint8_t in[4])
{
    /* Integer word as signed 16 bits, fraction word unsigned: this is
       exactly two's complement of the 32-bit value divided by 65536. */
    int16_t whole = (int16_t)(in[0] << 8 | in[1]);
    uint16_t frac = (uint16_t)(in[2] << 8 | in[3]);
    return whole + frac / 65536.0;
}

double MIBV_DecodeUnsigned(const uint8_t in[4])
{
    return get32(in) / 65536.0;
}

long MIBV_Clamp(long v, long lo, long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}
