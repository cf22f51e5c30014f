# install.mk - `make install` and `make uninstall`: farm as a service on a
# lab's controller host. docs/operating.md is the admin's side of this.
#
#   make install   [DESTDIR=/pkgroot] [PREFIX=/usr/local] [SYSCONFDIR=/etc]
#   make uninstall (the same variables)
#
# What goes where (PREFIX defaults to /usr/local):
#
#   $(PREFIX)/sbin/farmd                        the daemon
#   $(PREFIX)/bin/farmctl                       the client
#   $(PREFIX)/lib/farm/guest/unittests.cfg      the sample suite
#   $(PREFIX)/lib/farm/guest/<arch>/*.efi       its EFI test programs
#   $(PREFIX)/lib/farm/netboot/...              what machines fetch first
#   $(PREFIX)/share/farm/web/                   the web page, as built in
#                                               $(BUILD)/web (no node_modules)
#   $(PREFIX)/share/farm/farm.conf.sample       the sample configuration
#   $(PREFIX)/share/man/man{1,5,8}/             farmctl.1 farm.conf.5 farmd.8
#   $(PREFIX)/share/bash-completion/completions/farmctl
#   $(PREFIX)/lib/systemd/system/farmd.service  (UNITDIR= to change)
#   $(SYSCONFDIR)/farm/farm.conf                only when there is none yet
#
# The unit goes under PREFIX, not /lib/systemd/system: systemd reads both
# /usr/local/lib/systemd/system and /usr/lib/systemd/system, so either
# prefix works, and everything install writes stays under PREFIX except the
# configuration. State (/var/lib/farm) is made by systemd (StateDirectory=)
# or by farmd itself, and neither install nor uninstall touches it.
#
# Uninstall removes exactly what install put there: every file above, the
# farm-only directories $(PREFIX)/lib/farm and $(PREFIX)/share/farm, and
# $(SYSCONFDIR)/farm/farm.conf only while it is still the installed sample
# (an admin's edits are theirs to keep).

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
INSTALL    ?= install
UNITDIR    ?= $(PREFIX)/lib/systemd/system

farm_bindir     := $(PREFIX)/bin
farm_sbindir    := $(PREFIX)/sbin
farm_libdir     := $(PREFIX)/lib/farm
farm_datadir    := $(PREFIX)/share/farm
farm_mandir     := $(PREFIX)/share/man
farm_compdir    := $(PREFIX)/share/bash-completion/completions
farm_confdir    := $(SYSCONFDIR)/farm
farm_statedir   := /var/lib/farm

FARM_UNIT_SED := -e 's|@SBINDIR@|$(farm_sbindir)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
# The man pages are written for PREFIX=/usr/local.
FARM_MAN_SED := -e 's|/usr/local|$(PREFIX)|g'

FARM_MANS := man/farmctl.1 man/farm.conf.5 man/farmd.8

install: all
	@$(MAKE) --no-print-directory install-files

# install-files: what install does after building; the lists are taken
# when it runs, so programs built by `all` just before are included.
install-files:
	$(INSTALL) -d '$(DESTDIR)$(farm_sbindir)' '$(DESTDIR)$(farm_bindir)'
	$(INSTALL) -m 0755 $(BUILD)/farmd '$(DESTDIR)$(farm_sbindir)/farmd'
	$(INSTALL) -m 0755 $(BUILD)/farmctl '$(DESTDIR)$(farm_bindir)/farmctl'
	@set -e; for f in $$(cd $(BUILD)/guest && ls -d */*.efi 2>/dev/null); do \
		echo "$(INSTALL) -D -m 0644 $(BUILD)/guest/$$f $(DESTDIR)$(farm_libdir)/guest/$$f"; \
		$(INSTALL) -D -m 0644 "$(BUILD)/guest/$$f" "$(DESTDIR)$(farm_libdir)/guest/$$f"; \
	done
	@set -e; if [ -f guest/unittests.cfg ]; then \
		echo "$(INSTALL) -D -m 0644 guest/unittests.cfg $(DESTDIR)$(farm_libdir)/guest/unittests.cfg"; \
		$(INSTALL) -D -m 0644 guest/unittests.cfg "$(DESTDIR)$(farm_libdir)/guest/unittests.cfg"; \
	else \
		echo "install: warning: guest/unittests.cfg is missing: no sample suite installed" >&2; \
	fi
	@set -e; for f in $$(cd $(BUILD)/netboot && find . -path '*/obj' -prune -o -type f -print \
	    | sed 's|^\./||' | sort); do \
		echo "$(INSTALL) -D -m 0644 $(BUILD)/netboot/$$f $(DESTDIR)$(farm_libdir)/netboot/$$f"; \
		$(INSTALL) -D -m 0644 "$(BUILD)/netboot/$$f" "$(DESTDIR)$(farm_libdir)/netboot/$$f"; \
	done
	@set -e; for f in $$(cd $(BUILD)/web && find . -path ./node_modules -prune -o \
	    -type f ! -name 'package*.json' -print | sed 's|^\./||' | sort); do \
		echo "$(INSTALL) -D -m 0644 $(BUILD)/web/$$f $(DESTDIR)$(farm_datadir)/web/$$f"; \
		$(INSTALL) -D -m 0644 "$(BUILD)/web/$$f" "$(DESTDIR)$(farm_datadir)/web/$$f"; \
	done
	$(INSTALL) -d '$(DESTDIR)$(farm_mandir)/man1' '$(DESTDIR)$(farm_mandir)/man5' \
		'$(DESTDIR)$(farm_mandir)/man8'
	@set -e; for m in $(FARM_MANS); do \
		d='$(DESTDIR)$(farm_mandir)'/man$${m##*.}; \
		echo "sed ... $$m > $$d/$${m#man/}"; \
		sed $(FARM_MAN_SED) "$$m" >"$$d/$${m#man/}"; \
		chmod 0644 "$$d/$${m#man/}"; \
	done
	$(INSTALL) -D -m 0644 completion/farmctl.bash '$(DESTDIR)$(farm_compdir)/farmctl'
	$(INSTALL) -d '$(DESTDIR)$(UNITDIR)'
	sed $(FARM_UNIT_SED) dist/farmd.service.in >'$(DESTDIR)$(UNITDIR)/farmd.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/farmd.service'
	$(INSTALL) -d '$(DESTDIR)$(farm_datadir)'
	dist/sample-conf.sh farm.conf '$(PREFIX)' '$(farm_libdir)' '$(farm_datadir)' \
		'$(farm_statedir)' >'$(DESTDIR)$(farm_datadir)/farm.conf.sample'
	chmod 0644 '$(DESTDIR)$(farm_datadir)/farm.conf.sample'
	$(INSTALL) -d -m 0755 '$(DESTDIR)$(farm_confdir)'
	@if [ -e '$(DESTDIR)$(farm_confdir)/farm.conf' ]; then \
		echo "install: $(DESTDIR)$(farm_confdir)/farm.conf exists: kept;" \
		    "the new sample is $(DESTDIR)$(farm_datadir)/farm.conf.sample"; \
	else \
		echo "$(INSTALL) -m 0640 farm.conf.sample $(DESTDIR)$(farm_confdir)/farm.conf"; \
		$(INSTALL) -m 0640 '$(DESTDIR)$(farm_datadir)/farm.conf.sample' \
		    '$(DESTDIR)$(farm_confdir)/farm.conf'; \
	fi

uninstall:
	rm -f '$(DESTDIR)$(farm_sbindir)/farmd' '$(DESTDIR)$(farm_bindir)/farmctl'
	@set -e; for m in $(FARM_MANS); do \
		f='$(DESTDIR)$(farm_mandir)'/man$${m##*.}/$${m#man/}; \
		echo "rm -f $$f"; rm -f "$$f"; \
	done
	rm -f '$(DESTDIR)$(farm_compdir)/farmctl' '$(DESTDIR)$(UNITDIR)/farmd.service'
	@if [ -f '$(DESTDIR)$(farm_confdir)/farm.conf' ] && \
	    cmp -s '$(DESTDIR)$(farm_confdir)/farm.conf' \
	    '$(DESTDIR)$(farm_datadir)/farm.conf.sample'; then \
		echo "rm -f $(DESTDIR)$(farm_confdir)/farm.conf"; \
		rm -f '$(DESTDIR)$(farm_confdir)/farm.conf'; \
	elif [ -e '$(DESTDIR)$(farm_confdir)/farm.conf' ]; then \
		echo "uninstall: $(DESTDIR)$(farm_confdir)/farm.conf was changed: kept"; \
	fi
	rm -rf '$(DESTDIR)$(farm_libdir)' '$(DESTDIR)$(farm_datadir)'
	-@rmdir '$(DESTDIR)$(farm_confdir)' 2>/dev/null || true

.PHONY: install install-files uninstall
