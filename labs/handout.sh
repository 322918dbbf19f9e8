#!/bin/sh
# handout.sh - writes a student's tree for one lab (make handout LAB=N [OUT=DIR]; docs/labs.md).
#
#   sh labs/handout.sh [--keep-hidden] [--reference] N OUT
#
# The tree is this one (the files git knows, or all but build directories without git), with
# lab N's marked solution regions (and those of the labs its manifest's stub_also names)
# replaced by their stubs (labs/strip-lab.awk), the mutants left out, and the hidden tests
# (hidden = true in a manifest, and its hidden_files) left out. --keep-hidden keeps the hidden
# tests (the Gradescope autograder's tree); --reference stubs nothing (a copy of the reference,
# which the mutant check patches). Files that are not changed keep their times, so a build
# directory copied beside them rebuilds only what the stubs changed. OUT must not exist; it is
# written beside as OUT.part and renamed at the end, so a failure leaves nothing half-written.
#
#   sh labs/handout.sh --lend BUILD DIR
#
# lends a tree DIR (a handout, an unpacked autograder) BUILD's objects (obj/, and pic/: the
# window's), guests and the assemblers' checksums in DIR/BUILD, times kept, so that only what
# differs is compiled there (labs/check-lab.sh, labs/check-gradescope.sh), with its libraries and
# programs (what a lab file does not change is not archived or linked again). Objects, .d files,
# libraries and programs are hard links where DIR is on BUILD's file system (the Makefile removes
# an object and its .d before it compiles, ar and the linker write new files: a tree never writes
# into BUILD's); the guests are copied.
set -eu
if [ "${1:-}" = --lend ] && [ $# -eq 3 ]; then
    B=$2 to=$3/$2
    mkdir -p "$to"
    cp -a "$B/guestos" "$B/hvasm.sum" "$B/hvimg.sum" "$to/"
    link=-l
    { ln "$B/hvasm.sum" "$to/.link" 2>/dev/null && rm -f "$to/.link"; } || link=
    find "$B" -maxdepth 1 -type f \( -name '*.a' -o -perm -u+x \) -exec cp -a $link {} "$to/" \;
    exec cp -a $link "$B/obj" "$B/pic" "$to/"
fi
keep_hidden=0 reference=0
while [ $# -gt 0 ]; do
    case "$1" in
    --keep-hidden) keep_hidden=1; shift ;;
    --reference) reference=1; shift ;;
    *) break ;;
    esac
done
if [ $# -ne 2 ]; then
    echo "usage: make handout LAB=N [OUT=DIR]   (labs: $(ls -d labs/[0-9]*-* | tr '\n' ' '))" >&2
    exit 2
fi
lab=$1 out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
case "$lab" in *[!0-9]* | '') echo "handout: LAB=$lab: a lab number, like 3" >&2; exit 2 ;; esac
dir=$(ls -d labs/"$(printf %02d "$lab")"-* 2>/dev/null | head -n 1 || true)
if [ -z "$dir" ] || [ ! -f "$dir/lab.ini" ]; then
    echo "handout: there is no lab $lab (labs: $(ls -d labs/[0-9]*-* | tr '\n' ' '))" >&2
    exit 2
fi
if [ -e "$out" ]; then
    echo "handout: $out exists already; give another OUT=DIR or remove it" >&2
    exit 2
fi

# A manifest key's value (first match; the [lab] section's keys come first).
key() { sed -n "s/^$2[ \t]*=[ \t]*//p" "$1" | head -n 1 | sed 's/[ \t]*;.*$//'; }

stub="$lab $(key "$dir/lab.ini" stub_also)"
[ "$reference" = 1 ] && stub=""
part="$out.part"
rm -rf "$part"
mkdir -p "$part"
trap 'rm -rf "$part"' EXIT

# What goes in: every source file, but not the mutants, not another handout, not builds.
list="$part/.files"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard
else
    find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||'
fi | grep -v -e '^labs/[^/]*/mutants/' -e '^handout' >"$list.all"
: >"$list.hidden"
if [ "$keep_hidden" = 0 ]; then
    for ini in labs/*/lab.ini; do
        for f in $(key "$ini" hidden_files); do echo "$f"; done
    done >"$list.hidden"
fi
grep -v -x -F -f "$list.hidden" "$list.all" | while read -r f; do [ -f "$f" ] && echo "$f"; done >"$list"
tar -cf - -T "$list" | tar -xpf - -C "$part"
rm -f "$list" "$list.all" "$list.hidden"

# Stubs in place of the solutions, in the code (not in the tests and tools, which may speak of
# markers); an unchanged file keeps its time.
if [ -n "$(echo "$stub" | tr -d ' ')" ]; then
    (cd "$part" && grep -rl --include='*.c' --include='*.h' --exclude-dir=tests \
        --exclude-dir=labs 'LAB [0-9]* BEGIN' .) >"$part/.marked" || true
    while read -r f; do # each file by its name in the tree, for the error messages
        (cd "$part" && awk -v stub="$stub" -f "$here/labs/strip-lab.awk" "${f#./}" >"$f.new") ||
            exit 1
        if cmp -s "$part/$f" "$part/$f.new"; then rm -f "$part/$f.new"; else mv "$part/$f.new" "$part/$f"; fi
    done <"$part/.marked"
    rm -f "$part/.marked"
fi

# The hidden tests leave the manifests too.
if [ "$keep_hidden" = 0 ]; then
    for ini in "$part"/labs/*/lab.ini; do
        awk '/^\[/ { if (sect != "") flush(); sect = $0; body = ""; hidden = 0; next }
             /^hidden[ \t]*=[ \t]*(true|yes|1)/ { hidden = 1 }
             { if (sect == "") print; else body = body $0 "\n" }
             function flush() { if (!hidden) printf "%s\n%s", sect, body; sect = "" }
             END { if (sect != "") flush() }' "$ini" >"$ini.new"
        mv "$ini.new" "$ini"
    done
fi

if [ "$reference" = 1 ]; then what="the reference"; else what="lab $lab's handout"; fi
echo "$what, written from $(git rev-parse --short HEAD 2>/dev/null || echo 'a tree without git')" \
    >"$part/labs/HANDOUT"
trap - EXIT
mv "$part" "$out"
echo "handout: $out: $what (stubbed labs: ${stub:-none}); build it with make, grade it with make grade LAB=$lab"
