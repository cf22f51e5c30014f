# web.mk - the web page farmd serves: the sources in web/ are copied to
# $(BUILD)/web (farmd serves that folder, found beside its binary), and
# the npm packages of web/package.json (locked by web/package-lock.json)
# are installed into $(BUILD)/web/node_modules: uPlot, whose files go to
# $(BUILD)/web/lib for the charts, and playwright-core for the browser
# tests (tests/web). Without npm the page still works, without charts.

WEB_SRC := $(wildcard web/*.html web/*.js web/*.css web/*.svg)
WEB_OUT := $(WEB_SRC:web/%=$(BUILD)/web/%)
WEB_NPM := $(BUILD)/web/node_modules/.package-lock.json
WEB_LIB := $(BUILD)/web/lib/uPlot.iife.min.js $(BUILD)/web/lib/uPlot.min.css

web: $(WEB_OUT) $(WEB_LIB)

$(WEB_OUT): $(BUILD)/web/%: web/%
	@mkdir -p $(@D)
	cp $< $@

# npm ci installs exactly the locked versions; it runs again only when the
# package files change.
$(WEB_NPM): web/package.json web/package-lock.json
	@mkdir -p $(BUILD)/web
	cp web/package.json web/package-lock.json $(BUILD)/web/
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci (web: uplot, playwright-core)"; \
		cd $(BUILD)/web && npm ci --no-audit --no-fund --loglevel=error; \
	else \
		echo "web.mk: npm is missing: the page will have no charts and the browser tests will skip (scripts/deps.sh check installs it)" >&2; \
	fi

$(WEB_LIB): $(BUILD)/web/lib/%: $(WEB_NPM)
	@mkdir -p $(@D)
	@if [ -f $(BUILD)/web/node_modules/uplot/dist/$* ]; then \
		cp $(BUILD)/web/node_modules/uplot/dist/$* $@; \
	else \
		echo "web.mk: no uplot/dist/$* (npm did not run): no charts" >&2; \
	fi

.PHONY: web-tests
web-tests: web $(BUILD)/farmd
	@tests/web/run.sh
