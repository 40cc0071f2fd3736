#!/bin/sh
# Build ByConsent's front-end assets. Idempotent: run by `make run` and `make test`; skips work that is up to date.
#
#   1. npm ci (npm install when there is no lock file) when node_modules is missing or older than the lock file.
#   2. Sass: src/byconsent/ui/assets/scss/*.scss -> src/byconsent/ui/static/ui/build/app.css (compressed).
#   3. GOV.UK Frontend's JS bundle (an ES module) and images -> src/byconsent/ui/static/ui/build/.
#   4. axe-core -> var/test-assets/axe.min.js (browser tests only; never served to the public).
#
# Nothing here is fetched at run time: the built files are served by whitenoise from the static folder.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

SCSS_DIR=src/byconsent/ui/assets/scss
BUILD_DIR=src/byconsent/ui/static/ui/build
GOVUK_DIR=node_modules/govuk-frontend/dist/govuk
TEST_ASSETS_DIR=var/test-assets

fail() {
    echo "build_assets: $*" >&2
    exit 1
}

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' was not found on PATH. Install Node.js 20 or later (Debian: apt-get install nodejs npm) and run this again."
done

# True when $1 is missing or any of the remaining paths (files or folders, searched recursively) is newer than it.
is_stale() {
    target=$1
    shift
    [ -e "$target" ] || return 0
    [ -n "$(find "$@" -newer "$target" -print 2>/dev/null | head -n 1)" ]
}

install_node_modules() {
    stamp=node_modules/.package-lock.json
    if [ -f package-lock.json ]; then
        if is_stale "$stamp" package-lock.json package.json; then
            echo "build_assets: npm ci"
            npm ci --no-audit --no-fund --loglevel=error
        fi
    elif is_stale "$stamp" package.json; then
        echo "build_assets: npm install (no package-lock.json)"
        npm install --no-audit --no-fund --loglevel=error
    fi
    [ -d "$GOVUK_DIR" ] || fail "$GOVUK_DIR is missing after npm ran; check package.json lists govuk-frontend."
}

compile_css() {
    if is_stale "$BUILD_DIR/app.css" "$SCSS_DIR" node_modules/.package-lock.json; then
        echo "build_assets: sass -> $BUILD_DIR/app.css"
        mkdir -p "$BUILD_DIR"
        # Write beside the target then rename, so a failed compile never leaves a half-written stylesheet.
        node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map \
            "$SCSS_DIR/app.scss" "$BUILD_DIR/app.css.tmp"
        mv "$BUILD_DIR/app.css.tmp" "$BUILD_DIR/app.css"
    fi
}

copy_if_stale() {
    source=$1
    target=$2
    if is_stale "$target" "$source"; then
        mkdir -p "$(dirname "$target")"
        cp "$source" "$target"
        touch "$target"
    fi
}

copy_frontend_files() {
    copy_if_stale "$GOVUK_DIR/govuk-frontend.min.js" "$BUILD_DIR/govuk-frontend.min.js"
    # The images are copied because the compiled CSS refers to one of them (whitenoise's manifest storage fails on a
    # missing reference). Templates must not use the crest, crown or GOV.UK icons: ByConsent is not a GOV.UK service.
    for image in "$GOVUK_DIR"/assets/images/*; do
        copy_if_stale "$image" "$BUILD_DIR/images/$(basename "$image")"
    done
    copy_if_stale node_modules/axe-core/axe.min.js "$TEST_ASSETS_DIR/axe.min.js"
}

install_node_modules
compile_css
copy_frontend_files
echo "build_assets: up to date ($BUILD_DIR)"
