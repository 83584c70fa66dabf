/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel Ethernet 700-series (X710/XL710/XXV710) virtual function: the
 * registers of BAR0, the admin-queue descriptor and the RX/TX descriptor
 * layouts.  One copy, shared by the emulated VF, the passthrough device
 * and the tests.
 */

#ifndef HW_NET_I40E_VF_REGS_H
#define HW_NET_I40E_VF_REGS_H

/* PCI identity */
#define I40E_VF_VENDOR_ID           0x8086
#define I40E_VF_DEVICE_ID           0x154c
#define I40E_VF_REVISION            0x02

#define I40E_VF_BAR0_SIZE           0x10000
#define I40E_VF_MSIX_BAR            3
#define I40E_VF_MSIX_BAR_SIZE       0x4000
#define I40E_VF_MSIX_TABLE_OFFSET   0x0000
#define I40E_VF_MSIX_PBA_OFFSET     0x2000
#define I40E_VF_MSIX_CAP_OFFSET     0x70
#define I40E_VF_PCIE_CAP_OFFSET     0xa0
#define I40E_VF_AER_CAP_OFFSET      0x100

/* Hardware limits */
#define I40E_VF_MAX_QUEUES          16
#define I40E_VF_MAX_VECTORS         17      /* mailbox + one per queue */
#define I40E_VF_MAX_RING_LEN        0x1fe0  /* 8160 descriptors */
#define I40E_VF_RING_ALIGN          128
#define I40E_VF_RXBUF_UNIT          128
#define I40E_VF_MAX_RXBUF           (16384 - 128)
#define I40E_VF_MIN_PKT             64
#define I40E_VF_MAX_PKT             16383
#define I40E_VF_MAX_TXBUF           16383

/* BAR0 registers */
#define I40E_QTX_TAIL1(q)           (0x0000 + 4 * (q))
#define I40E_QRX_TAIL1(q)           (0x2000 + 4 * (q))
#define I40E_VFINT_ITRN1(i, v)      (0x2800 + 64 * (i) + 4 * (v))
#define I40E_VFINT_DYN_CTLN1(v)     (0x3800 + 4 * (v))
#define I40E_VFINT_ICR01            0x4800
#define I40E_VFINT_ITR01(i)         (0x4c00 + 4 * (i))
#define I40E_VFINT_ICR0_ENA1        0x5000
#define I40E_VFINT_STAT_CTL01       0x5400
#define I40E_VFINT_DYN_CTL01        0x5c00
#define I40E_VF_ARQBAH1             0x6000
#define I40E_VF_ATQH1               0x6400
#define I40E_VF_ATQLEN1             0x6800
#define I40E_VF_ARQBAL1             0x6c00
#define I40E_VF_ARQT1               0x7000
#define I40E_VF_ARQH1               0x7400
#define I40E_VF_ATQBAH1             0x7800
#define I40E_VF_ATQBAL1             0x7c00
#define I40E_VF_ARQLEN1             0x8000
#define I40E_VF_ATQT1               0x8400
#define I40E_VFGEN_RSTAT            0x8800
#define I40E_VFQF_HENA(i)           (0xc400 + 4 * (i))
#define I40E_VFQF_HKEY(i)           (0xcc00 + 4 * (i))
#define I40E_VFQF_HLUT(i)           (0xd000 + 4 * (i))
#define I40E_VFQF_HREGION(i)        (0xd400 + 4 * (i))
#define I40E_VFCM_PE_ERRINFO        0xd800
#define I40E_VFCM_PE_ERRDATA        0xdc00

#define I40E_VF_ITR_INDICES         3       /* ITR 0 (RX), 1 (TX), 2 */
#define I40E_VFQF_HENA_REGS         2
#define I40E_VFQF_HKEY_REGS         13
#define I40E_VFQF_HLUT_REGS         16
#define I40E_VFQF_HREGION_REGS      8

/* The admin-queue register pages that the passthrough device traps. */
#define I40E_VF_AQ_REGS_START       0x6000
#define I40E_VF_AQ_REGS_END         0x9000

/* ATQLEN1 / ARQLEN1 */
#define I40E_VF_AQLEN_LEN_MASK      0x3ff
#define I40E_VF_AQLEN_VFE           (1u << 28)
#define I40E_VF_AQLEN_OVFL          (1u << 29)
#define I40E_VF_AQLEN_CRIT          (1u << 30)
#define I40E_VF_AQLEN_ENABLE        (1u << 31)
#define I40E_VF_AQLEN_ERRORS \
    (I40E_VF_AQLEN_VFE | I40E_VF_AQLEN_OVFL | I40E_VF_AQLEN_CRIT)
#define I40E_VF_AQ_HT_MASK          0x3ff   /* head and tail registers */

/* VFGEN_RSTAT */
#define I40E_VFGEN_RSTAT_VFR_STATE_MASK 0x3
#define I40E_VFR_INPROGRESS         0
#define I40E_VFR_COMPLETED          1
#define I40E_VFR_VFACTIVE           2

/* VFINT_DYN_CTL01 / VFINT_DYN_CTLN1 */
#define I40E_VFINT_DYN_CTL_INTENA           (1u << 0)
#define I40E_VFINT_DYN_CTL_CLEARPBA         (1u << 1)
#define I40E_VFINT_DYN_CTL_SWINT_TRIG       (1u << 2)
#define I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT   3
#define I40E_VFINT_DYN_CTL_ITR_INDX_MASK    (3u << 3)
#define I40E_VFINT_DYN_CTL_INTERVAL_SHIFT   5
#define I40E_VFINT_DYN_CTL_INTERVAL_MASK    (0xfffu << 5)
#define I40E_VFINT_DYN_CTL_SW_ITR_INDX_ENA  (1u << 24)
#define I40E_VFINT_DYN_CTL_SW_ITR_INDX_MASK (3u << 25)
#define I40E_VFINT_DYN_CTL_WB_ON_ITR        (1u << 30)
#define I40E_VFINT_DYN_CTL_INTENA_MSK       (1u << 31)
#define I40E_VFINT_ITR_NONE                 3

/* VFINT_ICR01 and VFINT_ICR0_ENA1 */
#define I40E_VFINT_ICR01_INTEVENT           (1u << 0)
#define I40E_VFINT_ICR01_QUEUE_0            (1u << 1)
#define I40E_VFINT_ICR01_LINK_STAT_CHANGE   (1u << 25)
#define I40E_VFINT_ICR01_ADMINQ             (1u << 30)
#define I40E_VFINT_ICR01_SWINT              (1u << 31)
#define I40E_VFINT_ICR0_ENA1_WRITABLE \
    (I40E_VFINT_ICR01_LINK_STAT_CHANGE | I40E_VFINT_ICR01_ADMINQ)

#define I40E_VFINT_ITR_INTERVAL_MASK        0xfff

/* Queue tails: 13-bit descriptor index */
#define I40E_QTAIL_MASK                     0x1fff

/* Admin queue descriptor (32 bytes, little-endian) */
struct i40e_aq_desc {
    uint16_t flags;
    uint16_t opcode;
    uint16_t datalen;
    uint16_t retval;
    uint32_t cookie_high;   /* virtchnl opcode */
    uint32_t cookie_low;    /* virtchnl status */
    uint32_t param0;
    uint32_t param1;
    uint32_t addr_high;
    uint32_t addr_low;
};
QEMU_BUILD_BUG_ON(sizeof(struct i40e_aq_desc) != 32);

#define I40E_AQ_FLAG_DD             (1u << 0)
#define I40E_AQ_FLAG_CMP            (1u << 1)
#define I40E_AQ_FLAG_ERR            (1u << 2)
#define I40E_AQ_FLAG_VFE            (1u << 3)
#define I40E_AQ_FLAG_LB             (1u << 9)
#define I40E_AQ_FLAG_RD             (1u << 10)
#define I40E_AQ_FLAG_VFC            (1u << 11)
#define I40E_AQ_FLAG_BUF            (1u << 12)
#define I40E_AQ_FLAG_SI             (1u << 13)
#define I40E_AQ_FLAG_EI             (1u << 14)
#define I40E_AQ_FLAG_FE             (1u << 15)

#define I40E_AQ_LARGE_BUF           512
#define I40E_AQ_MAX_BUF             4096

/* Admin queue opcodes a VF issues, and the one its events carry */
#define I40E_AQC_OPC_QUEUE_SHUTDOWN     0x0003
#define I40E_AQC_OPC_SEND_MSG_TO_PF     0x0801
#define I40E_AQC_OPC_SEND_MSG_TO_VF     0x0802

/* Admin queue return codes (descriptor retval) */
enum i40e_aq_rc {
    I40E_AQ_RC_OK = 0,
    I40E_AQ_RC_EPERM = 1,
    I40E_AQ_RC_ESRCH = 3,
    I40E_AQ_RC_ENOMEM = 9,
    I40E_AQ_RC_EFAULT = 11,
    I40E_AQ_RC_EINVAL = 14,
    I40E_AQ_RC_EFBIG = 22,
};

/* TX descriptors (16 bytes): QW0 buffer address or context, QW1 below */
#define I40E_TXD_DTYPE_MASK         0xfull
#define I40E_TXD_DTYPE_DATA         0x0
#define I40E_TXD_DTYPE_CONTEXT      0x1
#define I40E_TXD_DTYPE_DESC_DONE    0xf

#define I40E_TXD_CMD_SHIFT          4
#define I40E_TXD_CMD_EOP            (1u << 0)
#define I40E_TXD_CMD_RS             (1u << 1)
#define I40E_TXD_CMD_ICRC           (1u << 2)
#define I40E_TXD_CMD_IL2TAG1        (1u << 3)
#define I40E_TXD_CMD_IIPT_MASK      (3u << 5)
#define I40E_TXD_CMD_IIPT_IPV6      (1u << 5)
#define I40E_TXD_CMD_IIPT_IPV4      (2u << 5)
#define I40E_TXD_CMD_IIPT_IPV4_CSUM (3u << 5)
#define I40E_TXD_CMD_L4T_MASK       (3u << 8)
#define I40E_TXD_CMD_L4T_TCP        (1u << 8)
#define I40E_TXD_CMD_L4T_SCTP       (2u << 8)
#define I40E_TXD_CMD_L4T_UDP        (3u << 8)
#define I40E_TXD_CMD_MASK           0x3ff
#define I40E_TXD_OFFSET_SHIFT       16
#define I40E_TXD_OFFSET_MASK        0x3ffff
#define I40E_TXD_OFFSET_MACLEN(o)   (((o) & 0x7f) * 2)
#define I40E_TXD_OFFSET_IPLEN(o)    ((((o) >> 7) & 0x7f) * 4)
#define I40E_TXD_OFFSET_L4LEN(o)    ((((o) >> 14) & 0xf) * 4)
#define I40E_TXD_BUF_SZ_SHIFT       34
#define I40E_TXD_BUF_SZ_MASK        0x3fffull
#define I40E_TXD_L2TAG1_SHIFT       48

/* TX context descriptor QW1 */
#define I40E_TXD_CTX_CMD_SHIFT      4
#define I40E_TXD_CTX_CMD_TSO        (1u << 0)
#define I40E_TXD_CTX_CMD_IL2TAG2    (1u << 2)
#define I40E_TXD_CTX_TSO_LEN_SHIFT  30
#define I40E_TXD_CTX_TSO_LEN_MASK   0x3ffffull
#define I40E_TXD_CTX_MSS_SHIFT      50
#define I40E_TXD_CTX_MSS_MASK       0x3fffull
#define I40E_TXD_CTX_L2TAG2_SHIFT   32      /* in QW0 */

#define I40E_TX_DESC_SIZE           16
#define I40E_TX_MAX_DATA_PER_PKT    8       /* non-TSO */

/* RX descriptor (32 bytes): read format QW0 pkt_addr, QW1 hdr_addr. */
#define I40E_RX_DESC_SIZE           32

/* Write-back QW0 */
#define I40E_RXD_L2TAG1_SHIFT       16
#define I40E_RXD_RSS_SHIFT          32

/* Write-back QW1 (status_error_len) */
#define I40E_RXD_STATUS_DD          (1ull << 0)
#define I40E_RXD_STATUS_EOF         (1ull << 1)
#define I40E_RXD_STATUS_L2TAG1P     (1ull << 2)
#define I40E_RXD_STATUS_L3L4P       (1ull << 3)
#define I40E_RXD_STATUS_UMBCAST_SHIFT 9
#define I40E_RXD_STATUS_FLTSTAT_RSS (3ull << 12)
#define I40E_RXD_ERROR_SHIFT        19
#define I40E_RXD_ERROR_RXE          (1ull << (19 + 0))
#define I40E_RXD_ERROR_IPE          (1ull << (19 + 3))
#define I40E_RXD_ERROR_L4E          (1ull << (19 + 4))
#define I40E_RXD_PTYPE_SHIFT        30
#define I40E_RXD_LEN_PBUF_SHIFT     38
#define I40E_RXD_LEN_PBUF_MASK      0x3fffull

#define I40E_RX_UMBCAST_UNICAST     0
#define I40E_RX_UMBCAST_MULTICAST   1
#define I40E_RX_UMBCAST_BROADCAST   2

/* Packet types (non-tunnelled) the RX path reports */
#define I40E_PTYPE_UNKNOWN          0
#define I40E_PTYPE_L2_PAY2          1
#define I40E_PTYPE_IPV4_FRAG        22
#define I40E_PTYPE_IPV4_PAY3        23
#define I40E_PTYPE_IPV4_UDP         24
#define I40E_PTYPE_IPV4_TCP         26
#define I40E_PTYPE_IPV4_SCTP        27
#define I40E_PTYPE_IPV4_ICMP        28
#define I40E_PTYPE_IPV6_FRAG        88
#define I40E_PTYPE_IPV6_PAY3        89
#define I40E_PTYPE_IPV6_UDP         90
#define I40E_PTYPE_IPV6_TCP         92
#define I40E_PTYPE_IPV6_SCTP        93
#define I40E_PTYPE_IPV6_ICMP        94

/* RSS hash-enable bits (packet classifier types) */
#define I40E_PCTYPE_NONF_IPV4_UDP_UCAST     29
#define I40E_PCTYPE_NONF_IPV4_UDP_MCAST     30
#define I40E_PCTYPE_NONF_IPV4_UDP           31
#define I40E_PCTYPE_NONF_IPV4_TCP_SYN_NO_ACK 32
#define I40E_PCTYPE_NONF_IPV4_TCP           33
#define I40E_PCTYPE_NONF_IPV4_SCTP          34
#define I40E_PCTYPE_NONF_IPV4_OTHER         35
#define I40E_PCTYPE_FRAG_IPV4               36
#define I40E_PCTYPE_NONF_IPV6_UDP_UCAST     39
#define I40E_PCTYPE_NONF_IPV6_UDP_MCAST     40
#define I40E_PCTYPE_NONF_IPV6_UDP           41
#define I40E_PCTYPE_NONF_IPV6_TCP_SYN_NO_ACK 42
#define I40E_PCTYPE_NONF_IPV6_TCP           43
#define I40E_PCTYPE_NONF_IPV6_SCTP          44
#define I40E_PCTYPE_NONF_IPV6_OTHER         45
#define I40E_PCTYPE_FRAG_IPV6               46
#define I40E_PCTYPE_L2_PAYLOAD              63

/* The hash types the PF enables by default (GET_RSS_HENA_CAPS) */
#define I40E_DEFAULT_RSS_HENA \
    ((1ull << I40E_PCTYPE_NONF_IPV4_UDP) | \
     (1ull << I40E_PCTYPE_NONF_IPV4_SCTP) | \
     (1ull << I40E_PCTYPE_NONF_IPV4_TCP) | \
     (1ull << I40E_PCTYPE_NONF_IPV4_OTHER) | \
     (1ull << I40E_PCTYPE_FRAG_IPV4) | \
     (1ull << I40E_PCTYPE_NONF_IPV6_UDP) | \
     (1ull << I40E_PCTYPE_NONF_IPV6_TCP) | \
     (1ull << I40E_PCTYPE_NONF_IPV6_SCTP) | \
     (1ull << I40E_PCTYPE_NONF_IPV6_OTHER) | \
     (1ull << I40E_PCTYPE_FRAG_IPV6) | \
     (1ull << I40E_PCTYPE_L2_PAYLOAD))

#endif /* HW_NET_I40E_VF_REGS_H */
