/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the VF's writes to guest memory while migrating.
 *
 * The VF writes received frames into the guest's buffers and their
 * descriptors into the rings, behind the dirty log.  Where the host offers
 * no dirty tracking of device DMA (vfio-user never does), the trap works
 * out which pages the VF may have written.  While migrating, the page of
 * the RX tail doorbells is trapped: each tail write says which
 * descriptors were just posted, and QEMU reads their buffer addresses
 * before the VF overwrites them with its write-back.  Before every dirty
 * bitmap sync, QEMU marks dirty the buffers outstanding at the previous
 * sync and the buffers posted since, except those still unwritten in
 * their slot, and all RX ring memory.  A write the VF made between two
 * syncs went into one of those, so the next pass sends it: nothing on
 * the destination is stale, and only written buffers are sent again.
 * The final sync comes after
 * the queues are stopped, so it catches the last writes.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "system/memory.h"
#include "migration/misc.h"
#include "system/address-spaces.h"
#include "hw/vfio/i40evf.h"
#include "trace.h"

static bool dirty_rx_ring(I40EVFTrap *t, unsigned int q, uint64_t *base,
                          uint32_t *len, uint32_t *buf_size)
{
    const struct virtchnl_rxq_info *rxq = &t->shadow.qpair[q].rxq;

    if (!(t->shadow.configured_queues & BIT(q))) {
        return false;
    }
    *base = le64_to_cpu(rxq->dma_ring_addr) & ~127ULL;
    *len = le32_to_cpu(rxq->ring_len);
    *buf_size = le32_to_cpu(rxq->databuffer_size);
    return *len && *len <= I40E_VF_MAX_RING_LEN;
}

static void dirty_mark_dirty(uint64_t gpa, uint64_t len)
{
    MemoryRegionSection sec = memory_region_find(get_system_memory(), gpa,
                                                 len);

    if (!sec.mr) {
        return;
    }
    if (memory_region_is_ram(sec.mr)) {
        memory_region_set_dirty(sec.mr, sec.offset_within_region,
                                int128_get64(sec.size));
    }
    memory_region_unref(sec.mr);
}

/* One posting of a buffer: which slot, and which posting of that slot */
typedef struct RxPosting {
    uint64_t addr;
    uint32_t slot;
    uint32_t gen;
} RxPosting;

static void dirty_rx_post(I40EVFRxTrack *rt, uint32_t slot, uint64_t addr)
{
    RxPosting p = { .addr = addr, .slot = slot, .gen = ++rt->gen[slot] };

    rt->posted[slot] = addr;
    g_array_append_val(rt->to_mark, p);
}

/*
 * The VF cannot have written a buffer that still sits, unwritten, in the
 * slot it was last posted to: its descriptor still holds its address and
 * no write-back.  A slot posted again since was written in between.
 */
static bool dirty_rx_unwritten(I40EVFTrap *t, I40EVFRxTrack *rt, uint64_t base,
                               const RxPosting *p)
{
    uint64_t desc[2];

    return p->gen == rt->gen[p->slot] &&
           pci_dma_read(PCI_DEVICE(t->vdev),
                        base + p->slot * I40E_RX_DESC_SIZE, desc,
                        sizeof(desc)) == MEMTX_OK &&
           le64_to_cpu(desc[0]) == p->addr &&
           !(le64_to_cpu(desc[1]) & I40E_RXD_STATUS_DD);
}

/* Record the buffers of descriptors [from, to) of RX queue @q. */
static void dirty_rx_posted(I40EVFTrap *t, unsigned int q, uint32_t from,
                            uint32_t to)
{
    I40EVFRxTrack *rt = &t->dirty.rx_track[q];
    uint32_t len, buf_size;
    uint64_t base;

    if (!dirty_rx_ring(t, q, &base, &len, &buf_size)) {
        return;
    }
    for (uint32_t i = from % len; i != to % len; i = (i + 1) % len) {
        uint64_t addr;

        if (pci_dma_read(PCI_DEVICE(t->vdev), base + i * I40E_RX_DESC_SIZE,
                         &addr, sizeof(addr)) != MEMTX_OK) {
            return;
        }
        dirty_rx_post(rt, i, le64_to_cpu(addr));
    }
}

/* The guest posted RX buffers: recorded, and the VF gets the tail */
static bool dirty_tail_write(void *opaque, bool tx, unsigned int q,
                             uint32_t val)
{
    I40EVFTrap *t = opaque;

    dirty_rx_posted(t, q, t->dirty.rx_track[q].tail, val);
    t->dirty.rx_track[q].tail = val;
    return false;
}

/* Before each dirty bitmap sync */
static int i40evf_dirty_sync(NotifierWithReturn *n, void *data, Error **errp)
{
    I40EVFTrap *t = container_of(n, I40EVFTrap, dirty.precopy_notifier);
    PrecopyNotifyData *pnd = data;
    unsigned int marked = 0;

    if (pnd->reason != PRECOPY_NOTIFY_BEFORE_BITMAP_SYNC ||
        !t->dirty.tracking) {
        return 0;
    }
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        I40EVFRxTrack *rt = &t->dirty.rx_track[q];
        uint32_t len, buf_size;
        uint64_t base;

        if (!dirty_rx_ring(t, q, &base, &len, &buf_size)) {
            continue;
        }
        dirty_mark_dirty(base, (uint64_t)len * I40E_RX_DESC_SIZE);
        for (guint i = 0; i < rt->to_mark->len; i++) {
            RxPosting *p = &g_array_index(rt->to_mark, RxPosting, i);

            if (!dirty_rx_unwritten(t, rt, base, p)) {
                dirty_mark_dirty(p->addr, buf_size);
                marked++;
            }
        }
        /* What is outstanding now is what the next sync looks at first */
        g_array_set_size(rt->to_mark, 0);
        for (uint32_t i = 0; i < len; i++) {
            if (rt->posted[i]) {
                RxPosting p = { rt->posted[i], i, rt->gen[i] };

                g_array_append_val(rt->to_mark, p);
            }
        }
    }
    trace_i40evf_dirty_sync(i40evf_name(t), marked);
    return 0;
}

/*
 * Migration starts: take the buffers already posted (descriptors the VF
 * has not written back still hold their address) and trap the tails.
 */
void i40evf_dirty_start(I40EVFTrap *t)
{
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        I40EVFRxTrack *rt = &t->dirty.rx_track[q];
        uint32_t len, buf_size;
        uint64_t base;

        rt->posted = g_new0(uint64_t, I40E_VF_MAX_RING_LEN);
        rt->gen = g_new0(uint32_t, I40E_VF_MAX_RING_LEN);
        rt->to_mark = g_array_new(false, false, sizeof(RxPosting));
        if (!dirty_rx_ring(t, q, &base, &len, &buf_size)) {
            continue;
        }
        for (uint32_t i = 0; i < len; i++) {
            uint64_t desc[2];

            if (pci_dma_read(PCI_DEVICE(t->vdev), base + i * I40E_RX_DESC_SIZE,
                             desc, sizeof(desc)) == MEMTX_OK &&
                !(le64_to_cpu(desc[1]) & I40E_RXD_STATUS_DD)) {
                dirty_rx_post(rt, i, le64_to_cpu(desc[0]));
            }
        }
        rt->tail = i40evf_hw_read(&t->mbx, I40E_QRX_TAIL1(q)) % len;
    }
    t->dirty.tracking = true;
    t->dirty.hook.rx = true;
    i40evf_trap_update_tails(t);
    trace_i40evf_dirty_tracking(i40evf_name(t), true);
}

/* Migration is over, done or not: the tails are the VF's again. */
void i40evf_dirty_stop(I40EVFTrap *t)
{
    if (!t->dirty.tracking) {
        return;
    }
    t->dirty.tracking = false;
    t->dirty.hook.rx = false;
    i40evf_trap_update_tails(t);
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        g_clear_pointer(&t->dirty.rx_track[q].posted, g_free);
        g_clear_pointer(&t->dirty.rx_track[q].gen, g_free);
        g_array_free(t->dirty.rx_track[q].to_mark, true);
        t->dirty.rx_track[q].to_mark = NULL;
    }
    trace_i40evf_dirty_tracking(i40evf_name(t), false);
}

void i40evf_dirty_init(I40EVFTrap *t)
{
    t->dirty.hook = (I40EVFTailHook) {
        .write = dirty_tail_write,
        .opaque = t,
    };
    i40evf_trap_add_tail_hook(t, &t->dirty.hook);
    t->dirty.precopy_notifier.notify = i40evf_dirty_sync;
    precopy_add_notifier(&t->dirty.precopy_notifier);
}

void i40evf_dirty_exit(I40EVFTrap *t)
{
    i40evf_dirty_stop(t);
    precopy_remove_notifier(&t->dirty.precopy_notifier);
}
