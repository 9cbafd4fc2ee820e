# sources.sh - sourced by the fuzzer build scripts (build-fuzz.sh,
# test/zlib/fuzz-zlib.sh), which compile the library straight from the
# lists in the meson.build files, without a meson build.
#
# sources VAR MESON_BUILD: the quoted names in `VAR = files(...)`, which may
# span several lines, prefixed with the meson.build's folder.
sources() {
    local dir
    dir=$(dirname "$2")
    awk -v var="$1" '
        $0 ~ "^" var "[ \t]*=[ \t]*files\\(" { on = 1 }
        on {
            s = $0
            while (match(s, /'\''[^'\'']*'\''/)) {
                print substr(s, RSTART + 1, RLENGTH - 2)
                s = substr(s, RSTART + RLENGTH)
            }
            if ($0 ~ /\)/) exit
        }' "$2" | sed "s|^|$dir/|"
}

# The libraries libmoat links (runtime/meson.build's runtime_deps, as
# words for a direct compiler call): libffi, elfutils' libdw and libelf
# (DWARF of backtraces and source lines), libiberty (demangling).
MOAT_RUNTIME_LIBS=(-lffi -ldw -lelf -liberty -lm -ldl -lpthread)
