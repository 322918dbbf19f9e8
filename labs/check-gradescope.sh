#!/bin/sh
# check-gradescope.sh - runs lab N's Gradescope autograder as Gradescope would, on this machine
# (tests/labs/test_gradescope.c; docs/labs.md):
#
#   sh labs/check-gradescope.sh N OUT [BUILD]
#
# It builds the zip (labs/gradescope.sh), and for each of three submissions unpacks it into a
# fresh root laid out as Gradescope's /autograder (source/, submission/, results/), lends it
# BUILD's objects (obj/, and pic/: the window's) and guests (so only what the submission changes
# is compiled), and runs setup.sh's build there and then run_autograder with AUTOGRADER naming
# that root. The submissions: `reference` (the lab's files from this tree, the solution),
# `empty` (no files: the handout's stubs are graded) and `broken` (a lab file that does not
# compile). Each results.json is copied to OUT/KIND.json, each
# run_autograder's output to OUT/KIND.log. setup.sh is not run (it installs packages as root);
# its package list is written to OUT/setup-packages. The exit status is 0 when every step ran.
set -u
lab=$1 out=$2 B=${3:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=$(ls -d labs/"$(printf %02d "$lab")"-* | head -n 1)
files=$(sed -n 's/^files[ \t]*=[ \t]*//p' "$dir/lab.ini" | head -n 1)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-gradescope-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

make --no-print-directory -s gradescope LAB="$lab" BUILD="$tmp/zipbuild" >"$out/zip.log" 2>&1 ||
    { cat "$out/zip.log"; echo "check-gradescope: lab $lab: make gradescope failed"; exit 1; }
zip="$tmp/zipbuild/lab$lab-autograder.zip"
unzip -Z1 "$zip" >"$out/zip-files"
unzip -p "$zip" setup.sh | sed -n 's/.*apt-get install -y -q //p' >"$out/setup-packages"

# submit KIND: grades one submission in a fresh root.
submit() {
    kind=$1 root="$tmp/$1"
    mkdir -p "$root/submission" "$root/results"
    unzip -q "$zip" -d "$root/source" || return 1
    mkdir -p "$root/source/build"
    cp -a "$B/obj" "$B/pic" "$B/guestos" "$B/hvasm.sum" "$B/hvimg.sum" "$root/source/build/"
    # What setup.sh does once on Gradescope, after its packages: build the handout as shipped.
    setup=$(unzip -p "$zip" setup.sh | sed -n 's|^cd /autograder/source && ||p')
    (cd "$root/source" && eval "$setup") >"$out/$kind-setup.log" 2>&1 ||
        { tail -20 "$out/$kind-setup.log"; echo "check-gradescope: lab $lab: setup's build failed"; return 1; }
    case "$kind" in
    reference) for f in $files; do cp "$f" "$root/submission/"; done ;;
    broken) for f in $files; do
            { cat "$f"; echo "this line is not C;"; } >"$root/submission/$(basename "$f")"
        done ;;
    esac
    AUTOGRADER="$root" sh "$root/source/run_autograder" >"$out/$kind.log" 2>&1
    cp "$root/results/results.json" "$out/$kind.json" ||
        { cat "$out/$kind.log"; echo "check-gradescope: lab $lab: $kind wrote no results.json"; return 1; }
}

status=0
for kind in reference empty broken; do submit "$kind" || status=1; done
exit $status
