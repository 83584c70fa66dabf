# SPDX-License-Identifier: GPL-2.0-or-later
#
# Devices of the vfio-i40evf build (configure passes --without-default-devices):
# the two PC machines, the VFs, the NICs the tests and benchmarks compare
# against, and what vfio, vfio-user and the nested-guest tests need.

CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_PCIE_PORT=y
CONFIG_SERIAL_ISA=y

CONFIG_I40E_VF=y
CONFIG_VFIO_I40EVF=y
CONFIG_IGB_PCI_EXPRESS=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_E1000_PCI=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_BLK=y

CONFIG_VFIO_PCI=y
CONFIG_VFIO_USER=y
CONFIG_MULTIPROCESS=y
CONFIG_VFIO_USER_SERVER=y

# The PC machines' ACPI tables call into CXL code (ACPI_CXL is selected
# unconditionally), so CXL cannot be left out.
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
