/* counters — see counters.h. */
#include "counters.h"

#include <inttypes.h>
#include <stdio.h>

CNT_Counters CNT;

uint64_t CNT_Dropped(void)
{
    return CNT.rx_bad_address + CNT.rx_too_long + CNT.rx_malformed + CNT.rx_bad_mode +
           CNT.rx_no_assoc + CNT.rx_rejected + CNT.rx_auth_failed + CNT.srv_denied +
           CNT.ctl_malformed + CNT.ctl_denied + CNT.ctl_limited;
}

void CNT_Format(char *buf, size_t len)
{
    snprintf(buf, len,
             "rx=%" PRIu64 " dropped=%" PRIu64 " (malformed=%" PRIu64 " too_long=%" PRIu64
             " bad_mode=%" PRIu64 " no_assoc=%" PRIu64 " rejected=%" PRIu64
             " bad_address=%" PRIu64 " auth=%" PRIu64 ") kod_rx=%" PRIu64 " unsynced=%" PRIu64
             " accepted=%" PRIu64
             " requests=%" PRIu64 " replies=%" PRIu64 " kod_sent=%" PRIu64 " nak_sent=%" PRIu64
             " denied=%" PRIu64 " limited=%" PRIu64 " tx=%" PRIu64 " tx_errors=%" PRIu64
             " tx_batched=%" PRIu64 " tx_batch_spread_max_ns=%" PRIu64
             " mode6_answered=%" PRIu64 " mode6_errors=%" PRIu64 " mode6_frags=%" PRIu64
             " mode6_malformed=%" PRIu64 " mode6_denied=%" PRIu64 " mode6_limited=%" PRIu64,
             CNT.rx_packets, CNT_Dropped(), CNT.rx_malformed, CNT.rx_too_long, CNT.rx_bad_mode,
             CNT.rx_no_assoc, CNT.rx_rejected, CNT.rx_bad_address, CNT.rx_auth_failed, CNT.rx_kod,
             CNT.rx_unsynced, CNT.rx_accepted,
             CNT.srv_requests, CNT.srv_replies, CNT.srv_kod_sent, CNT.srv_crypto_nak,
             CNT.srv_denied, CNT.srv_limited, CNT.tx_packets, CNT.tx_errors,
             CNT.tx_batched, CNT.tx_batch_spread_max_ns,
             CNT.ctl_answered, CNT.ctl_errors, CNT.ctl_fragments,
             CNT.ctl_malformed, CNT.ctl_denied, CNT.ctl_limited);
}
