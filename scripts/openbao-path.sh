#!/usr/bin/env bash
# Print the absolute path of a locally built OpenBao server binary (`bao`),
# building it from the Go module proxy first if it is not cached yet.
#
#   stdout: exactly one line, the absolute path of the binary
#   stderr: progress / build logs
#   exit:   0 on success, non-zero with a message on stderr on failure
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/key-custodian/openbao/<version>/bao
# See docs/openbao-build.md for how and why the build works this way.
set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned release. These constants all describe the OpenBao v2.4.0 release tag
# (git commit f9407a27fbee45f62ba521bba2bf1e2360c61031, 2025-08-28).
#
# OpenBao's root go.mod says `module github.com/openbao/openbao` (no /v2
# suffix) while its tags are v2.x.y, so the Go module proxy only serves the
# tagged tree under a pseudo-version: v0.0.0-<commit time UTC>-<12 hex commit>.
# ---------------------------------------------------------------------------
OPENBAO_VERSION="2.4.0"                                     # release tag v2.4.0
OPENBAO_COMMIT="f9407a27fbee45f62ba521bba2bf1e2360c61031"   # commit of tag v2.4.0
OPENBAO_BUILD_DATE="2025-08-28T20:23:15Z"                   # commit time of tag v2.4.0
OPENBAO_MODULE="github.com/openbao/openbao"
OPENBAO_PSEUDO_VERSION="v0.0.0-20250828202315-f9407a27fbee" # = tag v2.4.0
# go.sum-style hash of the module zip above (also checked by sum.golang.org).
OPENBAO_MODULE_SUM="h1:TqHCYIwKxup9rYGBlqYdC23EdZ0q5QJCa1KYVyVWyDU="
# The nested api/ and sdk/ modules are not part of the root module zip; use
# their released versions from the same tag instead of the local replaces.
OPENBAO_API_VERSION="v2.4.0"                                # api/v2 tag for v2.4.0
OPENBAO_SDK_VERSION="v2.4.0"                                # sdk/v2 tag for v2.4.0

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/key-custodian/openbao"
VERSION_DIR="$CACHE_ROOT/v$OPENBAO_VERSION"
BIN_PATH="$VERSION_DIR/bao"

# Fast path: already built.
if [[ -x "$BIN_PATH" && -f "$BIN_PATH" ]]; then
  printf '%s\n' "$BIN_PATH"
  exit 0
fi

# From here on, keep stdout clean: fd 3 is the real stdout, everything else
# (including go's output) goes to stderr.
exec 3>&1 1>&2

log() { printf '[openbao-path] %s\n' "$*" >&2; }
die() { printf '[openbao-path] ERROR: %s\n' "$*" >&2; exit 1; }

# Locate the Go toolchain.
GO_BIN="${GO:-}"
if [[ -z "$GO_BIN" ]]; then
  if command -v go >/dev/null 2>&1; then
    GO_BIN="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO_BIN=/usr/local/go/bin/go
  else
    die "Go toolchain not found (set GO=/path/to/go or put go on PATH); needed to build OpenBao v$OPENBAO_VERSION"
  fi
fi
"$GO_BIN" version >/dev/null 2>&1 || die "'$GO_BIN version' failed; is the Go toolchain usable?"

mkdir -p "$VERSION_DIR" || die "cannot create cache directory $VERSION_DIR"

# Serialise concurrent builds (flock is optional; without it, racing builds
# are still safe because the final step is an atomic rename).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VERSION_DIR/.build.lock"
  if ! flock -n 9; then
    log "another build is in progress; waiting for it..."
    flock 9
  fi
  if [[ -x "$BIN_PATH" && -f "$BIN_PATH" ]]; then
    printf '%s\n' "$BIN_PATH" >&3
    exit 0
  fi
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/openbao-build.XXXXXX")" || die "mktemp failed"
OUT_TMP="$(mktemp "$VERSION_DIR/.bao.tmp.XXXXXX")" || die "mktemp in $VERSION_DIR failed"
cleanup() {
  chmod -R u+w "$WORK_DIR" 2>/dev/null || true
  rm -rf "$WORK_DIR" "$OUT_TMP"
}
trap cleanup EXIT

# go.mod requires go >= 1.24.6; the default GOTOOLCHAIN=auto would fetch a
# newer toolchain from the proxy if the local one is too old.
export CGO_ENABLED=0

T0=$SECONDS
log "downloading $OPENBAO_MODULE@$OPENBAO_PSEUDO_VERSION (OpenBao v$OPENBAO_VERSION) via $("$GO_BIN" env GOPROXY)"
# Run outside any module so the project's own (non-Go) tree is irrelevant.
DL_JSON="$(cd "$WORK_DIR" && "$GO_BIN" mod download -json "$OPENBAO_MODULE@$OPENBAO_PSEUDO_VERSION" 2>&1)" || {
  printf '%s\n' "$DL_JSON" >&2
  die "go mod download of $OPENBAO_MODULE@$OPENBAO_PSEUDO_VERSION failed (is the Go module proxy reachable? GOPROXY=$("$GO_BIN" env GOPROXY))"
}
json_field() { printf '%s\n' "$DL_JSON" | sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" | head -n1; }
SRC_DIR="$(json_field Dir)"
SUM="$(json_field Sum)"
DL_ERR="$(json_field Error)"
[[ -z "$DL_ERR" ]] || die "go mod download reported: $DL_ERR"
[[ -n "$SRC_DIR" && -f "$SRC_DIR/go.mod" ]] || { printf '%s\n' "$DL_JSON" >&2; die "could not find the downloaded module directory"; }
[[ "$SUM" == "$OPENBAO_MODULE_SUM" ]] || die "module hash mismatch for $OPENBAO_MODULE@$OPENBAO_PSEUDO_VERSION: got '$SUM', pinned '$OPENBAO_MODULE_SUM'"
log "source ready in $((SECONDS - T0))s: $SRC_DIR"

# Copy to a writable tree (the module cache is read-only) and rewrite go.mod:
# drop the replace directives that point at nested modules missing from the
# zip and use the released modules of the same tag instead.
cp -R "$SRC_DIR" "$WORK_DIR/src" || die "copying module source failed"
chmod -R u+w "$WORK_DIR/src"
cd "$WORK_DIR/src"
for sub in api/v2 api/auth/approle/v2 api/auth/kubernetes/v2 api/auth/userpass/v2 sdk/v2; do
  "$GO_BIN" mod edit -dropreplace="$OPENBAO_MODULE/$sub" || die "go mod edit (dropreplace $sub) failed"
done
# approle/userpass are only imported by tests, and the v2.0.0 the go.mod asks
# for was never published, so drop them; kubernetes v2.0.1 is published.
"$GO_BIN" mod edit \
  -droprequire="$OPENBAO_MODULE/api/auth/approle/v2" \
  -droprequire="$OPENBAO_MODULE/api/auth/userpass/v2" \
  -require="$OPENBAO_MODULE/api/v2@$OPENBAO_API_VERSION" \
  -require="$OPENBAO_MODULE/sdk/v2@$OPENBAO_SDK_VERSION" \
  || die "go mod edit (requires) failed"

T1=$SECONDS
log "building bao (CGO_ENABLED=0, no UI; takes several minutes on a cold Go build cache)..."
LDFLAGS="-s -w"
LDFLAGS+=" -X $OPENBAO_MODULE/version.fullVersion=$OPENBAO_VERSION"
LDFLAGS+=" -X $OPENBAO_MODULE/version.GitCommit=$OPENBAO_COMMIT"
LDFLAGS+=" -X $OPENBAO_MODULE/version.BuildDate=$OPENBAO_BUILD_DATE"
"$GO_BIN" build -mod=mod -trimpath -ldflags "$LDFLAGS" -o "$OUT_TMP" . \
  || die "go build of OpenBao v$OPENBAO_VERSION failed (see output above)"
log "build finished in $((SECONDS - T1))s"

VERSION_OUT="$("$OUT_TMP" version 2>&1)" || die "built binary does not run: $VERSION_OUT"
[[ "$VERSION_OUT" == *"v$OPENBAO_VERSION"* ]] || die "unexpected 'bao version' output: $VERSION_OUT"
log "$VERSION_OUT"

chmod 0755 "$OUT_TMP"
mv -f "$OUT_TMP" "$BIN_PATH" || die "could not move binary into $BIN_PATH"
log "cached at $BIN_PATH (total $((SECONDS - T0))s)"
printf '%s\n' "$BIN_PATH" >&3
