/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: MAC and VLAN filters of the
 * VF's VSI, and the receive decision they make.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "net/eth.h"
#include "i40e-vf-core.h"
#include "trace.h"

static I40EVFMacFilter *find_mac(I40EVFCore *core, const uint8_t *addr)
{
    for (int i = 0; i < I40E_VF_MAX_MACS; i++) {
        if (core->macs[i].in_use &&
            !memcmp(core->macs[i].addr, addr, ETH_ALEN)) {
            return &core->macs[i];
        }
    }
    return NULL;
}

static unsigned int mac_count(I40EVFCore *core)
{
    unsigned int n = 0;

    for (int i = 0; i < I40E_VF_MAX_MACS; i++) {
        n += core->macs[i].in_use;
    }
    return n;
}

bool i40e_vf_filter_has_mac(I40EVFCore *core, const uint8_t *addr)
{
    return find_mac(core, addr);
}

/* How many more addresses this VF may add. */
unsigned int i40e_vf_filter_mac_room(I40EVFCore *core)
{
    unsigned int limit = core->trusted ? I40E_VF_MAX_MACS
                                       : I40E_VF_MAX_MACS_UNTRUSTED;

    return limit - MIN(mac_count(core), limit);
}

int i40e_vf_filter_add_mac(I40EVFCore *core, const uint8_t *addr,
                           uint8_t type)
{
    I40EVFMacFilter *f = find_mac(core, addr);

    if (!f) {
        if (!i40e_vf_filter_mac_room(core)) {
            qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: MAC filter table full\n");
            return VIRTCHNL_STATUS_ERR_NO_MEMORY;
        }
        for (int i = 0; !f; i++) {
            if (!core->macs[i].in_use) {
                f = &core->macs[i];
            }
        }
        memcpy(f->addr, addr, ETH_ALEN);
        f->in_use = true;
    }
    f->type = type & VIRTCHNL_ETHER_ADDR_TYPE_MASK;
    trace_i40e_vf_filter_mac(true, addr[0], addr[1], addr[2], addr[3],
                             addr[4], addr[5]);
    return VIRTCHNL_STATUS_SUCCESS;
}

void i40e_vf_filter_del_mac(I40EVFCore *core, const uint8_t *addr)
{
    I40EVFMacFilter *f = find_mac(core, addr);

    if (f) {
        f->in_use = false;
        trace_i40e_vf_filter_mac(false, addr[0], addr[1], addr[2], addr[3],
                                 addr[4], addr[5]);
    }
}

static bool vlan_set(I40EVFCore *core, uint16_t vid)
{
    return core->vlans[vid / 32] & BIT(vid % 32);
}

int i40e_vf_filter_add_vlan(I40EVFCore *core, uint16_t vid)
{
    unsigned int n = 0;

    /* VLAN 0 (untagged and priority-tagged) is always accepted. */
    if (!vid || vlan_set(core, vid)) {
        return VIRTCHNL_STATUS_SUCCESS;
    }
    for (int i = 0; i < I40E_VF_VLAN_WORDS; i++) {
        n += ctpop32(core->vlans[i]);
    }
    if (!core->trusted && n >= I40E_VF_MAX_VLANS_UNTRUSTED) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: untrusted VF limited to %d VLAN filters\n",
                      I40E_VF_MAX_VLANS_UNTRUSTED);
        return VIRTCHNL_STATUS_ERR_PARAM;
    }
    core->vlans[vid / 32] |= BIT(vid % 32);
    trace_i40e_vf_filter_vlan(true, vid);
    return VIRTCHNL_STATUS_SUCCESS;
}

void i40e_vf_filter_del_vlan(I40EVFCore *core, uint16_t vid)
{
    core->vlans[vid / 32] &= ~BIT(vid % 32);
    trace_i40e_vf_filter_vlan(false, vid);
}

/* After a VF reset only the address the PF assigned is left. */
void i40e_vf_filter_reset(I40EVFCore *core)
{
    memset(core->macs, 0, sizeof(core->macs));
    memset(core->vlans, 0, sizeof(core->vlans));
    i40e_vf_filter_add_mac(core, core->default_mac.a,
                           VIRTCHNL_ETHER_ADDR_PRIMARY);
}

/* Would the VSI take this frame?  VLAN filters apply in every mode. */
bool i40e_vf_filter_accept(I40EVFCore *core, const uint8_t *frame, size_t len)
{
    const struct eth_header *eh = (const struct eth_header *)frame;

    if (len < sizeof(struct eth_header) + 4) {
        return false;
    }
    if (be16_to_cpu(eh->h_proto) == ETH_P_VLAN) {
        uint16_t vid = lduw_be_p(frame + sizeof(*eh)) & 0xfff;

        if (vid && !vlan_set(core, vid)) {
            trace_i40e_vf_rx_drop("VLAN filter");
            return false;
        }
    }
    if (is_broadcast_ether_addr(eh->h_dest)) {
        return true;
    }
    if (core->promisc & (is_multicast_ether_addr(eh->h_dest)
                         ? FLAG_VF_MULTICAST_PROMISC
                         : FLAG_VF_UNICAST_PROMISC)) {
        return true;
    }
    if (find_mac(core, eh->h_dest)) {
        return true;
    }
    trace_i40e_vf_rx_drop("MAC filter");
    return false;
}
