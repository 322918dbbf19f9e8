#!/bin/sh
# check-lab.sh - what make test checks of each lab (tests/labs/test_lab_trees.c; docs/labs.md):
#
#   sh labs/check-lab.sh N [BUILD]
#
# 1. A fresh handout of lab N compiles (make all and the tests, -Werror) and grades as its
#    manifest says: below full marks, each test failing or passing as its `handout` key says
#    (the stubs break the lab and nothing else). Its GitHub Classroom workflow's steps, run there,
#    pass or fail the same way.
# 2. Each mutant labs/NN-name/mutants/TEST.patch, applied to the reference, fails TEST.
# The trees are built beside BUILD's objects (lent by labs/handout.sh --lend), so only what
# differs is compiled. The exit status is 0 when all hold; what went wrong is printed.
set -u
lab=$1 B=${2:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=$(ls -d labs/"$(printf %02d "$lab")"-* | head -n 1)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-lab$lab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# tree NAME [handout.sh options]: writes $tmp/NAME with BUILD's objects and guests lent to it.
tree() {
    name=$1
    shift
    sh labs/handout.sh "$@" "$lab" "$tmp/$name" >/dev/null &&
        sh labs/handout.sh --lend "$B" "$tmp/$name"
}

# build NAME TARGETS...: make in the tree; the compiler's complaints when it fails.
build() {
    name=$1
    shift
    if ! make -C "$tmp/$name" -j2 BUILD="$B" "$@" >"$tmp/$name.log" 2>&1; then
        echo "check-lab: lab $lab: the $name tree does not build:"
        grep -E 'error|Error' "$tmp/$name.log" | head -n 20
        return 1
    fi
}

# classroom: the GitHub Classroom workflow's steps, run in the handout as the runner would: each
# test's command fails or passes as the manifest's `handout` key says, and no hidden test has one.
classroom() {
    wf="$tmp/handout/.github/workflows/classroom.yml"
    mkdir -p "$(dirname "$wf")"
    (cd "$tmp/handout" && "$B/hvgrade" --classroom "$wf" "$dir/lab.ini") >/dev/null 2>&1 ||
        { echo "check-lab: lab $lab: hvgrade --classroom failed"; return 1; }
    ok=0
    for t in $(sed -n 's/^\[test \(.*\)\]$/\1/p' "$dir/lab.ini"); do
        want=$(sed -n "/^\[test $t\]/,/^\[/s/^handout[ \t]*=[ \t]*//p" "$dir/lab.ini")
        hidden=$(sed -n "/^\[test $t\]/,/^\[/s/^hidden[ \t]*=[ \t]*//p" "$dir/lab.ini")
        cmd=$(sed -n "/test-name: \"$t\"/,/^ *command:/s/^ *command: \"\(.*\)\"$/\1/p" "$wf")
        if [ "$hidden" = true ]; then
            [ -z "$cmd" ] || { echo "check-lab: lab $lab: the hidden test $t has a Classroom step"; ok=1; }
            continue
        fi
        [ -n "$cmd" ] || { echo "check-lab: lab $lab: the test $t has no Classroom step"; ok=1; continue; }
        (cd "$tmp/handout" && sh -c "$cmd") >"$tmp/classroom.log" 2>&1
        got=$([ $? = 0 ] && echo pass || echo fail)
        [ "$got" = "$want" ] || {
            cat "$tmp/classroom.log"
            echo "check-lab: lab $lab: the Classroom step of $t ($cmd) gives $got in the handout, not $want"
            ok=1
        }
    done
    return $ok
}

status=0
if tree handout && build handout all "$B/hvsim-tests"; then
    (cd "$tmp/handout" && "$B/hvgrade" --build "$B" --check-handout "$dir/lab.ini") >"$tmp/grade" 2>&1 ||
        { cat "$tmp/grade"; echo "check-lab: lab $lab: the handout does not grade as its manifest says"; status=1; }
    classroom || status=1
else
    status=1
fi

for patch in "$dir"/mutants/*.patch; do
    [ -f "$patch" ] || continue
    test=$(basename "$patch" .patch)
    rm -rf "$tmp/reference"
    if ! tree reference --reference || ! (cd "$tmp/reference" && patch -s -p1 <"$here/$patch"); then
        echo "check-lab: lab $lab: $patch does not apply to the reference"
        status=1
        continue
    fi
    build reference "$B/hvsim-tests" "$B/hvgrade" || { status=1; continue; }
    (cd "$tmp/reference" && "$B/hvgrade" --build "$B" --only "$test" "$dir/lab.ini") >"$tmp/grade" 2>&1
    if [ $? -ne 1 ] || ! grep -q FAIL "$tmp/grade"; then
        cat "$tmp/grade"
        echo "check-lab: lab $lab: the mutant $patch passes '$test', the test it targets"
        status=1
    fi
done
[ -n "${VERBOSE:-}" ] && cat "$tmp"/*.log "$tmp/grade"
[ $status = 0 ] && echo "check-lab: lab $lab: the handout grades as its manifest says; the mutants fail"
exit $status
