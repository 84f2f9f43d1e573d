/* keys — see keys.h. */
#include "keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mem.h"
#include "textfile.h"

/* A keys file is a few lines; anything this big is the wrong file (or
   /dev/zero), and reading it whole would only waste memory. */
#define MAX_FILE_SIZE (4u << 20)

struct KEY_Table_Record {
    KEY_Key *keys;              /* sorted by id, no duplicates */
    size_t n;
    size_t cap;                 /* entries allocated, all wiped on free */
};

typedef struct {
    const char *name;           /* file name for messages */
    int line;                   /* current line, 1-based */
    char *err;
    size_t errlen;
    KEY_Key *keys;              /* growing array, in file order */
    size_t n, cap;
    uint8_t seen[KEY_MAX_ID / 8 + 1];   /* ids so far: duplicates in O(1) */
    char buf[KEY_MAX_LINE + 1]; /* the current line, split in place */
} Parser;

static int fail(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "name:line: message" into the caller's buffer, truncated rather than
   overrun. Returns -1 so callers can `return fail(...)`. */
static int fail(Parser *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    TXT_VErrorAt(p->err, p->errlen, p->name, (unsigned)p->line, fmt, ap);
    va_end(ap);
    return -1;
}

/* Free an array of keys, wiping the secrets first. */
static void free_keys(KEY_Key *keys, size_t cap)
{
    if (!keys)
        return;
    OPENSSL_cleanse(keys, cap * sizeof(*keys));
    free(keys);
}

/* ------------------------------------------------------------------------
 * Fields.
 */

/* Plain decimal in [KEY_MIN_ID, KEY_MAX_ID], whole token: atoi's leniency
   ("12abc" is 12, "x" is 0) is how ntpd lets typos through. `len` is the
   token's length (tokens in id lists are not NUL-terminated). Returns 0 for
   anything else, including out-of-range values. */
static uint32_t parse_id(const char *s, size_t len)
{
    uint32_t v = 0;
    size_t i;

    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
        if (v > KEY_MAX_ID)     /* checked every digit, so no overflow */
            return 0;
    }
    return v;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        char cb = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;

        if (ca != cb)
            return 0;
    }
    return *a == *b;
}

/* Type name as ntpd reads it: case-insensitive, and "M" for MD5 (the old
   ntp-keygen alias). 0 if unknown. */
static KEY_Type parse_type(const char *s)
{
    if (ascii_ieq(s, "MD5") || ascii_ieq(s, "M"))
        return KEY_TYPE_MD5;
    if (ascii_ieq(s, "SHA1"))
        return KEY_TYPE_SHA1;
    if (ascii_ieq(s, "AES128CMAC"))
        return KEY_TYPE_AES128CMAC;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the KEY field into k->key / k->len (see keys.h for the rule).
   Messages point at a position, never quote the key: they end up in logs. */
static int parse_key(Parser *p, const char *tok, KEY_Key *k)
{
    size_t len = strlen(tok), i;

    /* chrony.keys syntax copied over: ntpd would take "ASCII:secret" as a
       12-character key and "HEX:..." as a bad hex string; say what to do. */
    if (strncmp(tok, "ASCII:", 6) == 0)
        return fail(p, "key %u: 'ASCII:' is chrony's syntax; here a key of up to %d characters "
                    "is written as it is, a longer one in hex", (unsigned)k->id,
                    KEY_MAX_ASCII_LEN);
    if (strncmp(tok, "HEX:", 4) == 0)
        return fail(p, "key %u: 'HEX:' is chrony's syntax; here a hex key is written as its "
                    "digits alone (more than %d of them)", (unsigned)k->id, KEY_MAX_ASCII_LEN);

    if (len <= KEY_MAX_ASCII_LEN) {
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)tok[i];

            /* Blanks, '#' and control characters cannot reach here (the
               line splitter consumed or refused them); what is left to
               refuse is non-ASCII, whose bytes depend on the editor's
               encoding. */
            if (c > 0x7e)
                return fail(p, "key %u: non-ASCII character at position %zu of the key",
                            (unsigned)k->id, i + 1);
            k->key[i] = c;
        }
        k->len = len;
        return 0;
    }

    if (len % 2 != 0)
        return fail(p, "key %u: hex key has an odd number of digits (%zu; keys longer than %d "
                    "characters are hex)", (unsigned)k->id, len, KEY_MAX_ASCII_LEN);
    if (len > 2 * KEY_MAX_LEN)
        return fail(p, "key %u: hex key too long (%zu digits; at most %d, a %d-octet key)",
                    (unsigned)k->id, len, 2 * KEY_MAX_LEN, KEY_MAX_LEN);
    for (i = 0; i < len; i += 2) {
        int hi = hex_value(tok[i]), lo = hex_value(tok[i + 1]);

        if (hi < 0 || lo < 0) {
            /* The partial key is wiped with the parser's array. */
            return fail(p, "key %u: not a hex digit at position %zu of the key (keys longer "
                        "than %d characters are hex)", (unsigned)k->id, hi < 0 ? i + 1 : i + 2,
                        KEY_MAX_ASCII_LEN);
        }
        k->key[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    k->len = len / 2;
    return 0;
}

/* ------------------------------------------------------------------------
 * Lines.
 */

static int is_blank(char c)
{
    /* \r too: a stray CR mid-line is just space, as in conf. */
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static KEY_Key *find_in(KEY_Key *keys, size_t n, uint32_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (keys[i].id == id)
            return &keys[i];
    return NULL;
}

/* Parse p->buf, `len` characters (it may hold NUL bytes read from a file). */
static int parse_line(Parser *p, size_t len)
{
    char *argv[4];
    char *s = p->buf;
    int argc = 0;
    size_t i;
    KEY_Key *k, *dup;
    KEY_Type type;
    uint32_t id;

    /* `#` starts a comment anywhere (ntpd's tokenizer stops at it). */
    for (i = 0; i < len && s[i] != '#'; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && !is_blank(s[i])) || c == 0x7f)
            return fail(p, "invalid character 0x%02x", c);
    }
    s[i] = '\0';

    /* At most 4 tokens are kept: the fourth is only there to be refused. */
    while (*s && argc < 4) {
        while (is_blank(*s))
            s++;
        if (!*s)
            break;
        argv[argc++] = s;
        while (*s && !is_blank(*s))
            s++;
        if (*s)
            *s++ = '\0';
    }
    if (argc == 0)
        return 0;

    id = parse_id(argv[0], strlen(argv[0]));
    if (id == 0)
        return fail(p, "bad key id '%s' (allowed %d..%d)", argv[0], KEY_MIN_ID, KEY_MAX_ID);
    if (argc < 2)
        return fail(p, "missing key type for key %u", (unsigned)id);
    type = parse_type(argv[1]);
    if (!type) {
        /* chrony's name for the same MAC is the likeliest wrong one. */
        if (ascii_ieq(argv[1], "AES128"))
            return fail(p, "unsupported key type '%s' for key %u (chrony's name; ntpd and cntpd "
                        "call it AES128CMAC)", argv[1], (unsigned)id);
        return fail(p, "unsupported key type '%s' for key %u (expected MD5, SHA1 or AES128CMAC)",
                    argv[1], (unsigned)id);
    }
    if (argc < 3)
        return fail(p, "missing key for key %u", (unsigned)id);
    /* Not quoted: it may be the second half of a key with a blank in it. */
    if (argc > 3)
        return fail(p, "unexpected text after the key of key %u (a key cannot contain blanks; "
                    "ntpd's IP access lists are not supported)", (unsigned)id);
    if (p->seen[id / 8] & (1u << (id % 8))) {
        dup = find_in(p->keys, p->n, id);
        return fail(p, "duplicate key id %u (first defined on line %d)", (unsigned)id,
                    dup ? dup->line : 0);
    }
    p->seen[id / 8] |= (uint8_t)(1u << (id % 8));

    if (p->n == p->cap) {
        /* Grow by copying into a fresh array and wiping the old one:
           realloc could leave a copy of the secrets in freed memory. */
        size_t cap = p->cap ? p->cap * 2 : 16;
        KEY_Key *keys = MEM_Calloc(cap, sizeof(*keys));

        if (p->n)
            memcpy(keys, p->keys, p->n * sizeof(*keys));
        free_keys(p->keys, p->cap);
        p->keys = keys;
        p->cap = cap;
    }
    k = &p->keys[p->n];
    memset(k, 0, sizeof(*k));
    k->id = id;
    k->type = type;
    k->line = p->line;
    if (parse_key(p, argv[2], k) < 0)
        return -1;
    p->n++;
    return 0;
}

static int parse_text(Parser *p, const char *text, size_t len)
{
    const char *line;
    size_t n, pos = 0;

    while (TXT_NextLine(text, len, &pos, &line, &n)) {
        p->line++;
        /* Refuse rather than split: the tail parsed as a line of its own
           could define a different key. */
        if (n > KEY_MAX_LINE)
            return fail(p, "line too long (more than %d characters)", KEY_MAX_LINE);
        memcpy(p->buf, line, n);
        p->buf[n] = '\0';
        if (parse_line(p, n) < 0)
            return -1;
    }
    return 0;
}

static int compare_ids(const void *a, const void *b)
{
    const KEY_Key *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static int load(const char *text, size_t len, const char *name, KEY_Table *out, char *err,
                size_t errlen)
{
    Parser *p;
    int r;

    *out = NULL;
    /* On the heap: the line buffer holds a secret and is wiped below. */
    p = MEM_New(Parser);
    p->name = name;
    p->err = err;
    p->errlen = errlen;
    r = parse_text(p, text, len);
    if (r == 0) {
        KEY_Table t = MEM_New(struct KEY_Table_Record);

        /* The parser's array is handed over as it is: no copy of the
           secrets is made. Duplicates were refused, so ids are unique. */
        if (p->n > 1)
            qsort(p->keys, p->n, sizeof(*p->keys), compare_ids);
        t->keys = p->keys;
        t->n = p->n;
        t->cap = p->cap;
        p->keys = NULL;
        *out = t;
    } else {
        free_keys(p->keys, p->cap);
    }
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
    return r;
}

/* ------------------------------------------------------------------------
 * Public functions.
 */

int KEY_LoadString(const char *text, const char *name, KEY_Table *out, char *err,
                   size_t errlen)
{
    TXT_Error(err, errlen, "%s", "");
    return load(text, strlen(text), name ? name : "-", out, err, errlen);
}

int KEY_LoadFile(const char *path, KEY_Table *out, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int r, e;

    TXT_Error(err, errlen, "%s", "");
    *out = NULL;
    /* Read with wiping: no stale copy of the secrets in freed memory. */
    e = TXT_ReadFile(path, MAX_FILE_SIZE, 1, &text, &len);
    if (e == EFBIG)
        return TXT_Error(err, errlen, "%s: cannot read: larger than %u octets, not a keys file",
                         path, MAX_FILE_SIZE);
    if (e)
        return TXT_Error(err, errlen, "%s: cannot read: %s", path, strerror(e));
    r = load(text ? text : "", len, path, out, err, errlen);
    TXT_Free(text, len, 1);
    return r;
}

void KEY_Free(KEY_Table table)
{
    if (!table)
        return;
    free_keys(table->keys, table->cap);
    free(table);
}

const KEY_Key *KEY_Find(KEY_Table table, uint32_t id)
{
    KEY_Key probe;

    if (!table || table->n == 0)
        return NULL;
    probe.id = id;
    return bsearch(&probe, table->keys, table->n, sizeof(*table->keys), compare_ids);
}

size_t KEY_Count(KEY_Table table)
{
    return table ? table->n : 0;
}

const KEY_Key *KEY_Get(KEY_Table table, size_t i)
{
    return table && i < table->n ? &table->keys[i] : NULL;
}

const char *KEY_TypeName(KEY_Type type)
{
    switch (type) {
    case KEY_TYPE_MD5:
        return "MD5";
    case KEY_TYPE_SHA1:
        return "SHA1";
    case KEY_TYPE_AES128CMAC:
        return "AES128CMAC";
    }
    return "?";
}

/* ------------------------------------------------------------------------
 * Key id lists (`trustedkey 1 2 (5 ... 9)`).
 */

typedef struct {
    uint32_t *ids;
    size_t max, n;
    uint8_t seen[(KEY_MAX_ID + 1) / 8 + 1];   /* bitmap: dedup in O(1) */
} IdList;

static int add_id(IdList *l, uint32_t id, char *err, size_t errlen)
{
    if (l->seen[id / 8] & (1u << (id % 8)))
        return 0;
    if (l->n >= l->max) {
        TXT_Error(err, errlen, "too many key ids (at most %zu)", l->max);
        return -1;
    }
    l->seen[id / 8] |= (uint8_t)(1u << (id % 8));
    l->ids[l->n++] = id;
    return 0;
}

int KEY_ParseIdList(int argc, char *const *argv, uint32_t *ids, size_t max, size_t *n,
                    char *err, size_t errlen)
{
    /* States of the range grammar '(' ID '...' ID ')'. */
    enum { WANT_ITEM, WANT_FIRST, WANT_DOTS, WANT_LAST, WANT_CLOSE } state = WANT_ITEM;
    IdList *l;
    uint32_t first = 0, last = 0;
    int i, r = -1;

    *n = 0;
    TXT_Error(err, errlen, "%s", "");
    if (argc <= 0) {
        TXT_Error(err, errlen, "missing key id");
        return -1;
    }
    l = MEM_New(IdList);        /* the bitmap is 8 KiB: not on the stack */
    l->ids = ids;
    l->max = max;

    for (i = 0; i < argc; i++) {
        const char *s = argv[i];

        /* Split the token into lexemes: '(' and ')' stand alone (ntpd's
           scanner treats them as special characters), any other run of
           characters is one lexeme. */
        while (*s) {
            const char *lex = s;
            size_t len;
            uint32_t id;

            if (*s == '(' || *s == ')')
                s++;
            else
                while (*s && *s != '(' && *s != ')')
                    s++;
            len = (size_t)(s - lex);

            switch (state) {
            case WANT_ITEM:
                if (*lex == '(') {
                    state = WANT_FIRST;
                    continue;
                }
                break;
            case WANT_FIRST:
            case WANT_LAST:
                break;
            case WANT_DOTS:
                if (len == 3 && strncmp(lex, "...", 3) == 0) {
                    state = WANT_LAST;
                    continue;
                }
                TXT_Error(err, errlen, "bad key range: expected '...' after '(%u', found '%.*s'",
                        (unsigned)first, (int)len, lex);
                goto out;
            case WANT_CLOSE:
                if (*lex == ')') {
                    if (first > last) {
                        TXT_Error(err, errlen, "bad key range (%u ... %u): first greater than last",
                                (unsigned)first, (unsigned)last);
                        goto out;
                    }
                    for (id = first; id <= last; id++)
                        if (add_id(l, id, err, errlen) < 0)
                            goto out;
                    state = WANT_ITEM;
                    continue;
                }
                TXT_Error(err, errlen, "bad key range: expected ')' after '(%u ... %u', found '%.*s'",
                        (unsigned)first, (unsigned)last, (int)len, lex);
                goto out;
            }

            /* WANT_ITEM (not '('), WANT_FIRST, WANT_LAST: a key id. */
            id = parse_id(lex, len);
            if (id == 0) {
                TXT_Error(err, errlen, "bad key id '%.*s' (allowed %d..%d)", (int)len, lex,
                        KEY_MIN_ID, KEY_MAX_ID);
                goto out;
            }
            if (state == WANT_ITEM) {
                if (add_id(l, id, err, errlen) < 0)
                    goto out;
            } else if (state == WANT_FIRST) {
                first = id;
                state = WANT_DOTS;
            } else {
                last = id;
                state = WANT_CLOSE;
            }
        }
    }
    if (state != WANT_ITEM) {
        TXT_Error(err, errlen, "bad key range: unterminated '(' (expected '(FIRST ... LAST)')");
        goto out;
    }
    *n = l->n;
    r = 0;
out:
    free(l);
    return r;
}
