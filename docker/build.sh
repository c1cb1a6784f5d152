#!/usr/bin/env bash
# Builds the PoP's images with podman (or docker, if podman is not there): see docker/README.md.
#
#   docker/build.sh [--tag TAG] [--base IMAGE] [--class-cache aot|cds|none] [--only relay|bird]
#
#   localhost/airdress-relay:TAG   the relay and its anycast controller (docker/Containerfile)
#   localhost/airdress-bird:TAG    BIRD 2 for a PoP (docker/bird/Containerfile)
#
#   --tag TAG            default dev
#   --base IMAGE         the Debian the images start from (default docker.io/library/debian:bookworm-slim).
#                        When the default is neither present nor pullable (no registry reachable), a
#                        bookworm base is made here from Debian's packages (mmdebstrap, root) and
#                        imported as localhost/debian:bookworm-slim; the same Containerfiles build on it.
#   --class-cache MODE   none (default): no class cache; aot: the JVM's AOT cache from a training
#                        run at build time (ready in half the time, 44 MB more: over the image's
#                        120 MB budget with the Kafka client); cds: jlink's default CDS archive
#                        (bench/README.md, "Image", measures the three)
#   --only relay|bird    build one of the two
#
# The relay's jars come from relay/target (built with ./mvnw -B -q -pl relay -am package -DskipTests
# when missing: run that yourself after changing the code). JAVA_HOME (or /usr/lib/jvm/*25*) must be a
# JDK 25: its jdeps computes the modules the relay needs, its jlink makes the runtime. Environment:
# CONTAINER_ENGINE (podman or docker) to choose; CONTAINERS_CONF as podman reads it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFAULT_BASE=docker.io/library/debian:bookworm-slim
LOCAL_BASE=localhost/debian:bookworm-slim
CONTEXT="$ROOT/target/image"
# Every staged file gets this time (the parent pom's project.build.outputTimestamp): unchanged
# inputs then make unchanged layers, which the engine's cache reuses.
STAGED_TIME=2026-01-01T00:00:00Z
# Modules that jdeps finds referenced but the relay never loads; left out of the runtime (36 MB of
# java.desktop alone). Who references them (jdeps -verbose:class, printed by this script):
#   java.desktop  Jackson's optional java.beans annotations (@ConstructorProperties, @Transient:
#                 Jackson checks for them and does without), Micrometer's Log4j2 binder
#   java.sql      Jackson's java.sql date types, Micrometer's database binders, BouncyCastle's LDAP store
#   java.naming   Logback's JNDI context selector and JNDI config lookups, BouncyCastle's LDAP store,
#                 Netty's SSL (the relay never terminates TLS)
# The build fails if code of ours (co.airdress.*) references one of them.
EXCLUDED_MODULES=(java.desktop java.sql java.naming)

TAG=dev
BASE=$DEFAULT_BASE
CLASS_CACHE=none
ONLY=""
while (($#)); do
    case "$1" in
        --tag) TAG=${2:?--tag needs a value}; shift 2 ;;
        --base) BASE=${2:?--base needs a value}; shift 2 ;;
        --class-cache) CLASS_CACHE=${2:?--class-cache needs a value}; shift 2 ;;
        --only) ONLY=${2:?--only needs a value}; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "build: unknown argument $1 (expected: --tag TAG, --base IMAGE, --class-cache aot|cds|none, --only relay|bird)" >&2; exit 2 ;;
    esac
done
case "$CLASS_CACHE" in aot|cds|none) ;; *) echo "build: --class-cache $CLASS_CACHE (expected: aot, cds or none)" >&2; exit 2 ;; esac
case "$ONLY" in ""|relay|bird) ;; *) echo "build: --only $ONLY (expected: relay or bird)" >&2; exit 2 ;; esac
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "build: --tag $TAG is not a valid tag" >&2; exit 2; }

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "FAIL: $*" >&2; exit 1; }

# ---- the engine ----------------------------------------------------------------------------------
engine() {
    local e
    for e in ${CONTAINER_ENGINE:-podman docker}; do
        command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1 && { echo "$e"; return 0; }
    done
    return 1
}
ENGINE=$(engine) || die "no working container engine (tried ${CONTAINER_ENGINE:-podman docker}; podman: apt-get install podman)"
image_present() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

# ---- the base ------------------------------------------------------------------------------------
# Debian bookworm made here from Debian's packages: minbase without documentation, man pages and
# locales (what debian:bookworm-slim leaves out), imported as an image.
make_local_base() {
    command -v mmdebstrap >/dev/null 2>&1 || die "$DEFAULT_BASE cannot be pulled and mmdebstrap is missing to make it here (apt-get install mmdebstrap)"
    [[ $(id -u) -eq 0 ]] || die "$DEFAULT_BASE cannot be pulled; making it here with mmdebstrap needs root"
    local tar
    tar=$(mktemp --suffix=.tar)
    log "making $LOCAL_BASE from Debian's packages (mmdebstrap --variant=minbase bookworm)"
    mmdebstrap --quiet --variant=minbase \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
        bookworm "$tar" || { rm -f "$tar"; die "mmdebstrap failed"; }
    "$ENGINE" import --change 'CMD ["bash"]' "$tar" "$LOCAL_BASE" >/dev/null || { rm -f "$tar"; die "import of the base failed"; }
    rm -f "$tar"
}
resolve_base() {
    if image_present "$BASE"; then return 0; fi
    if [[ "$BASE" != "$DEFAULT_BASE" ]]; then
        "$ENGINE" pull "$BASE" >/dev/null || die "base $BASE is not present and cannot be pulled"
        return 0
    fi
    if image_present "$LOCAL_BASE"; then BASE=$LOCAL_BASE; return 0; fi
    if "$ENGINE" pull "$BASE" >/dev/null 2>&1; then return 0; fi
    log "$DEFAULT_BASE cannot be pulled (no registry reachable?)"
    make_local_base
    BASE=$LOCAL_BASE
}

# ---- the JDK and the relay's jars ------------------------------------------------------------------
find_jdk() {
    local c
    for c in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*25* 2>/dev/null | sort -r); do
        [[ -n "$c" && -x "$c/bin/jlink" && -x "$c/bin/jdeps" ]] || continue
        "$c/bin/java" -XshowSettings:properties -version 2>&1 | grep -Eq 'java\.specification\.version = (2[5-9]|[3-9][0-9])' \
            && { echo "$c"; return 0; }
    done
    return 1
}

relay_jars() {  # prints the relay's jar, then its runtime dependencies
    local j
    for j in "$ROOT"/relay/target/relay-*.jar; do
        case "$j" in *-tests.jar|*-sources.jar|*-javadoc.jar) ;; *) echo "$j" ;; esac
    done
    ls "$ROOT"/relay/target/lib/*.jar
}

# The modules jdeps finds the jars using directly, less EXCLUDED_MODULES; jlink adds what those require.
compute_modules() {
    local jdk=$1 jars=("${@:2}") summary verbose ours m
    summary=$("$jdk/bin/jdeps" -q -s --multi-release 25 --ignore-missing-deps "${jars[@]}") \
        || die "jdeps failed"
    verbose=$("$jdk/bin/jdeps" -q -verbose:class --multi-release 25 --ignore-missing-deps "${jars[@]}")
    for m in "${EXCLUDED_MODULES[@]}"; do
        ours=$(awk -v m="$m" '$2 == "->" && $NF == m && $1 ~ /^co\.airdress\./ { print "  " $1 " -> " $3 }' <<<"$verbose" | sort -u)
        [[ -z "$ours" ]] || die "module $m is left out of the runtime, but the relay's own code uses it:"$'\n'"$ours"$'\n'"(take it out of EXCLUDED_MODULES in $0)"
        log "left out $m, referenced only by: $(awk -v m="$m" '$2 == "->" && $NF == m { sub(/\$.*/, "", $1); print $1 }' <<<"$verbose" | sort -u | tr '\n' ' ')" >&2
    done
    awk '$2 == "->" && $3 ~ /^(java|jdk)\./ { print $3 }' <<<"$summary" | sort -u \
        | grep -vxF -f <(printf '%s\n' "${EXCLUDED_MODULES[@]}") | paste -sd, -
}

stage_relay_context() {
    local jdk=$1
    local jars
    mapfile -t jars < <(relay_jars)
    rm -rf "$CONTEXT"
    mkdir -p "$CONTEXT/relay/bin" "$CONTEXT/relay/lib/native" "$CONTEXT/build"
    local modules
    modules=$(compute_modules "$jdk" "${jars[@]}")
    log "runtime modules (jdeps): $modules"
    local jlink_opts=(--add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-6)
    [[ $CLASS_CACHE == cds ]] && jlink_opts+=(--generate-cds-archive)
    "$jdk/bin/jlink" "${jlink_opts[@]}" --output "$CONTEXT/relay/runtime" || die "jlink failed"
    # The runtime's libraries without their symbol tables (the dynamic symbols stay): 5 MB of
    # libjvm.so's 30. What is lost: function names in the native frames of a crash report.
    find "$CONTEXT/relay/runtime" -name '*.so' -exec strip --strip-unneeded {} + || die "strip failed (apt-get install binutils)"
    cp "${jars[@]}" "$CONTEXT/relay/lib/"
    # Netty's JNI libraries, unpacked: Netty loads them from java.library.path (bin/relay sets it)
    # before it would copy them out of the jar into a temporary directory, which a read-only root
    # file system does not have.
    local native
    for native in "$CONTEXT"/relay/lib/netty-transport-native-*-linux-x86_64.jar; do
        (cd "$CONTEXT/build" && "$jdk/bin/jar" xf "$native" META-INF/native)
    done
    mv "$CONTEXT"/build/META-INF/native/*.so "$CONTEXT/relay/lib/native/"
    rm -rf "$CONTEXT/build/META-INF"
    cp "$ROOT/bin/relay" "$ROOT/docker/relay/healthcheck" "$CONTEXT/relay/bin/"
    cp "$ROOT/docker/relay/train.sh" "$ROOT/docker/relay/rootfs.sh" "$CONTEXT/build/"
    # The training run's ClientHello: a captured one (sni-parser's fixtures) and the name it carries.
    local fixtures="$ROOT/sni-parser/src/test/resources/fixtures/clienthello"
    cp "$fixtures/curl-openssl3.bin" "$CONTEXT/build/client-hello.bin"
    awk -F'\t' '$1 == "curl-openssl3.bin" { print $3 }' "$fixtures/MANIFEST.tsv" >"$CONTEXT/build/client-hello.sni"
    [[ -s "$CONTEXT/build/client-hello.sni" ]] || die "no SNI for curl-openssl3.bin in $fixtures/MANIFEST.tsv"
    find "$CONTEXT" -exec touch -h -d "$STAGED_TIME" {} +
}

build_relay() {
    local jdk
    jdk=$(find_jdk) || die "no JDK 25 with jlink and jdeps (set JAVA_HOME)"
    if ! compgen -G "$ROOT/relay/target/lib/*.jar" >/dev/null; then
        log "building the relay (./mvnw -B -q -pl relay -am package -DskipTests)"
        (cd "$ROOT" && JAVA_HOME="$jdk" ./mvnw -B -q -pl relay -am package -DskipTests) || die "maven build failed"
    fi
    stage_relay_context "$jdk"
    local version revision source
    version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$ROOT/pom.xml" | head -1)
    revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
    [[ $revision == unknown || -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || revision="$revision-dirty"
    source=$(git -C "$ROOT" remote get-url origin 2>/dev/null || echo "${IMAGE_SOURCE:-local checkout without a git remote}")
    local image="localhost/airdress-relay:$TAG"
    log "building $image ($ENGINE, base $BASE, class cache $CLASS_CACHE, version $version, revision $revision)"
    "$ENGINE" build "${FORMAT[@]}" -f "$ROOT/docker/Containerfile" -t "$image" \
        --build-arg BASE="$BASE" --build-arg CLASS_CACHE="$CLASS_CACHE" \
        --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source" \
        "$CONTEXT" || die "building $image failed"
    log "$image: $("$ENGINE" image inspect --format '{{.Size}}' "$image") bytes uncompressed"
}

build_bird() {
    local image="localhost/airdress-bird:$TAG"
    log "building $image ($ENGINE, base $BASE)"
    "$ENGINE" build "${FORMAT[@]}" -f "$ROOT/docker/bird/Containerfile" -t "$image" --build-arg BASE="$BASE" \
        "$ROOT/docker/bird" || die "building $image failed"
    log "$image: $("$ENGINE" image inspect --format '{{.Size}}' "$image") bytes uncompressed"
}

FORMAT=()
[[ $ENGINE == podman ]] && FORMAT=(--format docker)   # HEALTHCHECK exists only in the docker format
resolve_base
[[ $ONLY == bird ]] || build_relay
[[ $ONLY == relay ]] || build_bird
