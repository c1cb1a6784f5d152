#!/usr/bin/env bash
# Assembles the image's root file system (docker/Containerfile, first stage).
#
#   rootfs.sh DEST PATH...
#
# Copies each PATH (a file, or a directory whose ELF files are scanned) and every shared library the
# ELF files load (ldd, transitively) into DEST at the same path, on a merged /usr (DEST/lib ->
# usr/lib, ...). Symbolic links to libraries become the files they name. Directories given are only
# scanned: the Containerfile copies them itself (so their files keep their times, which the AOT
# cache checks). Fails if a library is not found.
set -euo pipefail
dest=$1
shift
mkdir -p "$dest"/usr/{bin,sbin,lib,lib64}
for d in bin sbin lib lib64; do ln -sfn "usr/$d" "$dest/$d"; done

declare -A copied=()
copy_file() {  # copy_file PATH: into DEST at the canonical directory of PATH, under PATH's own name
    local p=$1 dir
    dir=$(cd "$(dirname "$p")" && pwd -P)
    [[ -z "${copied[$dir/${p##*/}]:-}" ]] || return 0
    copied[$dir/${p##*/}]=1
    mkdir -p "$dest$dir"
    cp -L --preserve=mode "$p" "$dest$dir/${p##*/}"
}
is_elf() { [[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]]; }
libraries_of() {  # the absolute paths ldd resolves for an ELF file
    local out
    out=$(ldd "$1" 2>&1) || { [[ "$out" == *"not a dynamic executable"* ]] && return 0; echo "rootfs: ldd $1: $out" >&2; return 1; }
    local name missing=()
    # A library of a directory given (libjvm.so for the runtime's own libraries) is found at run
    # time through the library that loads it; ldd alone does not see it.
    for name in $(awk '$2 == "=>" && $3 == "not" { print $1 }' <<<"$out"); do
        [[ -n "${given[$name]:-}" ]] || missing+=("$name")
    done
    if ((${#missing[@]})); then
        echo "rootfs: $1 needs ${missing[*]}, which is not installed" >&2
        return 1
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

elves=()
declare -A given=()   # file names inside the directories given
for p in "$@"; do
    if [[ -d "$p" ]]; then
        while IFS= read -r -d '' f; do
            given[${f##*/}]=1
            is_elf "$f" && elves+=("$f")
        done < <(find "$p" -type f -print0)
    else
        copy_file "$p"
        is_elf "$p" && elves+=("$p")
    fi
done
for f in "${elves[@]}"; do
    libs=$(libraries_of "$f")
    while IFS= read -r lib; do
        case "$lib" in ""|/opt/*) continue ;; esac   # inside a directory given: copied by the caller
        copy_file "$lib"
    done <<<"$libs"
done
# libgcc_s is loaded by glibc at run time (thread cancellation, unwinding), not linked.
for lib in /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do [[ -e "$lib" ]] && copy_file "$lib"; done
echo "rootfs: ${#copied[@]} files from $# paths ($(du -sh "$dest" | cut -f1))"
