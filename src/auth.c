/* auth — see auth.h. */
#include "auth.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ntp_pkt.h"

#define CMAC_KEY_LEN 16   /* AES-128 */

/* Fetched once (OpenSSL 3 "explicit fetch": the implicit EVP_md5() path
   looks the algorithm up again on every use). NULL until first needed and
   after AUTH_Fini. */
static EVP_MD *md5_md;
static EVP_MD *sha1_md;
static EVP_MD_CTX *md_ctx;
static EVP_MAC *cmac_mac;

static const EVP_MD *get_md(EVP_MD **slot, const char *name)
{
    if (!*slot)
        *slot = EVP_MD_fetch(NULL, name, NULL);
    return *slot;
}

/* digest(key || data): the MAC of RFC 5905 section 7.3 as ntpd and chronyd
   compute it. The context is reused; after EVP_DigestFinal_ex it holds
   only the final state (the MAC itself, which goes on the wire), since the
   hash implementations wipe their input block when finishing. */
static size_t digest_mac(const EVP_MD *md, const KEY_Key *key, const uint8_t *data, size_t len,
                         uint8_t *out)
{
    unsigned int outl = 0;

    if (!md)
        return 0;
    if (!md_ctx && !(md_ctx = EVP_MD_CTX_new()))
        return 0;
    if (!EVP_DigestInit_ex2(md_ctx, md, NULL) ||
        !EVP_DigestUpdate(md_ctx, key->key, key->len) ||
        !EVP_DigestUpdate(md_ctx, data, len) ||
        !EVP_DigestFinal_ex(md_ctx, out, &outl))
        return 0;
    return outl;
}

/* AES-128-CMAC (RFC 4493) over data, RFC 8573. The key is brought to 16
   octets as ntpd does: zero-padded when shorter, its first 16 octets when
   longer (ntpd passes AES_128_KEY_SIZE to CMAC_Init whatever the key's
   length). A fresh context per call, freed at once: a kept one would hold
   the AES key schedule between packets. */
static size_t cmac_mac_compute(const KEY_Key *key, const uint8_t *data, size_t len, uint8_t *out)
{
    static char cipher[] = "AES-128-CBC";
    uint8_t k16[CMAC_KEY_LEN];
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;
    size_t outl = 0;

    if (!cmac_mac && !(cmac_mac = EVP_MAC_fetch(NULL, "CMAC", NULL)))
        return 0;
    ctx = EVP_MAC_CTX_new(cmac_mac);
    if (!ctx)
        return 0;

    memset(k16, 0, sizeof(k16));
    memcpy(k16, key->key, key->len < CMAC_KEY_LEN ? key->len : CMAC_KEY_LEN);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, k16, sizeof(k16), params) ||
        !EVP_MAC_update(ctx, data, len) ||
        !EVP_MAC_final(ctx, out, &outl, AUTH_MAX_DIGEST_LEN) ||
        outl != CMAC_KEY_LEN)
        outl = 0;
    EVP_MAC_CTX_free(ctx);
    OPENSSL_cleanse(k16, sizeof(k16));
    return outl;
}

size_t AUTH_DigestLength(KEY_Type type)
{
    switch (type) {
    case KEY_TYPE_MD5:
        return 16;
    case KEY_TYPE_SHA1:
        return 20;
    case KEY_TYPE_AES128CMAC:
        return 16;
    }
    return 0;
}

size_t AUTH_Compute(const KEY_Key *key, const uint8_t *data, size_t len, uint8_t *mac_out)
{
    size_t n = 0;

    if (!mac_out)
        return 0;
    /* A key the loader could not have produced (len 0, or beyond the
       array) is refused rather than read past. */
    if (key && key->len > 0 && key->len <= KEY_MAX_LEN && (data || len == 0)) {
        switch (key->type) {
        case KEY_TYPE_MD5:
            n = digest_mac(get_md(&md5_md, "MD5"), key, data, len, mac_out);
            break;
        case KEY_TYPE_SHA1:
            n = digest_mac(get_md(&sha1_md, "SHA1"), key, data, len, mac_out);
            break;
        case KEY_TYPE_AES128CMAC:
            n = cmac_mac_compute(key, data, len, mac_out);
            break;
        }
        /* Belt and braces: whatever OpenSSL returned, only the type's
           length is a MAC. */
        if (n != AUTH_DigestLength(key->type))
            n = 0;
    }
    if (n == 0)
        memset(mac_out, 0, AUTH_MAX_DIGEST_LEN);
    return n;
}

int AUTH_Verify(const KEY_Key *key, const uint8_t *data, size_t len, const uint8_t *mac,
                size_t mac_len)
{
    uint8_t want[AUTH_MAX_DIGEST_LEN];
    size_t n;
    int ok;

    if (!key || !mac || mac_len == 0 || mac_len != AUTH_DigestLength(key->type))
        return 0;
    n = AUTH_Compute(key, data, len, want);
    /* CRYPTO_memcmp: the time taken must not tell an attacker how many
       leading octets of a forged MAC were right. */
    ok = n == mac_len && CRYPTO_memcmp(want, mac, n) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The MAC trailer starts on a 32-bit boundary after at least the header
   (RFC 7822: extension fields are multiples of 4 octets); anything else is
   a caller's bug, refused rather than sent as a packet nobody can parse. */
static int trailer_fits(const uint8_t *pkt, size_t header_len, size_t bufsize, size_t need)
{
    return pkt && header_len >= NTP_HEADER_LEN && header_len % 4 == 0 &&
           header_len <= bufsize && bufsize - header_len >= need;
}

size_t AUTH_AppendMac(const KEY_Key *key, uint8_t *pkt, size_t header_len, size_t bufsize)
{
    uint8_t mac[AUTH_MAX_DIGEST_LEN];
    size_t dlen, n;

    if (!key)
        return 0;
    dlen = AUTH_DigestLength(key->type);
    if (dlen == 0 || !trailer_fits(pkt, header_len, bufsize, AUTH_KEY_ID_LEN + dlen))
        return 0;
    /* Into a local buffer first, so a failure leaves the packet as it was. */
    n = AUTH_Compute(key, pkt, header_len, mac);
    if (n != dlen)
        return 0;
    put32(pkt + header_len, key->id);
    memcpy(pkt + header_len + AUTH_KEY_ID_LEN, mac, n);
    return header_len + AUTH_KEY_ID_LEN + n;
}

size_t AUTH_AppendCryptoNak(uint8_t *pkt, size_t header_len, size_t bufsize)
{
    if (!trailer_fits(pkt, header_len, bufsize, AUTH_KEY_ID_LEN))
        return 0;
    put32(pkt + header_len, 0);
    return header_len + AUTH_KEY_ID_LEN;
}

void AUTH_Fini(void)
{
    EVP_MD_CTX_free(md_ctx);
    md_ctx = NULL;
    EVP_MD_free(md5_md);
    md5_md = NULL;
    EVP_MD_free(sha1_md);
    sha1_md = NULL;
    EVP_MAC_free(cmac_mac);
    cmac_mac = NULL;
}
