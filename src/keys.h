/*
 * keys — the symmetric keys file (ntpd's ntp.keys format) and key-id lists.
 *
 * Owns reading and checking the file and holding the key material: a loaded
 * KEY_Table is an immutable array sorted by key id, and KEY_Free wipes every
 * secret (OPENSSL_cleanse) before releasing it; so does the parser with its
 * copies of the file text. Computing MACs is auth's job (auth.h); deciding
 * which keys are trusted and which association uses which key is the
 * configuration's and engine's.
 *
 * File format, as ntpd 4.2.8 reads it (libntp/authreadkeys.c):
 *
 *     KEYID TYPE KEY      # comment
 *
 * - `#` starts a comment anywhere; blank lines are skipped; LF or CRLF line
 *   ends; at most KEY_MAX_LINE characters per line; control characters other
 *   than blanks are refused (a binary or corrupted file).
 * - KEYID: decimal, 1..65535 (0 is the crypto-NAK; ntpd reserved higher ids
 *   for Autokey).
 * - TYPE, case-insensitive: MD5 (also `M`, the single-letter alias older
 *   ntp-keygen versions write), SHA1, AES128CMAC. Anything else is an error
 *   naming the three (ntpd takes every OpenSSL digest and truncates it to 20
 *   octets; cntpd does not implement those).
 * - KEY, decided by its length exactly as ntpd does:
 *     * up to 20 characters: the characters themselves are the key
 *       (printable ASCII, no blanks, no `#`);
 *     * more than 20: hex digits (either case), two per octet. cntpd
 *       requires an even number of digits and at most 128 (64 octets, ntpd's
 *       limit); ntpd would silently pad an odd digit count with a zero
 *       nibble, which is a typo far more often than a meant key.
 *   So a 16-octet key written as 32 hex digits is hex, but 16 hex digits
 *   are taken as 16 ASCII characters — again as ntpd does. ntp-keygen
 *   writes MD5 keys as 20 ASCII characters and SHA1 keys as 40 hex digits.
 *   AES128CMAC takes any key; like ntpd, a key shorter than 16 octets is
 *   zero-padded and a longer one is cut to its first 16 (see auth.h).
 *   Callers may warn when an AES128CMAC key's len is not 16: chronyd
 *   refuses such keys.
 * - Nothing may follow the key but a comment: ntpd's optional
 *   comma-separated IP access list is refused rather than ignored, since
 *   ignoring it would trust the key from every address.
 * - A key id given twice is an error (ntpd silently keeps the last one,
 *   chronyd keeps an arbitrary one).
 * - A key starting with chrony's `HEX:` or `ASCII:` prefix is refused with a
 *   message saying how to write it here. ntpd would take, say,
 *   `ASCII:secret` as a 12-character key, which is never what a line copied
 *   from chrony.keys means.
 * Any error fails the whole load: nothing is partially loaded.
 *
 * Sharing a key with chronyd (chrony.keys is `ID TYPE KEY`; KEY is
 * `ASCII:text`, `HEX:digits`, or bare text, which chrony takes as ASCII at
 * any length; TYPE is case-sensitive there). MD5 and SHA1 MACs are computed
 * the same way by both (digest of key || packet):
 *
 *     cntpd (ntpd format)                     chrony.keys
 *     42 MD5 cntpdtest                        42 MD5 ASCII:cntpdtest
 *     43 SHA1 <40 hex digits>                 43 SHA1 HEX:<the same 40 digits>
 *     44 AES128CMAC <32 hex digits>           44 AES128 HEX:<the same 32 digits>
 *
 * (Checked against chronyd 4.3 on loopback: requests authenticated by
 * cntpd with each of the left-hand lines got replies authenticated with the
 * same key id, and those replies verified here.) An ASCII key longer than
 * 20 characters cannot be written as text here: write its octets in hex
 * (`printf %s KEY | od -An -tx1 | tr -d ' \n'`). chronyd refuses AES128
 * keys that are not exactly 16 octets and a lower-case TYPE ("Invalid type
 * in key N"), and logs "Key N is too short" for keys under 10 octets that
 * a source uses (it still uses them; "cntpdtest" is 9).
 */
#ifndef CNTPD_KEYS_H
#define CNTPD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_MIN_ID 1
#define KEY_MAX_ID 65535        /* ntpd's NTP_MAXKEY */
#define KEY_MAX_ASCII_LEN 20    /* longer KEY strings are hex */
#define KEY_MAX_LEN 64          /* octets of key material, ntpd's limit */
#define KEY_MAX_LINE 1024       /* characters per line, without the line end */

typedef enum {
    KEY_TYPE_MD5 = 1,
    KEY_TYPE_SHA1,
    KEY_TYPE_AES128CMAC,
} KEY_Type;

typedef struct {
    uint32_t id;                 /* 1..KEY_MAX_ID */
    KEY_Type type;
    size_t len;                  /* octets in `key`, 1..KEY_MAX_LEN */
    uint8_t key[KEY_MAX_LEN];    /* the secret; the rest of the array is zero */
    int line;                    /* line in the keys file, for messages */
} KEY_Key;

/* A loaded keys file. Opaque; NULL is a valid empty table. */
typedef struct KEY_Table_Record *KEY_Table;

/* Load a keys file. Returns 0 with `*out` set (free it with KEY_Free), or
   -1 with `*out` NULL and `err` holding "file:line: message" (or
   "file: message" when the file cannot be read). `err` is always
   NUL-terminated when errlen > 0 and truncated, never overrun. */
int KEY_LoadFile(const char *path, KEY_Table *out, char *err, size_t errlen);

/* Load keys from text; `name` stands for the file name in messages (NULL:
   "-"). Same contract as KEY_LoadFile. The caller owns `text` (and should
   wipe it: it holds secrets). */
int KEY_LoadString(const char *text, const char *name, KEY_Table *out, char *err,
                   size_t errlen);

/* Wipe and free a table. Safe on NULL. Pointers from KEY_Find/KEY_Get die
   with it. */
void KEY_Free(KEY_Table table);

/* The key with this id, or NULL (also for a NULL table). O(log n). */
const KEY_Key *KEY_Find(KEY_Table table, uint32_t id);

/* Number of keys, and the i-th in increasing id order (NULL when out of
   range), for listing. */
size_t KEY_Count(KEY_Table table);
const KEY_Key *KEY_Get(KEY_Table table, size_t i);

/* "MD5", "SHA1", "AES128CMAC" (ntpd's names), "?" for anything else. */
const char *KEY_TypeName(KEY_Type type);

/* Parse the arguments of `trustedkey` (argv[0..argc-1], the directive name
   excluded): key ids and ntpd's ranges `(FIRST ... LAST)`, which ntpd's
   config grammar accepts (integer_range in ntp_parser.y): the parentheses
   may touch the numbers, the `...` must stand alone ("(1 ... 5)",
   "( 1 ... 5 )"). Ids are 1..KEY_MAX_ID. Duplicates are dropped, first
   occurrence order is kept. Writes at most `max` ids into `ids` and their
   number into `*n`. Returns 0, or -1 with `err` holding a message without a
   "file:line: " prefix (the caller, which knows the line, adds it) and `*n`
   set to 0. Unlike ntpd, which logs and ignores a range whose first id is
   greater than its last, that is an error here. */
int KEY_ParseIdList(int argc, char *const *argv, uint32_t *ids, size_t max, size_t *n,
                    char *err, size_t errlen);

#endif
