# SPDX-License-Identifier: GPL-2.0-or-later
#
# make          configure if needed, then build
# make check    build, then run unit tests, qtests, end-to-end and libvirt tests
# make demo     build, then live-migrate a VM whose X710 VF is passed
#               through, under verified traffic, next to a plain VM;
#               the results also go to $(BUILD)/demo.json
# make install  build, then install the emulator as
#               $(PREFIX)/bin/qemu-system-x86_64-i40evf (PREFIX=/usr/local,
#               DESTDIR honoured), its firmware, docs and example XML
# make clean    remove the build area

BUILD := build
OBJ := $(BUILD)/obj
UPSTREAM := $(BUILD)/qemu-$(shell sed -n 's/^QEMU_VERSION=//p' configure)
NINJA_TARGETS := qemu-system-x86_64
TEST_TARGETS := tests/unit/test-virtchnl tests/unit/test-i40evf-shadow \
                tests/qtest/i40e-vf-regs-test tests/qtest/i40e-vf-aq-test \
                tests/qtest/i40e-vf-txrx-test tests/qtest/i40e-vf-fault-test \
                tests/qtest/i40e-vf-migration-test \
                tests/qtest/vfio-user-msix-test tests/qtest/vfio-user-i40evf-test \
                tests/qtest/vfio-i40evf-test tests/qtest/igb-eitr-test \
                tests/qtest/qos-test

PREFIX ?= /usr/local

.PHONY: all build check clean demo deps install

all: build

deps:
	@scripts/install-deps.sh build

$(OBJ)/build.ninja: configure patches/series $(wildcard patches/*.patch)
	@scripts/install-deps.sh build
	./configure

build: $(OBJ)/build.ninja
	@scripts/overlay.sh $(CURDIR) $(UPSTREAM)
	ninja -C $(OBJ) $(NINJA_TARGETS)
	$(MAKE) -C $(OBJ)/pc-bios/optionrom

check: build
	@scripts/install-deps.sh test
	ninja -C $(OBJ) $(TEST_TARGETS)
	@python3 scripts/check.py --build $(OBJ)

demo: build
	@scripts/install-deps.sh demo
	@python3 demo/demo.py --build $(OBJ) --json $(BUILD)/demo.json

install: build
	@DESTDIR="$(DESTDIR)" scripts/install.sh $(OBJ) "$(PREFIX)"

clean:
	rm -rf $(BUILD)
