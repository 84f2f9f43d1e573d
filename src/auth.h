/*
 * auth — NTP symmetric-key MACs (RFC 5905 section 7.3 / ntpd, RFC 8573).
 *
 * Owns computing, checking and appending the MAC trailer of a packet: the
 * 32-bit key id followed by the digest, after the header and any extension
 * fields (the `auth_len` octets PKT_Decode reports). Keys come from keys.h;
 * which key to use and whether it is trusted is decided elsewhere.
 *
 *   MD5         16 octets  MD5(key || data)           ntpd, chronyd
 *   SHA1        20 octets  SHA1(key || data)          ntpd, chronyd
 *   AES128CMAC  16 octets  AES-128-CMAC(key, data)    RFC 8573; ntpd's name,
 *                                                     chronyd calls it AES128
 *
 * A CMAC key must be 16 octets. For other lengths cntpd does what ntpd does
 * (libntp/a_md5encrypt.c): a shorter key is zero-padded to 16 octets, a
 * longer one is cut to its first 16. chronyd refuses such keys outright, so
 * only a 16-octet key (32 hex digits) works with all three.
 *
 * Uses OpenSSL 3 EVP (digests and EVP_MAC "CMAC"); algorithm handles and
 * contexts are fetched once and reused. Not thread-safe (neither is the
 * daemon's single event loop). No secret is left in memory this module
 * owns after a call returns.
 */
#ifndef CNTPD_AUTH_H
#define CNTPD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define AUTH_KEY_ID_LEN 4
#define AUTH_MAX_DIGEST_LEN 20     /* SHA1 */

/* Digest length of a key type: 16 (MD5, AES128CMAC) or 20 (SHA1); 0 for
   an unknown type. */
size_t AUTH_DigestLength(KEY_Type type);

/* MAC of data[0..len-1] with `key` into mac_out (room for
   AUTH_MAX_DIGEST_LEN octets). Returns the digest length, or 0 when the
   key is unusable or OpenSSL fails (mac_out is then zeroed). */
size_t AUTH_Compute(const KEY_Key *key, const uint8_t *data, size_t len, uint8_t *mac_out);

/* 1 when mac[0..mac_len-1] is the MAC of data with `key`, else 0. mac_len
   must be the type's digest length (a truncated or padded MAC is refused);
   the comparison takes the same time wherever the first difference is. */
int AUTH_Verify(const KEY_Key *key, const uint8_t *data, size_t len, const uint8_t *mac,
                size_t mac_len);

/* Append the MAC trailer to a packet whose first `header_len` octets (the
   48-octet header and any extension fields; a multiple of 4) are in `pkt`:
   the key id in network order, then the MAC of those octets. `bufsize` is
   the size of `pkt`. Returns the new packet length (header_len + 4 + digest
   length), or 0 on error (bad arguments, buffer too small, crypto failure),
   with nothing written after header_len. */
size_t AUTH_AppendMac(const KEY_Key *key, uint8_t *pkt, size_t header_len, size_t bufsize);

/* Append a crypto-NAK (key id 0 alone, RFC 5905 section 7.4), the answer
   to a request whose MAC failed. Returns header_len + 4, or 0 on error. */
size_t AUTH_AppendCryptoNak(uint8_t *pkt, size_t header_len, size_t bufsize);

/* Free the cached OpenSSL handles (at exit, so leak checkers stay quiet).
   The next AUTH_ call fetches them again. */
void AUTH_Fini(void);

#endif
