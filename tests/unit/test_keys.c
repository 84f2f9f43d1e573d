/*
 * Unit tests for keys: every key type and spelling, ASCII and hex keys and
 * the 20-character rule, every error message with its exact "file:line:"
 * prefix, key id range, duplicates, comments, CRLF, line length, chrony
 * syntax refused with advice, lookups, KEY_LoadFile on real files, error
 * buffer truncation, and trustedkey id lists with ntpd's ranges.
 *
 * Links: keys mem log textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"

#define NAME "t.keys"

static char errbuf[1024];

/* ------------------------------------------------------------------------
 * Helpers
 */

/* Load `text` that must be accepted; the caller frees the table. */
static KEY_Table load_ok(const char *text)
{
    KEY_Table t = (KEY_Table)(uintptr_t)1;   /* must be overwritten */

    strcpy(errbuf, "stale");
    if (KEY_LoadString(text, NAME, &t, errbuf, sizeof(errbuf)) != 0)
        fail_msg("unexpected error for \"%s\": %s", text, errbuf);
    assert_string_equal(errbuf, "");
    assert_non_null(t);
    return t;
}

/* Load `text` that must fail with exactly `msg`, loading nothing. */
static void load_err(const char *text, const char *msg)
{
    KEY_Table t = (KEY_Table)(uintptr_t)1;

    errbuf[0] = '\0';
    if (KEY_LoadString(text, NAME, &t, errbuf, sizeof(errbuf)) != -1)
        fail_msg("no error for \"%s\" (expected \"%s\")", text, msg);
    if (strcmp(errbuf, msg) != 0)
        fail_msg("for \"%s\":\n  got      \"%s\"\n  expected \"%s\"", text, errbuf, msg);
    assert_null(t);
}

/* The single key of a one-line file, checked for id/type/length/bytes. */
static void check_one(const char *text, uint32_t id, KEY_Type type, const void *bytes,
                      size_t len)
{
    KEY_Table t = load_ok(text);
    const KEY_Key *k;

    assert_int_equal(KEY_Count(t), 1);
    k = KEY_Find(t, id);
    if (!k)
        fail_msg("key %u not found in \"%s\"", (unsigned)id, text);
    assert_int_equal(k->id, id);
    assert_int_equal(k->type, type);
    assert_int_equal(k->len, len);
    assert_memory_equal(k->key, bytes, len);
    /* The rest of the array is zero: nothing of a longer line leaks in. */
    for (size_t i = len; i < KEY_MAX_LEN; i++)
        assert_int_equal(k->key[i], 0);
    KEY_Free(t);
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Key types
 */

static void test_md5_ascii(void **state)
{
    (void)state;
    check_one("42 MD5 cntpdtest\n", 42, KEY_TYPE_MD5, "cntpdtest", 9);
    check_one("42 MD5 cntpdtest", 42, KEY_TYPE_MD5, "cntpdtest", 9);   /* no final LF */
    check_one("1 MD5 x\n", 1, KEY_TYPE_MD5, "x", 1);
}

static void test_type_spellings(void **state)
{
    static const struct {
        const char *name;
        KEY_Type type;
    } cases[] = {
        { "MD5", KEY_TYPE_MD5 },          { "md5", KEY_TYPE_MD5 },
        { "Md5", KEY_TYPE_MD5 },          { "M", KEY_TYPE_MD5 },
        { "m", KEY_TYPE_MD5 },            { "SHA1", KEY_TYPE_SHA1 },
        { "sha1", KEY_TYPE_SHA1 },        { "Sha1", KEY_TYPE_SHA1 },
        { "AES128CMAC", KEY_TYPE_AES128CMAC },
        { "aes128cmac", KEY_TYPE_AES128CMAC },
        { "Aes128Cmac", KEY_TYPE_AES128CMAC },
    };
    char line[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(line, sizeof(line), "7 %s secret\n", cases[i].name);
        check_one(line, 7, cases[i].type, "secret", 6);
    }
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(KEY_TypeName(KEY_TYPE_MD5), "MD5");
    assert_string_equal(KEY_TypeName(KEY_TYPE_SHA1), "SHA1");
    assert_string_equal(KEY_TypeName(KEY_TYPE_AES128CMAC), "AES128CMAC");
    assert_string_equal(KEY_TypeName((KEY_Type)0), "?");
    assert_string_equal(KEY_TypeName((KEY_Type)99), "?");
}

static void test_unsupported_types(void **state)
{
    (void)state;
    load_err("5 SHA256 secret\n",
             NAME ":1: unsupported key type 'SHA256' for key 5 (expected MD5, SHA1 or "
             "AES128CMAC)");
    /* Only the single letter M is the alias; ntpd's OpenSSL lookup takes
       no other abbreviation either. */
    load_err("5 MM secret\n",
             NAME ":1: unsupported key type 'MM' for key 5 (expected MD5, SHA1 or AES128CMAC)");
    load_err("5 S secret\n",
             NAME ":1: unsupported key type 'S' for key 5 (expected MD5, SHA1 or AES128CMAC)");
    load_err("5 SHA secret\n",
             NAME ":1: unsupported key type 'SHA' for key 5 (expected MD5, SHA1 or AES128CMAC)");
    load_err("5 MD5x secret\n",
             NAME ":1: unsupported key type 'MD5x' for key 5 (expected MD5, SHA1 or AES128CMAC)");
    load_err("5 AES128 0123456789abcdef0123456789abcdef\n",
             NAME ":1: unsupported key type 'AES128' for key 5 (chrony's name; ntpd and cntpd "
             "call it AES128CMAC)");
    load_err("5 aes128 secret\n",
             NAME ":1: unsupported key type 'aes128' for key 5 (chrony's name; ntpd and cntpd "
             "call it AES128CMAC)");
}

/* ------------------------------------------------------------------------
 * Key formats: up to 20 characters ASCII, longer hex
 */

static void test_ascii_up_to_20(void **state)
{
    (void)state;
    check_one("3 SHA1 abcdefghijklmnopqrst\n", 3, KEY_TYPE_SHA1, "abcdefghijklmnopqrst", 20);
    /* 20 hex digits are still ASCII: the length decides, as in ntpd. */
    check_one("3 MD5 0123456789abcdef0123\n", 3, KEY_TYPE_MD5, "0123456789abcdef0123", 20);
    check_one("3 MD5 0123456789abcdef\n", 3, KEY_TYPE_MD5, "0123456789abcdef", 16);
    /* Every printable non-blank ASCII character but '#'. */
    check_one("3 MD5 !\"$%&'()*+,-./:;\n", 3, KEY_TYPE_MD5, "!\"$%&'()*+,-./:;", 16);
    check_one("3 MD5 <=>?@[\\]^_`{|}~\n", 3, KEY_TYPE_MD5, "<=>?@[\\]^_`{|}~", 15);
}

static void test_hex_keys(void **state)
{
    uint8_t want[KEY_MAX_LEN];
    char line[256];
    size_t n;

    (void)state;
    /* ntp-keygen's SHA1 keys: 40 hex digits, 20 octets. */
    n = unhex("c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394", want);
    check_one("43 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n", 43, KEY_TYPE_SHA1, want, n);
    check_one("43 SHA1 C2A1F0E4B7D6938A5E4F1C0B2D3E4F5061728394\n", 43, KEY_TYPE_SHA1, want, n);
    check_one("43 SHA1 c2A1f0E4b7D6938a5E4f1C0b2D3e4F5061728394\n", 43, KEY_TYPE_SHA1, want, n);
    /* An MD5 key may be hex too. */
    check_one("44 MD5 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n", 44, KEY_TYPE_MD5, want, n);

    /* AES128CMAC's natural key: 32 hex digits, 16 octets. */
    n = unhex("2b7e151628aed2a6abf7158809cf4f3c", want);
    check_one("45 AES128CMAC 2b7e151628aed2a6abf7158809cf4f3c\n", 45, KEY_TYPE_AES128CMAC, want,
              n);

    /* Shortest hex key: 22 digits, 11 octets. */
    n = unhex("00112233445566778899aa", want);
    check_one("46 MD5 00112233445566778899aa\n", 46, KEY_TYPE_MD5, want, n);
    assert_int_equal(n, 11);

    /* Longest: 128 digits, 64 octets. */
    strcpy(line, "47 SHA1 ");
    for (int i = 0; i < 64; i++)
        sprintf(line + strlen(line), "%02x", 0x40 + i);
    for (int i = 0; i < 64; i++)
        want[i] = (uint8_t)(0x40 + i);
    check_one(line, 47, KEY_TYPE_SHA1, want, 64);

    /* CMAC keys of other lengths load (auth pads or cuts them as ntpd). */
    check_one("48 AES128CMAC abc\n", 48, KEY_TYPE_AES128CMAC, "abc", 3);
    n = unhex("00112233445566778899aabbccddeeff01020304", want);
    check_one("49 AES128CMAC 00112233445566778899aabbccddeeff01020304\n", 49,
              KEY_TYPE_AES128CMAC, want, n);
}

static void test_hex_errors(void **state)
{
    char line[300];

    (void)state;
    /* 21 characters: hex by length, and odd. */
    load_err("5 MD5 abcdefghijklmnopqrstu\n",
             NAME ":1: key 5: hex key has an odd number of digits (21; keys longer than 20 "
             "characters are hex)");
    load_err("5 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f50617283941\n",
             NAME ":1: key 5: hex key has an odd number of digits (41; keys longer than 20 "
             "characters are hex)");
    /* 22 characters, but not hex: a long ASCII password. */
    load_err("5 MD5 abcdefghijklmnopqrstuv\n",
             NAME ":1: key 5: not a hex digit at position 7 of the key (keys longer than 20 "
             "characters are hex)");
    load_err("5 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f506172839x\n",
             NAME ":1: key 5: not a hex digit at position 40 of the key (keys longer than 20 "
             "characters are hex)");
    load_err("5 SHA1 0xa1f0e4b7d6938a5e4f1c0b2d3e4f506172839400\n",
             NAME ":1: key 5: not a hex digit at position 2 of the key (keys longer than 20 "
             "characters are hex)");
    load_err("5 SHA1 x2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n",
             NAME ":1: key 5: not a hex digit at position 1 of the key (keys longer than 20 "
             "characters are hex)");

    /* 130 digits: one octet past ntpd's 64-octet limit. */
    strcpy(line, "5 SHA1 ");
    for (int i = 0; i < 65; i++)
        strcat(line, "ab");
    load_err(line, NAME ":1: key 5: hex key too long (130 digits; at most 128, a 64-octet key)");
}

static void test_non_ascii_key(void **state)
{
    (void)state;
    /* Positions, not the characters: messages go to logs, keys do not. */
    load_err("9 MD5 caf\xc3\xa9\n", NAME ":1: key 9: non-ASCII character at position 4 of the key");
    load_err("9 MD5 \xff\n", NAME ":1: key 9: non-ASCII character at position 1 of the key");
}

static void test_chrony_syntax_refused(void **state)
{
    (void)state;
    load_err("42 MD5 ASCII:cntpdtest\n",
             NAME ":1: key 42: 'ASCII:' is chrony's syntax; here a key of up to 20 characters "
             "is written as it is, a longer one in hex");
    load_err("43 SHA1 HEX:c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n",
             NAME ":1: key 43: 'HEX:' is chrony's syntax; here a hex key is written as its "
             "digits alone (more than 20 of them)");
    /* chrony's prefixes are case-sensitive: these are ordinary keys. */
    check_one("42 MD5 ascii:abc\n", 42, KEY_TYPE_MD5, "ascii:abc", 9);
    check_one("42 MD5 hex:abc\n", 42, KEY_TYPE_MD5, "hex:abc", 7);
}

/* ------------------------------------------------------------------------
 * Key ids
 */

static void test_key_id_range(void **state)
{
    (void)state;
    check_one("1 MD5 a\n", 1, KEY_TYPE_MD5, "a", 1);
    check_one("65535 MD5 a\n", 65535, KEY_TYPE_MD5, "a", 1);
    check_one("007 MD5 a\n", 7, KEY_TYPE_MD5, "a", 1);
    load_err("0 MD5 a\n", NAME ":1: bad key id '0' (allowed 1..65535)");
    load_err("65536 MD5 a\n", NAME ":1: bad key id '65536' (allowed 1..65535)");
    load_err("4294967297 MD5 a\n", NAME ":1: bad key id '4294967297' (allowed 1..65535)");
    load_err("99999999999999999999999 MD5 a\n",
             NAME ":1: bad key id '99999999999999999999999' (allowed 1..65535)");
    /* atoi would take these as 12, -1, 1 and 0: plain decimal only. */
    load_err("12abc MD5 a\n", NAME ":1: bad key id '12abc' (allowed 1..65535)");
    load_err("-1 MD5 a\n", NAME ":1: bad key id '-1' (allowed 1..65535)");
    load_err("+1 MD5 a\n", NAME ":1: bad key id '+1' (allowed 1..65535)");
    load_err("0x10 MD5 a\n", NAME ":1: bad key id '0x10' (allowed 1..65535)");
    load_err("MD5 1 a\n", NAME ":1: bad key id 'MD5' (allowed 1..65535)");
}

static void test_missing_fields(void **state)
{
    (void)state;
    load_err("5\n", NAME ":1: missing key type for key 5");
    load_err("5   # just an id\n", NAME ":1: missing key type for key 5");
    load_err("5 MD5\n", NAME ":1: missing key for key 5");
    load_err("5 MD5 # the key went missing\n", NAME ":1: missing key for key 5");
    load_err("5 MD5 #secret\n", NAME ":1: missing key for key 5");
}

static void test_trailing_field(void **state)
{
    (void)state;
    load_err("5 MD5 secret 10.0.0.1\n",
             NAME ":1: unexpected text after the key of key 5 (a key cannot contain blanks; "
             "ntpd's IP access lists are not supported)");
    load_err("5 MD5 secret 10.0.0.1,192.168.0.0/16 more\n",
             NAME ":1: unexpected text after the key of key 5 (a key cannot contain blanks; "
             "ntpd's IP access lists are not supported)");
    /* A pass phrase with a blank: the message must not echo its second
       half into the logs. */
    load_err("5 MD5 correct horse\n",
             NAME ":1: unexpected text after the key of key 5 (a key cannot contain blanks; "
             "ntpd's IP access lists are not supported)");
}

static void test_duplicates(void **state)
{
    (void)state;
    load_err("1 MD5 a\n1 SHA1 b\n", NAME ":2: duplicate key id 1 (first defined on line 1)");
    load_err("1 MD5 a\n2 MD5 b\n\n# c\n2 MD5 b\n",
             NAME ":5: duplicate key id 2 (first defined on line 2)");
    load_err("01 MD5 a\n1 MD5 a\n", NAME ":2: duplicate key id 1 (first defined on line 1)");
}

/* ------------------------------------------------------------------------
 * Lines: comments, blanks, line ends, characters, length
 */

static void test_comments_and_blanks(void **state)
{
    KEY_Table t;
    const KEY_Key *k;

    (void)state;
    t = load_ok("# ntp.keys written by hand\n"
                "\n"
                "   \t  \n"
                "#1 MD5 commented-out\n"
                "  1\tMD5\tone   # trailing comment\n"
                "2 MD5 two#no space before the comment\n"
                "3 SHA1 three #\x01 control characters in a comment are fine\n"
                "\t# indented comment\n");
    assert_int_equal(KEY_Count(t), 3);
    k = KEY_Find(t, 1);
    assert_non_null(k);
    assert_int_equal(k->len, 3);
    assert_memory_equal(k->key, "one", 3);
    assert_int_equal(k->line, 5);
    k = KEY_Find(t, 2);
    assert_non_null(k);
    assert_int_equal(k->len, 3);
    assert_memory_equal(k->key, "two", 3);
    k = KEY_Find(t, 3);
    assert_non_null(k);
    assert_int_equal(k->type, KEY_TYPE_SHA1);
    assert_memory_equal(k->key, "three", 5);
    KEY_Free(t);
}

static void test_crlf(void **state)
{
    KEY_Table t;
    const KEY_Key *k;

    (void)state;
    t = load_ok("# dos file\r\n"
                "1 MD5 abc\r\n"
                "\r\n"
                "2 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\r\n"
                "3 MD5 last\r");
    assert_int_equal(KEY_Count(t), 3);
    k = KEY_Find(t, 1);
    assert_int_equal(k->len, 3);                 /* no CR in the key */
    assert_memory_equal(k->key, "abc", 3);
    k = KEY_Find(t, 2);
    assert_int_equal(k->len, 20);
    k = KEY_Find(t, 3);
    assert_int_equal(k->len, 4);
    assert_int_equal(k->line, 5);
    KEY_Free(t);

    /* Line numbers count CRLF lines. */
    load_err("1 MD5 a\r\n\r\nbad MD5 a\r\n", NAME ":3: bad key id 'bad' (allowed 1..65535)");
    /* A stray CR mid-line is a blank, as in conf. */
    check_one("1 MD5\rabc\n", 1, KEY_TYPE_MD5, "abc", 3);
}

static void test_invalid_characters(void **state)
{
    (void)state;
    load_err("1 MD5 a\x01z\n", NAME ":1: invalid character 0x01");
    load_err("1 MD5 abc\x7f\n", NAME ":1: invalid character 0x7f");
    load_err("1 MD5 abc\n\x1b[31m\n", NAME ":2: invalid character 0x1b");
    /* Blanks of every kind separate fields. */
    check_one("1\vMD5\fabc\n", 1, KEY_TYPE_MD5, "abc", 3);
}

static void test_line_length(void **state)
{
    char *text = malloc(KEY_MAX_LINE + 16);

    (void)state;
    /* A comment line of exactly KEY_MAX_LINE characters is fine. */
    memset(text, '#', KEY_MAX_LINE);
    strcpy(text + KEY_MAX_LINE, "\n1 MD5 a\n");
    KEY_Free(load_ok(text));
    /* One more is refused, with its line number. */
    strcpy(text, "1 MD5 a\n");
    memset(text + 8, '#', KEY_MAX_LINE + 1);
    strcpy(text + 8 + KEY_MAX_LINE + 1, "\n");
    load_err(text, NAME ":2: line too long (more than 1024 characters)");
    /* The limit excludes the CRLF. */
    memset(text, '#', KEY_MAX_LINE);
    strcpy(text + KEY_MAX_LINE, "\r\n");
    KEY_Free(load_ok(text));
    free(text);
}

static void test_error_stops_whole_load(void **state)
{
    (void)state;
    /* Four good keys then a bad one: nothing is loaded. */
    load_err("1 MD5 a\n2 MD5 b\n3 SHA1 c\n4 AES128CMAC d\n5 SHA512 e\n",
             NAME ":5: unsupported key type 'SHA512' for key 5 (expected MD5, SHA1 or "
             "AES128CMAC)");
    /* The first error is the one reported. */
    load_err("1 MD5 a\n0 MD5 b\n2 SHA256 c\n", NAME ":2: bad key id '0' (allowed 1..65535)");
}

static void test_empty(void **state)
{
    KEY_Table t;

    (void)state;
    t = load_ok("");
    assert_int_equal(KEY_Count(t), 0);
    assert_null(KEY_Find(t, 1));
    assert_null(KEY_Get(t, 0));
    KEY_Free(t);
    t = load_ok("# nothing yet\n\n");
    assert_int_equal(KEY_Count(t), 0);
    KEY_Free(t);
}

/* ------------------------------------------------------------------------
 * Lookup
 */

static void test_lookup(void **state)
{
    KEY_Table t;

    (void)state;
    t = load_ok("30 MD5 thirty\n10 SHA1 ten\n65535 MD5 max\n20 AES128CMAC twenty\n1 M one\n");
    assert_int_equal(KEY_Count(t), 5);
    /* KEY_Get lists in increasing id order whatever the file order. */
    static const uint32_t order[] = { 1, 10, 20, 30, 65535 };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(KEY_Get(t, i)->id, order[i]);
    assert_null(KEY_Get(t, 5));
    assert_memory_equal(KEY_Find(t, 30)->key, "thirty", 6);
    assert_int_equal(KEY_Find(t, 30)->line, 1);
    assert_int_equal(KEY_Find(t, 20)->type, KEY_TYPE_AES128CMAC);
    assert_int_equal(KEY_Find(t, 1)->type, KEY_TYPE_MD5);
    assert_null(KEY_Find(t, 0));
    assert_null(KEY_Find(t, 2));
    assert_null(KEY_Find(t, 31));
    assert_null(KEY_Find(t, 65536));
    assert_null(KEY_Find(t, 0xffffffffu));
    KEY_Free(t);

    /* A NULL table is an empty one. */
    assert_null(KEY_Find(NULL, 1));
    assert_int_equal(KEY_Count(NULL), 0);
    assert_null(KEY_Get(NULL, 0));
    KEY_Free(NULL);
}

static void test_many_keys(void **state)
{
    size_t cap = 3000 * 40, len = 0;
    char *text = malloc(cap);
    KEY_Table t;

    (void)state;
    /* Descending ids, so the sort and the array growth both do work. */
    for (unsigned id = 3000; id >= 1; id--)
        len += (size_t)snprintf(text + len, cap - len, "%u %s k%u\n", id,
                                id % 3 == 0 ? "MD5" : id % 3 == 1 ? "SHA1" : "AES128CMAC", id);
    t = load_ok(text);
    assert_int_equal(KEY_Count(t), 3000);
    for (unsigned id = 1; id <= 3000; id++) {
        const KEY_Key *k = KEY_Find(t, id);
        char want[16];

        assert_non_null(k);
        assert_int_equal(k->id, id);
        assert_int_equal(k->line, 3001 - id);
        snprintf(want, sizeof(want), "k%u", id);
        assert_int_equal(k->len, strlen(want));
        assert_memory_equal(k->key, want, k->len);
    }
    assert_null(KEY_Find(t, 3001));
    KEY_Free(t);
    free(text);
}

/* ------------------------------------------------------------------------
 * Files and error buffers
 */

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
    char dir[] = "/tmp/test_keys.XXXXXX";
    char path[256], want[400];
    const char *text;
    KEY_Table t = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ntp.keys", dir);

    text = "42 MD5 cntpdtest\n43 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n";
    write_file(path, text, strlen(text));
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(errbuf, "");
    assert_int_equal(KEY_Count(t), 2);
    assert_memory_equal(KEY_Find(t, 42)->key, "cntpdtest", 9);
    assert_int_equal(KEY_Find(t, 43)->len, 20);
    KEY_Free(t);

    /* Messages name the path. */
    write_file(path, "1 MD5 a\n1 MD5 b\n", 16);
    t = (KEY_Table)(uintptr_t)1;
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    assert_null(t);
    snprintf(want, sizeof(want), "%s:2: duplicate key id 1 (first defined on line 1)", path);
    assert_string_equal(errbuf, want);

    /* A NUL byte is reported, not taken as the end of the text. */
    write_file(path, "1 MD5 a\n2 MD5 b\0c\n", 18);
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(want, sizeof(want), "%s:2: invalid character 0x00", path);
    assert_string_equal(errbuf, want);

    /* An empty file is an empty table. */
    write_file(path, "", 0);
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(KEY_Count(t), 0);
    KEY_Free(t);

    /* Unreadable: "file: message", no line. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    assert_null(t);
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
    assert_string_equal(errbuf, want);
    assert_int_equal(KEY_LoadFile(dir, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
    assert_string_equal(errbuf, want);

    assert_int_equal(rmdir(dir), 0);
}

static void test_load_file_too_large(void **state)
{
    char dir[] = "/tmp/test_keys.XXXXXX";
    char path[256], want[400];
    size_t size = (4u << 20) + 1;
    char *big = malloc(size);
    KEY_Table t = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/huge.keys", dir);
    memset(big, '\n', size);
    write_file(path, big, size);
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    assert_null(t);
    snprintf(want, sizeof(want), "%s: cannot read: larger than 4194304 octets, not a keys file",
             path);
    assert_string_equal(errbuf, want);
    /* Exactly at the limit is still read. */
    write_file(path, big, size - 1);
    assert_int_equal(KEY_LoadFile(path, &t, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(KEY_Count(t), 0);
    KEY_Free(t);
    unlink(path);
    rmdir(dir);
    free(big);
}

static void test_error_buffer(void **state)
{
    char small[12];
    KEY_Table t;

    (void)state;
    /* Truncated, NUL-terminated, never overrun. */
    memset(small, 'Z', sizeof(small));
    assert_int_equal(KEY_LoadString("0 MD5 a\n", NAME, &t, small, 8), -1);
    assert_string_equal(small, "t.keys:");
    assert_int_equal(small[8], 'Z');
    memset(small, 'Z', sizeof(small));
    assert_int_equal(KEY_LoadString("0 MD5 a\n", NAME, &t, small, 10), -1);
    assert_string_equal(small, "t.keys:1:");
    assert_int_equal(small[10], 'Z');
    /* No buffer at all. */
    assert_int_equal(KEY_LoadString("0 MD5 a\n", NAME, &t, NULL, 0), -1);
    assert_null(t);
    assert_int_equal(KEY_LoadString("1 MD5 a\n", NAME, &t, NULL, 0), 0);
    KEY_Free(t);
    /* No name: "-". */
    assert_int_equal(KEY_LoadString("x\n", NULL, &t, errbuf, sizeof(errbuf)), -1);
    assert_string_equal(errbuf, "-:1: bad key id 'x' (allowed 1..65535)");
}

/* ------------------------------------------------------------------------
 * trustedkey id lists
 */

/* Parse a space-separated argument string (split like conf does) that must
   give exactly the ids in `want` (terminated by 0). */
static void ids_ok(const char *args, size_t max, const uint32_t *want)
{
    char buf[512], *argv[64], *s;
    uint32_t *ids = calloc(max ? max : 1, sizeof(*ids));
    size_t n = 999, nwant = 0;
    int argc = 0;

    strcpy(buf, args);
    for (s = strtok(buf, " "); s; s = strtok(NULL, " "))
        argv[argc++] = s;
    if (KEY_ParseIdList(argc, argv, ids, max, &n, errbuf, sizeof(errbuf)) != 0)
        fail_msg("unexpected error for \"%s\": %s", args, errbuf);
    assert_string_equal(errbuf, "");
    while (want[nwant])
        nwant++;
    if (n != nwant)
        fail_msg("\"%s\": %zu ids, expected %zu", args, n, nwant);
    for (size_t i = 0; i < n; i++)
        if (ids[i] != want[i])
            fail_msg("\"%s\": id %zu is %u, expected %u", args, i, (unsigned)ids[i],
                     (unsigned)want[i]);
    free(ids);
}

static void ids_err(const char *args, size_t max, const char *msg)
{
    char buf[512], *argv[64], *s;
    uint32_t ids[16];
    size_t n = 999;
    int argc = 0;

    strcpy(buf, args);
    for (s = strtok(buf, " "); s; s = strtok(NULL, " "))
        argv[argc++] = s;
    if (KEY_ParseIdList(argc, argv, ids, max, &n, errbuf, sizeof(errbuf)) != -1)
        fail_msg("no error for \"%s\" (expected \"%s\")", args, msg);
    if (strcmp(errbuf, msg) != 0)
        fail_msg("for \"%s\":\n  got      \"%s\"\n  expected \"%s\"", args, errbuf, msg);
    assert_int_equal(n, 0);
}

static void test_id_list(void **state)
{
    (void)state;
    ids_ok("1", 16, (const uint32_t[]){ 1, 0 });
    ids_ok("1 2 3", 16, (const uint32_t[]){ 1, 2, 3, 0 });
    ids_ok("42 7 65535", 16, (const uint32_t[]){ 42, 7, 65535, 0 });
    /* Duplicates dropped, first occurrence order kept. */
    ids_ok("3 1 3 2 1", 16, (const uint32_t[]){ 3, 1, 2, 0 });
}

static void test_id_ranges(void **state)
{
    (void)state;
    /* ntpd's spellings: parentheses attached or alone, "..." alone. */
    ids_ok("(1 ... 5)", 16, (const uint32_t[]){ 1, 2, 3, 4, 5, 0 });
    ids_ok("( 1 ... 5 )", 16, (const uint32_t[]){ 1, 2, 3, 4, 5, 0 });
    ids_ok("(1 ... 3) 9 (7 ... 8)", 16, (const uint32_t[]){ 1, 2, 3, 9, 7, 8, 0 });
    ids_ok("(5 ... 5)", 16, (const uint32_t[]){ 5, 0 });
    ids_ok("2 (1 ... 3) 3", 16, (const uint32_t[]){ 2, 1, 3, 0 });
    ids_ok("(65533 ... 65535)", 16, (const uint32_t[]){ 65533, 65534, 65535, 0 });
    /* Back to back: "(1 ... 2)(4 ... 4)" as two tokens "(1", "...", "2)(4", ... */
    ids_ok("(1 ... 2)(4 ... 4)", 16, (const uint32_t[]){ 1, 2, 4, 0 });
}

static void test_id_range_full(void **state)
{
    char a0[] = "(1", a1[] = "...", a2[] = "65535)";
    char *argv[] = { a0, a1, a2 };
    uint32_t *ids = calloc(KEY_MAX_ID, sizeof(*ids));
    size_t n = 0;

    (void)state;
    assert_int_equal(KEY_ParseIdList(3, argv, ids, KEY_MAX_ID, &n, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(n, KEY_MAX_ID);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[KEY_MAX_ID - 1], 65535);
    /* One short of room. */
    assert_int_equal(KEY_ParseIdList(3, argv, ids, KEY_MAX_ID - 1, &n, errbuf, sizeof(errbuf)),
                     -1);
    assert_string_equal(errbuf, "too many key ids (at most 65534)");
    assert_int_equal(n, 0);
    free(ids);
}

static void test_id_list_errors(void **state)
{
    uint32_t ids[4];
    size_t n = 9;

    (void)state;
    ids_err("0", 16, "bad key id '0' (allowed 1..65535)");
    ids_err("65536", 16, "bad key id '65536' (allowed 1..65535)");
    ids_err("1 x 3", 16, "bad key id 'x' (allowed 1..65535)");
    ids_err("1,2", 16, "bad key id '1,2' (allowed 1..65535)");
    ids_err("-1", 16, "bad key id '-1' (allowed 1..65535)");
    ids_err("(5 ... 1)", 16, "bad key range (5 ... 1): first greater than last");
    ids_err("(0 ... 5)", 16, "bad key id '0' (allowed 1..65535)");
    ids_err("(1 ... 70000)", 16, "bad key id '70000' (allowed 1..65535)");
    /* ntpd's scanner needs blanks around "...", so these are not ranges. */
    ids_err("(1...5)", 16, "bad key id '1...5' (allowed 1..65535)");
    ids_err("(1 ...5)", 16, "bad key range: expected '...' after '(1', found '...5'");
    ids_err("(1 .. 5)", 16, "bad key range: expected '...' after '(1', found '..'");
    ids_err("(1 - 5)", 16, "bad key range: expected '...' after '(1', found '-'");
    ids_err("(1 ... 5", 16, "bad key range: unterminated '(' (expected '(FIRST ... LAST)')");
    ids_err("(1", 16, "bad key range: unterminated '(' (expected '(FIRST ... LAST)')");
    ids_err("(1 ... 5 6)", 16, "bad key range: expected ')' after '(1 ... 5', found '6'");
    ids_err("1)", 16, "bad key id ')' (allowed 1..65535)");
    ids_err("()", 16, "bad key id ')' (allowed 1..65535)");
    ids_err("((1 ... 2))", 16, "bad key id '(' (allowed 1..65535)");
    ids_err("1 2 3 4 5", 4, "too many key ids (at most 4)");
    ids_err("(1 ... 5)", 4, "too many key ids (at most 4)");
    /* Exactly `max` fits; duplicates do not count. */
    ids_ok("1 2 3 4 1 2", 4, (const uint32_t[]){ 1, 2, 3, 4, 0 });
    /* Nothing to parse. */
    assert_int_equal(KEY_ParseIdList(0, NULL, ids, 4, &n, errbuf, sizeof(errbuf)), -1);
    assert_string_equal(errbuf, "missing key id");
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_ascii),
        cmocka_unit_test(test_type_spellings),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_unsupported_types),
        cmocka_unit_test(test_ascii_up_to_20),
        cmocka_unit_test(test_hex_keys),
        cmocka_unit_test(test_hex_errors),
        cmocka_unit_test(test_non_ascii_key),
        cmocka_unit_test(test_chrony_syntax_refused),
        cmocka_unit_test(test_key_id_range),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_trailing_field),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_comments_and_blanks),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_invalid_characters),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_error_stops_whole_load),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_too_large),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_id_list),
        cmocka_unit_test(test_id_ranges),
        cmocka_unit_test(test_id_range_full),
        cmocka_unit_test(test_id_list_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
