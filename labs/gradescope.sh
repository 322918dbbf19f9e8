#!/bin/sh
# gradescope.sh - the Gradescope autograder zip of one lab (make gradescope LAB=N; docs/labs.md).
#
#   sh labs/gradescope.sh N ZIP PACKAGES
#
# PACKAGES is the Debian packages the build and the tests need (the Makefile passes its own lists,
# so the autograder image installs exactly what `make test` would).
# The zip holds lab N's handout with its hidden tests kept (labs/handout.sh --keep-hidden),
# setup.sh (Gradescope runs it once, as root, on its Ubuntu image: the Debian packages, then the
# build) and run_autograder (for each submission: the files the manifest's `files` key names are
# copied from the submission over the tree, which is built and graded by build/hvgrade into
# /autograder/results/results.json; a submission that does not compile scores 0 with the
# compiler's messages). The zip is written beside as ZIP.part and renamed at the end.
set -eu
lab=$1 zip=$2 pkgs=$3
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=$(ls -d labs/"$(printf %02d "$lab")"-* | head -n 1)
files=$(sed -n 's/^files[ \t]*=[ \t]*//p' "$dir/lab.ini" | head -n 1)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-gradescope.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh labs/handout.sh --keep-hidden "$lab" "$tmp/tree" >/dev/null

cat >"$tmp/tree/setup.sh" <<SETUP
#!/bin/sh
# Gradescope runs this once when it builds the autograder image (written by make gradescope).
set -e
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs
cd /autograder/source && make -j2 all build/hvsim-tests
SETUP

cat >"$tmp/tree/run_autograder" <<RUN
#!/bin/sh
# Gradescope runs this for each submission (written by make gradescope LAB=$lab). AUTOGRADER
# names another root than Gradescope's /autograder (labs/check-gradescope.sh tests it so).
ag=\${AUTOGRADER:-/autograder}
cd "\$ag/source"
for f in $files; do
    src=\$(find "\$ag/submission" -type f -path "*/\$f" | head -n 1)
    [ -n "\$src" ] || src=\$(find "\$ag/submission" -type f -name "\$(basename "\$f")" | head -n 1)
    if [ -n "\$src" ]; then cp "\$src" "\$f"; else echo "the submission has no \$f: the handout's is graded"; fi
done
mkdir -p "\$ag/results"
if ! make -j2 all build/hvsim-tests >"\$ag/results/build.log" 2>&1; then
    build/hvgrade --failed-build "\$ag/results/build.log" \\
        --results "\$ag/results/results.json" $dir/lab.ini
    exit 0
fi
build/hvgrade --results "\$ag/results/results.json" $dir/lab.ini
exit 0
RUN
chmod +x "$tmp/tree/setup.sh" "$tmp/tree/run_autograder"
rm -f "$zip.part"
(cd "$tmp/tree" && zip -q -r -X "$tmp/out.zip" .)
mkdir -p "$(dirname "$zip")"
mv "$tmp/out.zip" "$zip"
echo "gradescope: $zip: lab $lab's autograder (hidden tests included); upload it as the assignment's autograder"
