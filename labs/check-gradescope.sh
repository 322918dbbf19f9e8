#!/bin/sh
# check-gradescope.sh - runs lab N's Gradescope autograder as Gradescope would, on this machine
# (tests/labs/test_gradescope.c; docs/labs.md):
#
#   sh labs/check-gradescope.sh N OUT [BUILD]
#
# It builds the zip (labs/gradescope.sh) and, as Gradescope builds its autograder image once,
# unpacks it into a root laid out as Gradescope's /autograder (source/, submission/, results/),
# lends it BUILD's objects (obj/, and pic/: the window's), guests and the assemblers' checksums
# (so only what the handout changes is compiled) and runs setup.sh's build there (its output in
# OUT/setup.log). Each of three submissions then gets a fresh copy of that root, as Gradescope
# starts a fresh container from the image, and run_autograder runs with AUTOGRADER naming it.
# The submissions: `reference` (the lab's files from this tree, the solution), `empty` (no
# files: the handout's stubs are graded) and `broken` (a lab file that does not compile). Each
# results.json is copied to OUT/KIND.json, each run_autograder's output to OUT/KIND.log.
# setup.sh is not run (it installs packages as root); its package list is written to
# OUT/setup-packages. The exit status is 0 when every step ran.
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

# The image: the zip unpacked and setup's build, what setup.sh does on Gradescope after its
# packages (the handout built as shipped).
image="$tmp/image"
mkdir -p "$image/submission" "$image/results"
unzip -q "$zip" -d "$image/source" && sh labs/handout.sh --lend "$B" "$image/source" || exit 1
setup=$(unzip -p "$zip" setup.sh | sed -n 's|^cd /autograder/source && ||p')
(cd "$image/source" && eval "$setup") >"$out/setup.log" 2>&1 ||
    { tail -20 "$out/setup.log"; echo "check-gradescope: lab $lab: setup's build failed"; exit 1; }

# fresh ROOT: a copy of the image, times kept (so only what a submission changes is built). What
# is written in place is copied: the lab's files (run_autograder copies the submission over
# them), the guests (make copies the manifests over theirs) and the checksums. The rest is hard
# links: make writes new files (the Makefile removes an object and its .d before it compiles;
# ar and the linker write new ones).
fresh() {
    mkdir -p "$1/source" &&
        (cd "$image/source" && cp -a --parents $files build/guestos build/hvasm.sum build/hvimg.sum "$1/source/") &&
        cp -a -l -n "$image/." "$1/"
}

# submit KIND [last]: grades one submission in a fresh copy of the image; the last one takes the
# image itself.
submit() {
    kind=$1 root="$tmp/$1"
    if [ "${2:-}" = last ]; then mv "$image" "$root"; else fresh "$root"; fi || return 1
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
submit reference || status=1
submit empty || status=1
submit broken last || status=1
exit $status
