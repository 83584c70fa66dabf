/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: MAC and VLAN filters of the
 * VF's VSI, and the receive decision they make.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/cutils.h"
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

static bool vlan_set(I40EVFCore *core, uint16_t vid)
{
    return core->vlans[vid / 32] & BIT(vid % 32);
}

static unsigned int vlan_count(I40EVFCore *core)
{
    unsigned int n = 0;

    for (int i = 0; i < I40E_VF_VLAN_WORDS; i++) {
        n += ctpop32(core->vlans[i]);
    }
    return n;
}

/*
 * How many more addresses this VF may add.  Like i40e_check_vf_permission
 * an untrusted VF's limit counts filter entries: every address, the
 * broadcast one included, once without VLAN filters, else once per VLAN
 * and once for VLAN 0.  A trusted VF is bounded by the table.
 */
unsigned int i40e_vf_filter_mac_room(I40EVFCore *core)
{
    unsigned int vlans = vlan_count(core);
    unsigned int entries = (mac_count(core) + 1) * (vlans ? vlans + 1 : 1);

    if (core->trusted) {
        return I40E_VF_MAX_MACS - mac_count(core);
    }
    return I40E_VF_MAX_MACS_UNTRUSTED - MIN(entries,
                                            I40E_VF_MAX_MACS_UNTRUSTED);
}

/* The caller has checked i40e_vf_filter_mac_room(). */
void i40e_vf_filter_add_mac(I40EVFCore *core, const uint8_t *addr,
                            uint8_t type)
{
    I40EVFMacFilter *f = find_mac(core, addr);

    for (int i = 0; !f; i++) {
        assert(i < I40E_VF_MAX_MACS);
        if (!core->macs[i].in_use) {
            f = &core->macs[i];
            memcpy(f->addr, addr, ETH_ALEN);
            f->in_use = true;
        }
    }
    f->type = type & VIRTCHNL_ETHER_ADDR_TYPE_MASK;
    trace_i40e_vf_filter_mac(true, addr[0], addr[1], addr[2], addr[3],
                             addr[4], addr[5]);
}

bool i40e_vf_filter_del_mac(I40EVFCore *core, const uint8_t *addr)
{
    I40EVFMacFilter *f = find_mac(core, addr);

    if (!f) {
        return false;
    }
    f->in_use = false;
    trace_i40e_vf_filter_mac(false, addr[0], addr[1], addr[2], addr[3],
                             addr[4], addr[5]);
    return true;
}

/* A unicast address still in the table, or NULL. */
const uint8_t *i40e_vf_filter_any_unicast(I40EVFCore *core)
{
    for (int i = 0; i < I40E_VF_MAX_MACS; i++) {
        if (core->macs[i].in_use &&
            !is_multicast_ether_addr(core->macs[i].addr)) {
            return core->macs[i].addr;
        }
    }
    return NULL;
}

/* Like i40e_vsi_add_vlan: VLAN 0 adds no filter but still counts. */
void i40e_vf_filter_add_vlan(I40EVFCore *core, uint16_t vid)
{
    core->num_vlan++;
    if (vid) {
        core->vlans[vid / 32] |= BIT(vid % 32);
    }
    trace_i40e_vf_filter_vlan(true, vid);
}

/* Like i40e_vc_remove_vlan_msg, the count drops even for absent VLANs. */
void i40e_vf_filter_del_vlan(I40EVFCore *core, uint16_t vid)
{
    core->num_vlan--;
    core->vlans[vid / 32] &= ~BIT(vid % 32);
    trace_i40e_vf_filter_vlan(false, vid);
}

bool i40e_vf_filter_has_vlan(I40EVFCore *core, uint16_t vid)
{
    return vlan_set(core, vid);
}

bool i40e_vf_filter_any_vlan(I40EVFCore *core)
{
    return vlan_count(core);
}

/*
 * After a VF reset the VSI is new: its filters are the broadcast address
 * (implicit here) and the VF's default address, if it has one.
 */
void i40e_vf_filter_reset(I40EVFCore *core)
{
    memset(core->macs, 0, sizeof(core->macs));
    memset(core->vlans, 0, sizeof(core->vlans));
    core->num_vlan = 0;
    if (!buffer_is_zero(core->default_mac.a, ETH_ALEN)) {
        i40e_vf_filter_add_mac(core, core->default_mac.a,
                               VIRTCHNL_ETHER_ADDR_PRIMARY);
    }
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
